"""The market's reports as core.report objects: the Z-report of a market day, what is owed to
households, and a household's settlement statement. One object each, shown as the page, CSV, XLSX
and PDF by core.report, so the figures are written once.

Built from figures already computed (market.settlements), in the current language. Households
appear by code and public name; only the statement, for staff, names the head of household.
"""
from flask_babel import gettext as _

from core.i18n import format_baht, format_date, format_datetime, local_name
from core.models import household_name
from core.report import Money, Quantity, Report, Section
from market.models import PAYMENT_METHODS, PAYOUT_METHODS
from traceability import codes


class _Named:
    """A product name pair, so local_name() picks the page language's name from a report row."""

    def __init__(self, name_th, name_en):
        self.name_th = name_th
        self.name_en = name_en


def product_name(row):
    """The product of a report row (name_th, name_en) in the page's language."""
    return local_name(_Named(row["name_th"], row["name_en"]))


def z_report(figures, market_name):
    """The day's closing report: sales by payment method, household and product; voids, refunds, cash."""
    day = figures["day"]
    closed = format_datetime(day.closed_at) if day.closed_at else _("still open")
    difference = figures["difference"]
    return Report(
        title=_("Z-report · counter %(counter)s · %(date)s", counter=day.counter, date=format_date(day.market_date)),
        subtitle=_("Opened %(opened)s · closed %(closed)s", opened=format_datetime(day.opened_at), closed=closed),
        filename=f"z-report-{day.market_date}-{day.id}", source=market_name,
        notes=[_("Closing note") + ": " + day.notes] if day.notes else [],
        sections=[
            Section(_("Sales by payment method"), [_("Payment"), _("Sales"), _("Total"), _("Cash"), _("PromptPay")],
                    [[str(PAYMENT_METHODS[r["payment_method"]]), r["sales"], Money(r["total_satang"] or 0),
                      Money(r["cash_satang"] or 0), Money(r["promptpay_satang"] or 0)] for r in figures["by_method"]],
                    totals=[_("All"), figures["sales_count"], Money(figures["sales_total"]), None, None],
                    key="by-method", empty=_("No sales yet.")),
            Section(_("Sales by household"), [_("Household"), _("Total")],
                    [[household_name(r["code"], r["display_name"]), Money(r["total_satang"])]
                     for r in figures["by_household"]], key="by-household", empty=_("No sales yet.")),
            Section(_("Sales by product"), [_("Product"), _("Quantity"), _("Total")],
                    [[product_name(r), Quantity(r["quantity_milli"], r["unit"]), Money(r["total_satang"])]
                     for r in figures["by_product"]], key="by-product", empty=_("No sales yet.")),
            Section(_("Voids, refunds and cash"), [_("Item"), _("Amount")], [
                [_("Voided sales (%(n)s)", n=figures["voided"]["count"]), Money(figures["voided"]["total"])],
                [_("Refunds paid in cash (%(n)s)", n=figures["refunds"]["count"]), Money(figures["refunds"]["total"])],
                [_("Opening float"), Money(day.opening_float_satang)],
                [_("Expected cash in the drawer"), Money(figures["expected_cash"])],
                [_("Counted cash"), None if figures["counted_cash"] is None else Money(figures["counted_cash"])],
                [_("Difference (counted − expected)"), None if difference is None else Money(difference)],
            ], key="cash"),
        ])


def settlements_owed(preview, market_name):
    """What each household is owed for a period, before settling: gross, refunds, commission, net."""
    start, end, basis_points, owed = preview
    rows = [[r["household"].staff_name, r["lines"], Money(r["gross_satang"]),
             Money(r["refunds_satang"]), Money(r["commission_satang"]), Money(r["net_satang"])] for r in owed]
    totals = [_("All"), sum(r["lines"] for r in owed)] + [
        Money(sum(r[key] for r in owed)) for key in ("gross_satang", "refunds_satang", "commission_satang", "net_satang")]
    return Report(
        title=_("Settlements"), filename=f"settlements-{start}-{end}", source=market_name,
        subtitle=_("%(start)s to %(end)s", start=format_date(start), end=format_date(end)),
        notes=[_("Sales of closed market days not yet settled. Market fund commission: %(rate)s%%.",
                 rate=f"{basis_points / 100:g}")],
        sections=[Section(_("Settlements with households"),
                          [_("Household"), _("Lines"), _("Gross sales"), _("Refunds"), _("Commission"), _("Net payout")],
                          rows, totals=totals if owed else None, key="owed",
                          empty=_("Nothing to settle in this period."))])


def settlement_statement(settlement, lines, refunds, market_name):
    """A household's statement: who is paid, every sale line and refund of the period, commission,
    net payout, and where the market and the household sign. Staff only: it names the head of household."""
    household = settlement.household
    sold = []
    for line in lines:
        price = ""
        if line["discount_satang"]:
            price = _("discount %(amount)s", amount=format_baht(line["discount_satang"]))
        if line.get("share_percent") is not None:
            price = " · ".join(part for part in (price, _("group product, your share %(percent)s%%",
                                                          percent=f"{line['share_percent']:g}")) if part)
        sold.append([line["created_at"], str(line["sale_id"]), f"{product_name(line)} · {codes.format_code(line['code'])}",
                     Quantity(line["quantity_milli"], line["unit"]), Money(line["unit_price_satang"]), price,
                     Money(line["total_satang"])])
    returned = [[refund["at"], str(refund["sale_id"]), f"{product_name(refund)} · {codes.format_code(refund['code'])}",
                 Quantity(refund["quantity_milli"], refund["unit"]), Money(-refund["amount_satang"])] for refund in refunds]
    rate = f"{settlement.commission_basis_points / 100:g}%"
    paid = (_("Paid on %(date)s by %(method)s %(reference)s", date=format_date(settlement.paid_on),
              method=PAYOUT_METHODS.get(settlement.paid_method, ""), reference=settlement.paid_reference)
            if settlement.paid_on else _("Not paid yet."))
    return Report(
        title=_("Settlement statement no. %(number)s", number=settlement.id), filename=f"settlement-{settlement.id}",
        source=market_name, notes=[paid],
        sections=[
            Section(_("Paid to"), [], [
                [_("Paid to (head of household)"), household.head_name],
                [_("Household"), _("%(code)s · %(name)s · village %(village)s", code=household.code,
                                   name=household.public_name, village=household.village_no)],
                [_("Period"), _("%(start)s to %(end)s", start=format_date(settlement.period_start),
                                end=format_date(settlement.period_end))]], key="statement-paid-to", facts=True,
                    cell_ids={(0, 1): "paid-to"}),
            Section(_("Sales"), [_("Date"), _("Receipt"), _("Product · batch"), _("Quantity"), _("Price"), _("Note"),
                                 _("Amount")], sold, key="statement-lines", empty=_("No sales in this period."),
                    cell_ids={(row, 5): "share" for row, line in enumerate(lines) if line.get("share_percent") is not None}),
            Section(_("Refunds"), [_("Date"), _("Receipt"), _("Product · batch"), _("Quantity"), _("Amount")],
                    returned, key="statement-refunds", empty=_("No refunds in this period.")),
            Section(_("Net payout"), [_("Item"), _("Amount")], [
                [_("Gross sales"), Money(settlement.gross_satang)],
                [_("Refunds"), Money(-settlement.refunds_satang)],
                [_("Market fund commission (%(rate)s)", rate=rate), Money(-settlement.commission_satang)],
                [_("Net payout"), Money(settlement.net_satang)]], key="payout", cell_ids={(3, 1): "net-payout"}),
        ],
        signatures=[(_("Paid by (for the market)"), ""), (_("Received by (head of household)"), household.head_name)])
