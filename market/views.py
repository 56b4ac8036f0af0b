"""Staff pages of the market: the POS, receipts, market days and Z-reports, settlements, settings.

Thin: each view reads the form, calls one function of sales, settlements or settings, renders.
The POS page itself talks to the JSON API (market/api.py) from static/js/pos.js.
"""
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
from core.i18n import format_baht, format_date
from core.models import UNITS
from core.qr import qr_svg
from core.report import download
from core.validation import ValidationError, local_today
from market import documents, sales, settings, settlements
from market.models import PAYMENT_METHODS, PAYOUT_METHODS, MarketDay, Refund, Sale, SaleLine, Settlement
from traceability.models import Batch

bp = Blueprint("market", __name__)

RECEIPT_PAPERS = ("58", "80", "a4")


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
    return _render_day(day, {}, {}, None, 200)


def _render_day(day, values, errors, closing, status):
    """The market day with its Z-report; `closing` is the count to confirm before the day is closed."""
    figures = settlements.z_report(day)
    sales_today = Sale.select().where(Sale.market_day == day).order_by(Sale.created_at.desc())
    return render_template("market/day.html", day=day, figures=figures,
                           report=documents.z_report(figures, settings.get("market_name")), sales=sales_today,
                           methods=PAYMENT_METHODS, errors=errors, values=values,
                           closing=closing), status


@bp.route("/market/days/<int:day_id>.<fmt>")
@role_required("admin")
def z_report(day_id, fmt):
    """The day's Z-report as a PDF, CSV or XLSX file: the same object as the page shows."""
    day = get_or_404(MarketDay, day_id)
    return download(documents.z_report(settlements.z_report(day), settings.get("market_name")), fmt)


# --- Settlements ------------------------------------------------------------------------------


@bp.route("/market/settlements", methods=["GET", "POST"])
@role_required("admin")
def settlement_list():
    values = _settlement_period()
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
    except ValidationError as exc:
        errors, status = exc.errors, 400
        if "households" in errors:  # none ticked: show the same table again, with the reason
            preview = settlements.preview(values)
    recent = Settlement.select().order_by(Settlement.created_at.desc(), Settlement.id.desc()).limit(100)
    return render_template("market/settlements.html", values=values, errors=errors, preview=preview,
                           settlements=recent), status


def _settlement_period():
    """The period asked for; by default this month up to today."""
    today = local_today()
    values = {key: request.values[key] for key in ("period_start", "period_end") if key in request.values}
    values.setdefault("period_start", today.replace(day=1).isoformat())
    values.setdefault("period_end", today.isoformat())
    return values


@bp.route("/market/settlements.<fmt>")
@role_required("admin")
def settlements_owed(fmt):
    """What each household is owed for the period, as a PDF, CSV or XLSX file."""
    return download(documents.settlements_owed(settlements.preview(_settlement_period()), settings.get("market_name")), fmt)


@bp.route("/market/settlements/<int:settlement_id>", methods=["GET", "POST"])
@role_required("admin")
def settlement_detail(settlement_id):
    settlement = get_or_404(Settlement, settlement_id)
    return form_page(
        partial(_render_settlement, settlement),
        lambda values: settlements.mark_paid(settlement, values, g.user),
        lambda paid: saved(url_for(".settlement_detail", settlement_id=paid.id), _("Marked as paid.")),
        initial={"paid_on": local_today().isoformat()},
    )


def _render_settlement(settlement, values, errors, status):
    return render_template("market/settlement.html", settlement=settlement, report=_statement(settlement),
                           methods=PAYOUT_METHODS, errors=errors, values=values), status


@bp.route("/market/settlements/<int:settlement_id>.<fmt>")
@role_required("admin")
def settlement_statement(settlement_id, fmt):
    """A household's settlement statement as a file: the PDF is the one both sides sign."""
    return download(_statement(get_or_404(Settlement, settlement_id)), fmt)


def _statement(settlement):
    return documents.settlement_statement(settlement, settlements.statement_lines(settlement),
                                          settlements.statement_refunds(settlement), settings.get("market_name"))


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
