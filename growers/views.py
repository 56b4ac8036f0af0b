"""The grower's pages on the phone, each for the signed-in grower's own household only.

Thin: each view reads the form, calls one function of `me` or `diary`, and renders. A form that
is refused re-renders with what was typed (and the same client id, so sending it again is not a
second entry). Another household's record is a 404, never a hint that it exists.
"""
import os
import uuid

from flask import Blueprint, Response, current_app, g, render_template, request, send_file, url_for
from flask_babel import gettext as _

from certificates import evidence
from certificates.models import REVIEW_STATES
from core.auth import current_household, grower_required
from core.forms import form_page, saved
from core.i18n import local_name
from core.models import UNITS, Plot, Product
from core.validation import NotFound, ValidationError, local_today
from growers import diary, me
from traceability.labels import MAX_COPIES

bp = Blueprint("growers", __name__, url_prefix="/me")



def _household():
    household = current_household()
    if household is None:  # a grower account always has one; this guards a half-made account
        raise NotFound()
    return household


def _options(household):
    plots = list(household.plots.order_by(Plot.name))
    products = Product.select().where(Product.is_active == True).order_by(Product.name_th)  # noqa: E712
    return {"plot_options": {plot.id: plot.name for plot in plots},
            "product_options": {product.id: local_name(product) for product in products}, "units": UNITS}


# Entries a page lists, newest first: a phone on slow data gets the recent season, not every year.
SHOWN = 30

# The date field each form starts with today in: most entries are made the day the work is done.
DATE_FIELDS = {"input": "used_on", "activity": "done_on", "harvest": "harvest_date"}


def _fresh(kind, values):
    """The form's values with a client id (new for a blank form, the same when it is shown again) and today's date."""
    fresh = dict(values, client_id=values.get("client_id") or str(uuid.uuid4()))
    if not values:
        fresh[DATE_FIELDS[kind]] = local_today().isoformat()
    return fresh


@bp.route("")
@grower_required
def today():
    household = _household()
    return render_template("growers/today.html", household=household, now=me.today(household))


def _render_diary(household, errors=None, values=None, status=200):
    values = values or {}
    return render_template("growers/diary.html", household=household, review_states=REVIEW_STATES, shown=SHOWN,
                           errors=errors or {}, values={kind: _fresh(kind, values.get(kind, {})) for kind in diary.KINDS},
                           **diary.diary(household), **diary.picker(),
                           **_options(household)), status


@bp.route("/diary")
@grower_required
def diary_page():
    return _render_diary(_household())


@bp.route("/diary/<kind>", methods=["POST"])
@grower_required
def diary_add(kind):
    if kind not in diary.KINDS:
        raise NotFound()
    household = _household()
    request.max_content_length = evidence.MAX_FILE_BYTES + 1024 * 1024
    upload = request.files.get("photo")
    photo = (upload.read(evidence.MAX_FILE_BYTES + 1), upload.filename) if upload and upload.filename else None
    return form_page(
        lambda values, errors, status: _render_diary(household, errors, values, status),
        lambda values: diary.record(kind, household, values, g.user, photo)[0],
        lambda entry: saved(url_for(".diary_page", recorded=entry.client_id or "") + "#" + kind + "s",
                            _("Recorded in your farm diary. The inspector will see it.")),
        key=kind,
    )


@bp.route("/evidence/<int:evidence_id>/thumb")
@grower_required
def evidence_thumb(evidence_id):
    item = diary.own_evidence(_household(), evidence_id)
    if item is None or item.kind != "image" or not os.path.exists(evidence.path_of(item, thumb=True)):
        raise NotFound()
    response = send_file(evidence.path_of(item, thumb=True), mimetype="image/jpeg", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _render_harvests(household, errors=None, values=None, status=200):
    rows = me.harvests(household, limit=SHOWN)
    return render_template("growers/harvests.html", household=household, harvests=rows, shown=SHOWN,
                           states=me.HARVEST_STATES, errors=errors or {}, values=_fresh("harvest", values or {}),
                           may_print={batch.id for batch in rows if me.may_print_labels(g.user, batch)},
                           max_copies=MAX_COPIES, **_options(household)), status


@bp.route("/harvests", methods=["GET", "POST"])
@grower_required
def harvests():
    household = _household()
    return form_page(
        lambda values, errors, status: _render_harvests(household, errors, values, status),
        lambda values: me.record_harvest(household, values, g.user)[0],
        lambda batch: saved(url_for(".harvests", recorded=batch.client_id or ""),
                            _("Harvest recorded. It waits for the secretariat's check before labels and sale.")),
    )


@bp.route("/harvests/<code>/labels.pdf", methods=["POST"])
@grower_required
def harvest_labels(code):
    household = _household()
    batch = me.own_batch(household, code)
    try:
        pdf = me.labels_at_home(g.user, batch, request.form.to_dict(), current_app.config["GREENMARKET_BASE_URL"])
    except ValidationError as exc:
        return _render_harvests(household, exc.errors, None, 400)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="labels-{batch.code}.pdf"'})


@bp.route("/sales")
@grower_required
def sales():
    household = _household()
    errors = {}
    try:
        start, end, rows, total = me.sales_by_day(household, request.args.to_dict())
    except ValidationError as exc:
        errors = exc.errors
        start, end, rows, total = me.sales_by_day(household)
    return render_template("growers/sales.html", household=household, start=start, end=end, rows=rows, total=total,
                           settlements=me.settlement_list(household), errors=errors), 400 if errors else 200


@bp.route("/settlements/<int:settlement_id>.pdf")
@grower_required
def statement(settlement_id):
    settlement = me.own_settlement(_household(), settlement_id)
    return Response(me.statement_pdf(settlement), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="settlement-{settlement.id}.pdf"'})
