"""The shopper's trace page `/b/<code>`: where a product comes from and whether it is certified now.

No login, no JavaScript, small enough for one round trip on a slow phone connection. It shows
the household only by its public name and village; never phone, ID or disadvantaged flags.
"""
from flask import Blueprint, render_template

from certificates import certification
from core.models import UNITS
from core.pages import RenderedPages
from traceability import batches, codes, making
from traceability.models import BATCH_EVENTS

bp = Blueprint("trace", __name__)

TRACE_PAGES = RenderedPages()


@bp.route("/b/<path:code>")
def trace(code):
    try:
        return TRACE_PAGES.answer(lambda: batches.trace_fingerprint(code), lambda: _render(code))
    except codes.MistypedCode:
        return render_template("traceability/trace_missing.html", code=code[:40], mistyped=True), 400
    except batches.UnknownCode:
        return render_template("traceability/trace_missing.html", code=code[:40], mistyped=False), 404


def _render(code):
    """The page and whether it follows from its fingerprint alone (not a made batch, no conversion read)."""
    batch = batches.find_batch(code)
    status = batches.batch_certification(batch)
    html = render_template(
        "traceability/trace.html",
        batch=batch,
        display_code=codes.format_code(batch.code),
        status=status,
        story=batches.story(batch),
        origins=making.origins(batch, check_certification=not status.certified) if batch.is_made else [],
        units=UNITS,
        events=BATCH_EVENTS,
    )
    return html, not batch.is_made and status.state in certification.STATES_FROM_CERTIFICATES
