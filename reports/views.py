"""Pages of the reports that read every domain: dashboard, income impact, mass balance, recall.

Thin: each view reads the period or filters, builds one report (reports/documents.py) and shows
it as the page or, at the same address with .csv, .xlsx or .pdf after it, as that file. The
addresses stay under /market/, where printed links and bookmarks have always found them.
"""

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from core.auth import role_required
from core.db import get_or_404
from core.models import Course, Household
from core.report import download
from core.validation import NotFound, ValidationError, local_today
from market import settings
from reports import dashboard, documents, impact, massbalance, recall
from traceability import batches, codes, recalls
from traceability.models import BATCH_STATUSES

bp = Blueprint("reports", __name__)


@bp.route("/market/dashboard")
@bp.route("/market/dashboard.<fmt>")
@role_required("admin")
def dashboard_page(fmt=None):
    """The council's dashboard: totals, then each table as a chart and figures; the same as a file."""
    try:
        start, end = dashboard.period(request.args.to_dict())
    except ValidationError as exc:
        return render_template("error.html", status=400, message=_("Check the dates."), fields=exc.errors), 400
    totals = dashboard.totals(start, end)
    report = documents.dashboard_report(start, end, settings.get("market_name"), totals)
    if fmt is not None:
        return download(report, fmt)
    today = local_today()
    return render_template("reports/dashboard.html", report=report, start=start, end=end,
                           totals=totals, today_totals=dashboard.totals(today, today))


@bp.route("/market/impact")
@bp.route("/market/impact.<fmt>")
@role_required("admin")
def programme_impact(fmt=None):
    """Income before and after the programme, for everyone or one course's households."""
    course_id = request.args.get("course", type=int)
    result = impact.programme(course_id)
    report = documents.impact_report(result, settings.get("market_name"))
    if fmt is not None:
        return download(report, fmt)
    return render_template("reports/impact.html", report=report, result=result, course_id=course_id,
                           courses=Course.select().order_by(Course.curriculum))


@bp.route("/market/impact/households/<int:household_id>")
@role_required("admin")
def household_impact(household_id):
    household = get_or_404(Household, household_id)
    return render_template("reports/household_impact.html", household=household,
                           result=impact.household_impact(household), labels=documents.impact_labels())


@bp.route("/market/mass-balance")
@bp.route("/market/mass-balance.<fmt>")
@role_required("admin", "inspector")
def mass_balance(fmt=None):
    """Harvests against sales and the land, flagged for the inspector; the page shows each flag's evidence."""
    values = request.args.to_dict()
    try:
        start, end = massbalance.period(values)
        values.update(start=start.isoformat(), end=end.isoformat())
    except ValidationError as exc:
        return render_template("reports/mass_balance.html", rows=[], values=values, errors=exc.errors,
                               flags=massbalance.FLAGS, only_alerts=False), 400
    only_alerts = request.args.get("alerts") == "1"
    rows = massbalance.alerts(start, end) if only_alerts else massbalance.balances(start, end)
    if fmt is not None:
        return download(documents.mass_balance_report(rows, start, end, only_alerts, settings.get("market_name")), fmt)
    return render_template("reports/mass_balance.html", rows=rows, values=values, errors={}, flags=massbalance.FLAGS,
                           only_alerts=only_alerts, evidence=massbalance.evidence(rows, start, end))


def _recall_answer(title, scope, fmt, filename, query):
    """The sales of every batch a recall reaches, as the page or a file."""
    lines = recall.sales_of_batches([batch.id for batch in scope.batches])
    report = documents.recall_report(title, scope.batches, lines, filename, settings.get("market_name"))
    if fmt is not None:
        return download(report, fmt)
    return render_template("reports/recall.html", report=report, scope=scope, query=query,
                           statuses=BATCH_STATUSES, format_code=codes.format_code)


@bp.route("/market/recalls/<code>")
@bp.route("/market/recalls/<code>.<fmt>")
@role_required("admin", "inspector")
def recall_report(code, fmt=None):
    try:
        batch = batches.find_batch(code)
    except (codes.MistypedCode, batches.UnknownCode):
        raise NotFound() from None
    title = _("Every sale of batch %(code)s", code=codes.format_code(batch.code))
    return _recall_answer(title, recalls.scope({"code": batch.code}), fmt, f"recall-{batch.code}", {"code": batch.code})


@bp.route("/market/recalls")
@bp.route("/market/recalls.<fmt>")
@role_required("admin", "inspector")
def recall_report_many(fmt=None):
    filters = recalls.clean_filters(request.args.to_dict())
    return _recall_answer(_("Recall report"), recalls.scope(filters), fmt, "recall", recalls.filter_args(request.args))
