"""Staff pages of the market: the POS, receipts, market days and Z-reports, settlements, settings.

Thin: each view reads the form, calls one function of sales, settlements or settings, renders.
The POS page itself talks to the JSON API (market/api.py) from static/js/pos.js.
"""
import datetime
import json
import os
from functools import partial

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _

from core.auth import role_required
from core.db import LARGEST_ID, get_or_404
from core.forms import confirm_then_save, form_page, saved
from core.qr import qr_svg
from market import dashboard, documents, impact, massbalance, reports, sales, settings, settlements
from market.models import PAYMENT_METHODS, PAYOUT_METHODS, MarketDay, Refund, Sale, SaleLine, Settlement
from core.exports import baht_amount, csv_bytes, xlsx_bytes
from core.charts import bar_chart_svg
from core.i18n import format_baht, format_date, format_datetime, format_quantity, local_name
from core.models import UNITS, Course, Household
from core.validation import NotFound, ValidationError
from traceability import batches, codes, recalls
from traceability.models import BATCH_STATUSES, Batch

bp = Blueprint("market", __name__)

RECEIPT_PAPERS = ("58", "80", "a4")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOWNLOADS = ("csv", "xlsx")


def _download(title, header, rows, fmt, filename):
    """A table as a CSV or XLSX download (formulas neutralised by core.exports)."""
    if fmt == "csv":
        body, mimetype = csv_bytes(header, rows), "text/csv"
    else:
        body, mimetype = xlsx_bytes(title, header, rows), XLSX
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'})


@bp.route("/pos")
@role_required("admin", "cashier")
def pos():
    days = [{"id": day.id, "counter": day.counter, "date": format_date(day.market_date)} for day in sales.open_days()]
    return render_template("market/pos.html", days=days,
                           promptpay_id=settings.get("promptpay_id"),
                           units={key: str(name) for key, name in UNITS.items()})


@bp.route("/sw.js")
def service_worker():
    """The POS's service worker, served from the root so it may look after /pos."""
    response = send_from_directory(os.path.join(current_app.static_folder, "js"), "sw.js", mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.route("/manifest.webmanifest")
def web_manifest():
    """Lets a tablet put the POS on its home screen and open it like an app."""
    manifest = {
        "name": settings.get("market_name"), "short_name": _("POS"), "start_url": url_for(".pos"),
        "scope": "/", "display": "standalone", "background_color": "#f6f8f3", "theme_color": "#2f7d32",
        "lang": "th", "icons": [{"src": url_for("static", filename="icon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }
    return Response(json.dumps(manifest, ensure_ascii=False), mimetype="application/manifest+json")


@bp.route("/pos/sales/<int:sale_id>/receipt")
@role_required("admin", "cashier")
def receipt(sale_id):
    sale = get_or_404(Sale, sale_id)
    paper = request.args.get("paper", "80")
    paper = paper if paper in RECEIPT_PAPERS else "80"
    trace_page = f"{current_app.config['GREENMARKET_BASE_URL'].rstrip('/')}/r/{sale.receipt_token}"
    return render_template("market/receipt.html", sale=sale, lines=_receipt_lines(sale), paper=paper,
                           papers=RECEIPT_PAPERS, methods=PAYMENT_METHODS, market_name=settings.get("market_name"),
                           trace_page=trace_page, trace_qr=qr_svg(trace_page))


def _receipt_lines(sale):
    return list(SaleLine.select(SaleLine, Batch).join(Batch).where(SaleLine.sale == sale).order_by(SaleLine.id))


# --- Undo at the counter: void a sale, refund part of a line ----------------------------------


@bp.route("/pos/sales")
@role_required("admin", "cashier")
def pos_sales():
    """The sales of the open counters, newest first, or straight to the receipt number asked for."""
    number = request.args.get("number", "").strip()
    if number:
        sale = Sale.get_or_none(Sale.id == int(number)) if number.isdigit() and int(number) <= LARGEST_ID else None
        if sale is not None:
            return redirect(url_for(".pos_sale", sale_id=sale.id))
        flash(_("No sale has receipt number %(number)s.", number=number), "error")
    days = list(sales.open_days())
    recent = (Sale.select().where(Sale.market_day.in_([day.id for day in days])).order_by(Sale.created_at.desc(), Sale.id.desc())
              .limit(200))
    return render_template("market/pos_sales.html", days=days, sales=recent, methods=PAYMENT_METHODS)


def _render_sale(sale, void_errors=None, void_values=None, refund_line_id=None, refund_errors=None, refund_values=None):
    """The sale page with its lines, what was refunded of each, and the void and refund forms."""
    status = 400 if void_errors or refund_errors else 200
    return render_template("market/pos_sale.html", sale=sale, rows=sales.lines_with_refunds(sale),
                           methods=PAYMENT_METHODS, open_days=list(sales.open_days()), units=UNITS,
                           void_errors=void_errors or {}, void_values=void_values or {},
                           refund_line_id=refund_line_id, refund_errors=refund_errors or {},
                           refund_values=refund_values or {}), status


@bp.route("/pos/sales/<int:sale_id>")
@role_required("admin", "cashier")
def pos_sale(sale_id):
    return _render_sale(get_or_404(Sale, sale_id))


@bp.route("/pos/sales/<int:sale_id>/void", methods=["POST"])
@role_required("admin", "cashier")
def pos_void(sale_id):
    """Void a sale in two steps: the reason, then a confirmation that says what to give back."""
    sale = get_or_404(Sale, sale_id)
    values = request.form.to_dict()
    return confirm_then_save(
        values,
        lambda values: sales.check_void(sale, values, g.user),
        lambda values: _voided(sales.void_sale(sale, values, g.user)),
        lambda errors: _render_sale(sale, void_errors=errors, void_values=values),
        lambda _plan: render_template("market/pos_confirm.html", sale=sale, action="void", values=values,
                                      amount=sale.total_satang, methods=PAYMENT_METHODS),
    )


def _voided(sale):
    return saved(url_for(".pos_sale", sale_id=sale.id),
                 _("Receipt no. %(number)s is void. Give back %(amount)s and put the goods back on sale.",
                   number=sale.id, amount=format_baht(sale.total_satang)))


@bp.route("/pos/sale-lines/<int:line_id>/refund", methods=["POST"])
@role_required("admin", "cashier")
def pos_refund(line_id):
    """Refund part of a line in two steps: quantity and reason, then a confirmation of the amount."""
    line = get_or_404(SaleLine, line_id)
    values = request.form.to_dict()
    return confirm_then_save(
        values,
        lambda values: sales.check_refund(line, values, g.user),
        lambda values: redirect(url_for(".refund_receipt", refund_id=sales.refund_line(line, values, g.user).id, done=1)),
        lambda errors: _render_sale(line.sale, refund_line_id=line.id, refund_errors=errors, refund_values=values),
        lambda plan: render_template("market/pos_confirm.html", sale=line.sale, action="refund", values=values,
                                     plan=plan, amount=plan.amount_satang, methods=PAYMENT_METHODS),
    )


@bp.route("/pos/refunds/<int:refund_id>/receipt")
@role_required("admin", "cashier")
def refund_receipt(refund_id):
    """The slip the customer takes home for money given back, and the cashier keeps a copy of."""
    refund = get_or_404(Refund, refund_id)
    paper = request.args.get("paper", "80")
    return render_template("market/refund_receipt.html", refund=refund, line=refund.line, sale=refund.line.sale,
                           paper=paper if paper in RECEIPT_PAPERS else "80", papers=RECEIPT_PAPERS,
                           market_name=settings.get("market_name"), done=request.args.get("done") == "1")


# --- Market days ------------------------------------------------------------------------------


@bp.route("/market/days", methods=["GET", "POST"])
@role_required("admin")
def market_days():
    return form_page(
        _render_days,
        lambda values: sales.open_market_day(values, g.user),
        lambda day: saved(url_for(".market_days"), _("Counter %(counter)s is open.", counter=day.counter)),
        initial={"opening_float": "500"},
    )


def _render_days(values, errors, status):
    days = MarketDay.select().order_by(MarketDay.market_date.desc(), MarketDay.counter).limit(60)
    return render_template("market/days.html", days=days, errors=errors, values=values), status


@bp.route("/market/days/<int:day_id>", methods=["GET", "POST"])
@role_required("admin")
def market_day(day_id):
    day = get_or_404(MarketDay, day_id)
    if request.method == "POST":
        values = request.form.to_dict()
        return confirm_then_save(
            values,
            lambda values: sales.check_closing(day, values),
            lambda values: saved(url_for(".market_day", day_id=sales.close_market_day(day, values, g.user).id),
                                 _("The market day is closed.")),
            lambda errors: _render_day(day, values, errors, None, 400),
            lambda closing: _render_day(day, values, {}, closing, 200),
        )
    if request.args.get("download") in DOWNLOADS:
        report = settlements.z_report(day)
        rows = [(_("Household"), f"{r['code']} · {r['display_name']}" if r["display_name"] else r["code"], "", baht_amount(r["total_satang"]))
                for r in report["by_household"]]
        rows += [(_("Product"), r["name_th"], batches.quantity_text(r["quantity_milli"]), baht_amount(r["total_satang"]))
                 for r in report["by_product"]]
        rows += [(_("Payment"), str(PAYMENT_METHODS[r["payment_method"]]), r["sales"], baht_amount(r["total_satang"] or 0))
                 for r in report["by_method"]]
        return _download(_("Z-report"), [_("Table"), _("Name"), _("Quantity"), _("Amount")], rows,
                         request.args["download"], f"z-report-{day.market_date}-{day.id}")
    return _render_day(day, {}, {}, None, 200)


def _render_day(day, values, errors, closing, status):
    """The market day with its Z-report; `closing` is the count to confirm before the day is closed."""
    sales_today = Sale.select().where(Sale.market_day == day).order_by(Sale.created_at.desc())
    return render_template("market/day.html", report=settlements.z_report(day), sales=sales_today,
                           methods=PAYMENT_METHODS, errors=errors, values=values, closing=closing), status


@bp.route("/market/days/<int:day_id>/z-report.pdf")
@role_required("admin")
def z_report_pdf(day_id):
    day = get_or_404(MarketDay, day_id)
    pdf = documents.z_report_pdf(settlements.z_report(day), settings.get("market_name"))
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="z-report-{day.market_date}-{day.id}.pdf"'})


# --- Settlements ------------------------------------------------------------------------------


@bp.route("/market/settlements", methods=["GET", "POST"])
@role_required("admin")
def settlement_list():
    today = datetime.date.today()
    values = {key: request.values[key] for key in ("period_start", "period_end") if key in request.values}
    values.setdefault("period_start", today.replace(day=1).isoformat())
    values.setdefault("period_end", today.isoformat())
    errors, preview, status = {}, None, 200
    try:
        if request.method == "POST":
            chosen = {}  # every household owed, unless the page's ticks (or one row's button) say which
            if request.form.get("only"):
                chosen = {"households": [request.form["only"]]}
            elif request.form.get("choosing"):
                chosen = {"households": request.form.getlist("households")}
            made = settlements.create_settlements(dict(values, **chosen), g.user)
            flash(_("%(n)d settlements made.", n=len(made)), "success")
            return redirect(url_for(".settlement_list"))
        preview = settlements.preview(values)
        if request.args.get("download") in DOWNLOADS:
            start, end, _basis_points, owed = preview
            header = [_("Household"), _("Lines"), _("Gross sales"), _("Refunds"), _("Commission"), _("Net payout")]
            rows = [(f"{r['household'].code} · {r['household'].public_name}", r["lines"], baht_amount(r["gross_satang"]),
                     baht_amount(r["refunds_satang"]), baht_amount(r["commission_satang"]), baht_amount(r["net_satang"]))
                    for r in owed]
            return _download(_("Settlements"), header, rows, request.args["download"], f"settlements-{start}-{end}")
    except ValidationError as exc:
        errors, status = exc.errors, 400
        if "households" in errors:  # none ticked: show the same table again, with the reason
            preview = settlements.preview(values)
    recent = Settlement.select().order_by(Settlement.created_at.desc(), Settlement.id.desc()).limit(100)
    return render_template("market/settlements.html", values=values, errors=errors, preview=preview,
                           settlements=recent), status


@bp.route("/market/settlements/<int:settlement_id>", methods=["GET", "POST"])
@role_required("admin")
def settlement_detail(settlement_id):
    settlement = get_or_404(Settlement, settlement_id)
    return form_page(
        partial(_render_settlement, settlement),
        lambda values: settlements.mark_paid(settlement, values, g.user),
        lambda paid: saved(url_for(".settlement_detail", settlement_id=paid.id), _("Marked as paid.")),
        initial={"paid_on": datetime.date.today().isoformat()},
    )


def _render_settlement(settlement, values, errors, status):
    return render_template("market/settlement.html", settlement=settlement, lines=settlements.statement_lines(settlement),
                           refunds=settlements.statement_refunds(settlement), methods=PAYOUT_METHODS,
                           errors=errors, values=values), status


@bp.route("/market/settlements/<int:settlement_id>.pdf")
@role_required("admin")
def settlement_pdf(settlement_id):
    settlement = get_or_404(Settlement, settlement_id)
    pdf = documents.settlement_pdf(settlement, settlements.statement_lines(settlement),
                                   settlements.statement_refunds(settlement), settings.get("market_name"))
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="settlement-{settlement.id}.pdf"'})


# --- Recall ---------------------------------------------------------------------------------


def _recall_rows(lines):
    return [[line["sale_id"], codes.format_code(line["batch_code"]), format_datetime(line["created_at"]), line["counter"],
             format_quantity(line["quantity_milli"], line["unit"]), format_baht(line["total_satang"]),
             _("void") if line["voided_at"] else ""] for line in lines]


def _recall_answer(title, scope, fmt, filename, query):
    """The sales of every batch a recall reaches, as a page, CSV, XLSX or PDF."""
    lines = reports.sales_of_batches([batch.id for batch in scope.batches])
    header = [_("Receipt no."), _("Batch"), _("When"), _("Counter"), _("Quantity"), _("Amount"), _("Void")]
    if fmt in DOWNLOADS:
        return _download(_("Recall report"), header, _recall_rows(lines), fmt, filename)
    if fmt == "pdf":
        pdf = documents.recall_pdf(title, scope.batches, header, _recall_rows(lines), settings.get("market_name"))
        return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}.pdf"'})
    if fmt != "html":
        raise NotFound()
    return render_template("market/recall.html", title=title, scope=scope, lines=lines, query=query,
                           statuses=BATCH_STATUSES, format_code=codes.format_code)


@bp.route("/market/recalls/<code>")
@bp.route("/market/recalls/<code>.<fmt>")
@role_required("admin", "inspector")
def recall_report(code, fmt="html"):
    try:
        batch = batches.find_batch(code)
    except (codes.MistypedCode, batches.UnknownCode):
        raise NotFound() from None
    title = _("Every sale of batch %(code)s", code=codes.format_code(batch.code))
    return _recall_answer(title, recalls.scope({"code": batch.code}), fmt, f"recall-{batch.code}", {"code": batch.code})


@bp.route("/market/recalls")
@role_required("admin", "inspector")
def recall_report_many():
    filters = recalls.clean_filters(request.args.to_dict())
    fmt = request.args.get("fmt", "html")
    return _recall_answer(_("Recall report"), recalls.scope(filters), fmt, "recall", recalls.filter_args(request.args))


# --- Dashboard ------------------------------------------------------------------------------


def _dashboard_tables(start, end):
    """Each table of the dashboard as (key, title, header, rows of (label, satang))."""
    return [
        ("products", _("Sales by product"), [_("Product"), _("Sales")],
         [(local_name(product), amount) for product, amount in dashboard.by_product(start, end)]),
        ("households", _("Sales by household"), [_("Household"), _("Sales")],
         [(f"{household.code} · {household.public_name}", amount) for household, amount in dashboard.by_household(start, end)]),
        ("villages", _("Sales by village"), [_("Village"), _("Sales")],
         [(_("Village %(no)s", no=village), amount) for village, amount in dashboard.by_village(start, end)]),
        ("groups", _("Sales by occupation group"), [_("Occupation group"), _("Sales")],
         [(local_name(group), amount) for group, amount in dashboard.by_occupation_group(start, end)]),
        ("days", _("Sales by market day"), [_("Date"), _("Sales")],
         [(format_date(day), amount) for day, amount in dashboard.by_day(start, end)]),
    ]


@bp.route("/market/dashboard")
@bp.route("/market/dashboard/<table>.<fmt>")
@role_required("admin")
def market_dashboard(table=None, fmt=None):
    try:
        start, end = dashboard.period(request.args.to_dict())
    except ValidationError as exc:
        return render_template("error.html", status=400, message=_("Check the dates."), fields=exc.errors), 400
    tables = _dashboard_tables(start, end)
    if table is not None:
        found = {key: (title, header, rows) for key, title, header, rows in tables}
        if table not in found or fmt not in ("csv", "xlsx"):
            raise NotFound()
        title, header, rows = found[table]
        return _download(title, header, [(label, baht_amount(amount)) for label, amount in rows], fmt,
                         f"{table}-{start}-{end}")
    today = datetime.date.today()
    charts = {key: bar_chart_svg([(label, amount, format_baht(amount)) for label, amount in rows[:dashboard.TOP]], title)
              for key, title, header, rows in tables}
    return render_template("market/dashboard.html", start=start, end=end, tables=tables, charts=charts,
                           totals=dashboard.totals(start, end), today_totals=dashboard.totals(today, today))


@bp.route("/market/report.pdf")
@role_required("admin")
def monthly_report_pdf():
    try:
        start, end = dashboard.period(request.args.to_dict())
    except ValidationError as exc:
        raise ValidationError(exc.errors) from None
    pdf = documents.monthly_report_pdf(start, end, dashboard.totals(start, end), _dashboard_tables(start, end),
                                       settings.get("market_name"))
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="report-{start}-{end}.pdf"'})


# --- Income impact ----------------------------------------------------------------------------


@bp.route("/market/impact")
@bp.route("/market/impact.pdf", endpoint="programme_impact_pdf")
@role_required("admin")
def programme_impact():
    course_id = request.args.get("course", type=int)
    result = impact.programme(course_id)
    courses = Course.select().order_by(Course.curriculum)
    labels = {"6": _("6 months"), "12": _("12 months")}
    charts = {}
    for label, figures in result["summary"].items():
        if figures:
            charts[label] = bar_chart_svg([
                (_("Income before"), figures["income_before"], format_baht(figures["income_before"])),
                (_("Income after"), figures["income_after"], format_baht(figures["income_after"])),
                (_("Expenses before"), figures["expenses_before"], format_baht(figures["expenses_before"])),
                (_("Expenses after"), figures["expenses_after"], format_baht(figures["expenses_after"])),
            ], labels[label])
    if request.args.get("download") in DOWNLOADS:
        header = [_("Group"), _("Households"), _("Income change at 6 months"), _("Income change at 12 months")]
        rows = []
        for (kind, key), (figures, size) in result["splits"].items():
            name = (_("Village %(no)s", no=key) if kind == "village" else
                    str(impact.DISADVANTAGED_GROUPS[key]) if kind == "disadvantaged" else key)
            changes = [baht_amount(figures[label]["income_change"]) if figures and figures[label] else ""
                       for label in ("6", "12")]
            rows.append((name, size, *changes))
        return _download(_("Household income impact"), header, rows, request.args["download"], "impact")
    if request.endpoint == "market.programme_impact_pdf":
        pdf = documents.impact_pdf(result, labels, settings.get("market_name"))
        return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": 'inline; filename="impact.pdf"'})
    return render_template("market/impact.html", result=result, charts=charts, labels=labels, courses=courses,
                           course_id=course_id, min_group=impact.MIN_GROUP_SIZE,
                           disadvantaged=impact.DISADVANTAGED_GROUPS)


@bp.route("/market/impact/households/<int:household_id>")
@role_required("admin")
def household_impact(household_id):
    household = get_or_404(Household, household_id)
    return render_template("market/household_impact.html", household=household,
                           result=impact.household_impact(household), labels={"6": _("6 months"), "12": _("12 months")})


# --- Mass balance ---------------------------------------------------------------------------


@bp.route("/market/mass-balance")
@bp.route("/market/mass-balance.<fmt>")
@role_required("admin", "inspector")
def mass_balance(fmt="html"):
    today = datetime.date.today()
    values = {"start": (today - datetime.timedelta(days=89)).isoformat(), "end": today.isoformat(),
              **request.args.to_dict()}
    try:
        start, end = massbalance.period(values)
    except ValidationError as exc:
        return render_template("market/mass_balance.html", rows=[], values=values, errors=exc.errors,
                               flags=massbalance.FLAGS, only_alerts=False), 400
    only_alerts = request.args.get("alerts") == "1"
    rows = massbalance.alerts(start, end) if only_alerts else massbalance.balances(start, end)
    if fmt in ("csv", "xlsx"):
        header = [_("Household"), _("Product"), _("Unit"), _("Harvested"), _("Sold"), _("Used in making"),
                  _("Land can yield"), _("Follow up")]
        table = [[b.household.code, b.product.name_th, b.product.unit,
                  batches.quantity_text(b.harvested_milli), batches.quantity_text(b.sold_milli),
                  batches.quantity_text(b.used_milli),
                  batches.quantity_text(b.capacity_milli) if b.capacity_milli is not None else "",
                  "; ".join(str(massbalance.FLAGS[f]) for f in b.flags)] for b in rows]
        return _download(_("Mass balance"), header, table, fmt, f"mass-balance-{start}-{end}")
    if fmt != "html":
        raise NotFound()
    return render_template("market/mass_balance.html", rows=rows, values=values, errors={}, flags=massbalance.FLAGS,
                           only_alerts=only_alerts, evidence=massbalance.evidence(rows, start, end))


# --- Settings ---------------------------------------------------------------------------------


@bp.route("/market/settings", methods=["GET", "POST"])
@role_required("admin")
def market_settings():
    return form_page(
        _render_settings,
        lambda values: settings.save_settings(values, g.user),
        lambda _saved: saved(url_for(".market_settings"), _("Settings saved.")),
        initial=settings.all_settings(),
    )


def _render_settings(values, errors, status):
    return render_template("market/settings.html", values=values, errors=errors), status
