"""Staff pages for harvest batches: record one, find them, and print their labels.

Thin: each view reads the form, calls one function of batches or labels, and renders. The
label PDFs themselves are served by the API routes, which accept a signed-in staff session.
"""
import uuid
from datetime import timedelta

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core import hooks
from core.auth import role_required
from core.forms import form_page, saved
from core.i18n import format_date_input, local_name
from core.models import UNITS, Household, Plot, Product
from core.validation import NotFound, ValidationError, local_today, parse_date
from core.views import filter_number, page_of
from traceability import batches, codes, making, recalls
from traceability.home import UNLABELLED_DAYS
from traceability.labels import MAX_COPIES, label_refusal, waiting_for_labels
from traceability.models import BATCH_EVENTS, BATCH_STATUSES, LABEL_TEMPLATES, Batch, BatchEvent, LabelPrint

bp = Blueprint("traceability", __name__)


def _find_or_404(code):
    try:
        return batches.find_batch(code)
    except (codes.MistypedCode, batches.UnknownCode):
        raise NotFound() from None


def _date_filter(name):
    """A date filter from the query string, or None when it is missing or unreadable."""
    try:
        return parse_date(request.args.get(name, ""))
    except ValueError:
        return None


def _choices():
    """Households that may record harvests, and the active products."""
    growers = list(
        Household.select()
        .where(Household.grower_status.in_(batches.SELLING_GROWER_STATUSES))
        .order_by(Household.village_no, Household.code)
    )
    products = Product.select().where(Product.is_active == True).order_by(Product.name_th)  # noqa: E712
    return growers, products


def _plots_by_household(growers):
    """The growers' plots grouped by household id, for a choice of plot per household."""
    plots = {}
    for plot in Plot.select().where(Plot.household.in_([h.id for h in growers])).order_by(Plot.name):
        plots.setdefault(plot.household_id, []).append(plot)
    return plots


@bp.route("/batches")
@role_required("admin", "inspector")
def batch_list():
    query = batches.search_batches(
        filter_number("household"),
        filter_number("product"),
        _date_filter("from"),
        _date_filter("to"),
        request.args.get("status") if request.args.get("status") in BATCH_STATUSES else None,
        request.args.get("q", "")[:20],
    )
    if request.args.get("unlabelled") == "1":  # the home page's task: a few days of harvests, one page
        rows = waiting_for_labels(local_today() - timedelta(days=UNLABELLED_DAYS))
        page, page_count, total = 1, 1, len(rows)
    else:
        rows, page, page_count, total = page_of(query)
    growers, products = _choices()
    return render_template(
        "traceability/batch_list.html",
        batches=rows,
        refusals={batch.id: label_refusal(batch) for batch in rows} if g.user.role == "admin" else {},
        page=page,
        page_count=page_count,
        total=total,
        households=growers,
        products=products,
        statuses=BATCH_STATUSES,
        templates=LABEL_TEMPLATES,
        max_copies=MAX_COPIES,
        format_code=codes.format_code,
    )


def _render_form(values, errors, status=200, checking=None):
    """The harvest form for one household (only its plots offered), or the choice of household first.

    `checking` is a grower's harvest the secretariat checks: the same form, its household fixed.
    """
    growers, products = _choices()
    household = checking.household if checking else next(
        (h for h in growers if str(h.id) == str(values.get("household_id") or "")), None)
    plots = list(household.plots.order_by(Plot.name)) if household is not None else []
    return render_template(
        "traceability/batch_form.html",
        values=values,
        errors=errors,
        checking=checking,
        household=household,
        households=growers,
        plots=plots,
        products=products,
        units=UNITS,
    ), status


@bp.route("/batches/new", methods=["GET", "POST"])
@role_required("admin")
def batch_new():
    return form_page(
        _render_form,
        lambda values: batches.record_batch(values, g.user)[0],
        lambda batch: saved(url_for(".batch_detail", code=batch.code),
                            _("Harvest recorded as batch %(code)s.", code=codes.format_code(batch.code))),
        # The form's own id: sending it twice (a double click, a reload) records the harvest once.
        initial={"harvest_date": format_date_input(local_today()),
                 "household_id": request.args.get("household_id", ""), "client_id": str(uuid.uuid4())},
    )


@bp.route("/batches/<code>/check", methods=["GET", "POST"])
@role_required("admin")
def batch_check(code):
    """The secretariat checks a harvest a grower recorded: corrects it if needed and confirms it."""
    batch = _find_or_404(code)
    initial = None
    if request.method == "GET":
        if not batch.awaiting_check:
            return redirect(url_for(".batch_detail", code=batch.code))
        initial = batches.check_values(batch)
        initial.update({name: format_date_input(initial[name]) for name in ("harvest_date", "best_before")})
    return form_page(
        lambda values, errors, status: _render_form(values, errors, status, checking=batch),
        lambda values: batches.check_harvest(batch, g.user, values),
        lambda _checked: saved(url_for(".batch_detail", code=batch.code),
                               _("Harvest %(code)s checked: it can now be labelled and sold.",
                                 code=codes.format_code(batch.code))),
        initial=initial,
    )


INPUT_ROWS = 8  # input lines the making form offers; a making of more is sent as several pages of the API


def _made_values(form):
    """The making form's flat fields with its input rows gathered into `inputs`."""
    values = form.to_dict()
    values["inputs"] = [{"batch_code": form.get(f"input-{row}-code", ""), "quantity": form.get(f"input-{row}-quantity", "")}
                        for row in range(INPUT_ROWS)
                        if form.get(f"input-{row}-code", "").strip() or form.get(f"input-{row}-quantity", "").strip()]
    return values


def _render_made_form(values, errors, status=200):
    growers, products = _choices()
    groups, _members = making.group_choices()
    available = (Batch.select(Batch, Product).join(Product)
                 .where(Batch.recalled_at.is_null(), Batch.sold_milli < Batch.quantity_milli)
                 .order_by(Batch.harvest_date.desc(), Batch.id.desc()).limit(200))
    rows = list(values.get("inputs") or [])
    rows += [{}] * (INPUT_ROWS - len(rows))
    return render_template(
        "traceability/made_form.html", values=values, errors=errors, households=growers, products=products,
        groups=groups, units=UNITS, rows=rows, available=available, format_code=codes.format_code,
    ), status


@bp.route("/batches/make", methods=["GET", "POST"])
@role_required("admin")
def made_new():
    initial = {"made_on": format_date_input(local_today()), "client_id": str(uuid.uuid4()), "inputs": []}
    source = request.args.get("from", "") if request.method == "GET" else ""
    if source:
        found = _find_or_404(source)
        initial.update(household_id=found.household_id, inputs=[{"batch_code": codes.format_code(found.code)}])
    return form_page(
        _render_made_form,
        lambda values: making.record_made_batch(values, g.user)[0],
        lambda batch: saved(url_for(".batch_detail", code=batch.code), _("Made batch recorded. Print its labels below.")),
        initial=initial,
        values=_made_values(request.form),
    )


@bp.route("/batches/<code>/recall", methods=["POST"])
@role_required("admin", "inspector")
def batch_recall(code):
    batch = _find_or_404(code)
    data = dict(request.form.to_dict(), code=batch.code)
    try:
        done = recalls.recall(data, g.user)
    except recalls.ConfirmationNeeded as exc:
        return _render_recall(data, exc.scope, {}, confirming=True)
    except ValidationError as exc:
        return _render_detail(batch, exc.errors, 400)
    if done.made:
        flash(_("%(count)d batches recalled, with every batch made from this one. The POS refuses them from now on.",
                count=len(done.batches)), "warning")
        return redirect(hooks.page_url("batch_sales", batch.code) or url_for(".batch_detail", code=batch.code))
    flash(_("Batch recalled. The POS refuses it from now on."), "warning")
    return redirect(url_for(".batch_detail", code=batch.code))


def _render_recall(values, scope, errors, status=200, confirming=False):
    growers, products = _choices()
    plots = _plots_by_household(growers)
    return render_template(
        "traceability/recall.html", values=values, scope=scope, errors=errors, confirming=confirming,
        households=growers, plots=plots, products=products, format_code=codes.format_code, statuses=BATCH_STATUSES,
    ), status


@bp.route("/recalls", methods=["GET", "POST"])
@role_required("admin", "inspector")
def recall_many():
    values = (request.args if request.method == "GET" else request.form).to_dict()
    filtered = bool(recalls.filter_args(values))
    if request.method == "GET":
        if not filtered:
            return _render_recall(values, None, {})
        try:
            _filters, scope = recalls.preview(values)
        except ValidationError as exc:
            return _render_recall(values, None, exc.errors, 400)
        return _render_recall(values, scope, {}, confirming=True)
    try:
        done = recalls.recall(values, g.user)
    except recalls.ConfirmationNeeded as exc:
        return _render_recall(values, exc.scope, {}, confirming=True)
    except ValidationError as exc:
        scope = None
        if filtered and "reason" in exc.errors:
            _filters, scope = recalls.preview(values)
        return _render_recall(values, scope, exc.errors, 400, confirming=scope is not None)
    flash(_("%(count)d batches recalled. The POS refuses them from now on.", count=len(done.batches)), "warning")
    return redirect(hooks.page_url("recall_sales", recalls.filter_args(values)) or url_for(".recall_many"))


@bp.route("/batches/<code>")
@role_required("admin", "inspector")
def batch_detail(code):
    return _render_detail(_find_or_404(code))


def _render_detail(batch, errors=None, status_code=200):
    status = batches.batch_certification(batch)
    return render_template(
        "traceability/batch_detail.html",
        batch=batch,
        display_code=codes.format_code(batch.code),
        status=status,
        refusal=label_refusal(batch, status),
        events=batch.events.order_by(BatchEvent.at.desc(), BatchEvent.id.desc()),
        prints=batch.label_prints.order_by(LabelPrint.printed_at.desc()).limit(20),
        event_names=BATCH_EVENTS,
        statuses=BATCH_STATUSES,
        templates=LABEL_TEMPLATES,
        units=UNITS,
        max_copies=MAX_COPIES,
        product_name=local_name(batch.product),
        inputs=batches.input_batches(batch) if batch.is_made else [],
        used_in=making.used_in(batch),
        errors=errors or {},
    ), status_code
