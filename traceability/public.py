"""The shopper's trace page `/b/<code>`: where a product comes from and whether it is certified now.

No login, no JavaScript, small enough for one round trip on a slow phone connection. It shows
the household only by its public name and village; never phone, ID or disadvantaged flags.
"""
from flask import Blueprint, render_template

from core.models import UNITS
from core.pages import conditional_page
from traceability import batches, codes, making
from traceability.models import BATCH_EVENTS

bp = Blueprint("trace", __name__)


@bp.route("/b/<path:code>")
def trace(code):
    try:
        batch = batches.find_batch(code)
    except codes.MistypedCode:
        return render_template("traceability/trace_missing.html", code=code[:40], mistyped=True), 400
    except batches.UnknownCode:
        return render_template("traceability/trace_missing.html", code=code[:40], mistyped=False), 404
    status = batches.batch_certification(batch)
    return conditional_page(render_template(
        "traceability/trace.html",
        batch=batch,
        display_code=codes.format_code(batch.code),
        status=status,
        story=batches.story(batch),
        origins=making.origins(batch, check_certification=not status.certified) if batch.is_made else [],
        units=UNITS,
        events=BATCH_EVENTS,
    ))
