"""The Z-report of a market day and a household's settlement statement as A4 PDFs.

Pure functions from figures already computed (market.settlements) to bytes, in the current
language (Thai by default). Households appear by code and public name only.
"""
import io

from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, SimpleDocTemplate, Spacer, Table, TableStyle

from core.charts import BAR_HEIGHT, GAP, draw_bar_chart
from core.i18n import format_baht, format_date, format_datetime, format_quantity, local_name
from core.pdf import FONT, GREEN, TABLE_STYLE, draw_text, paragraph_style, plain_paragraph, wrapped_paragraph
from market.models import PAYMENT_METHODS, PAYOUT_METHODS
from traceability import codes

MARGIN = 16 * mm
GREY = colors.HexColor("#555555")
WIDTH = A4[0] - 2 * MARGIN
PLAIN_TABLE_STYLE = TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 4),
                                ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)])


def _styles():
    return {
        "title": paragraph_style("title", 16, font="Sarabun-Bold"),
        "heading": paragraph_style("heading", 12, font="Sarabun-Bold", spaceBefore=8, spaceAfter=3),
        "body": paragraph_style("body", 10),
        "cell": paragraph_style("cell", 9.5),
    }


def _table(rows, widths, styles, numeric_columns=(), header=True):
    """A report table: header row (unless header=False), Thai text wrapped in cells, money right-aligned."""
    cells = []
    for row in rows:
        cells.append([cell if not isinstance(cell, str) or index in numeric_columns
                      else wrapped_paragraph(cell, styles["cell"], widths[index] - 8)
                      for index, cell in enumerate(row)])
    table = Table(cells, colWidths=widths, repeatRows=1 if header else 0)
    table.setStyle(TABLE_STYLE if header else PLAIN_TABLE_STYLE)
    for column in numeric_columns:
        table.setStyle([("ALIGN", (column, 0), (column, -1), "RIGHT"), ("FONTNAME", (column, 0), (column, -1), FONT)])
    return table


def _build(title, story, footer):
    buffer = io.BytesIO()

    def page_footer(canvas, document):
        canvas.saveState()
        canvas.setFillColor(GREY)
        draw_text(canvas, MARGIN, MARGIN - 20, footer, 8)
        draw_text(canvas, A4[0] - MARGIN, MARGIN - 20, _("Page %(page)s", page=document.page), 8, align="right")
        canvas.restoreState()

    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                                 bottomMargin=MARGIN, title=title, creator="Khlong Hae Green Market")
    document.build(story, onFirstPage=page_footer, onLaterPages=page_footer)
    return buffer.getvalue()


def _household_name(row):
    """A household as the public sees it: its code and chosen display name, never a person's name."""
    return f"{row['code']} · {row['display_name']}" if row["display_name"] else row["code"]


def z_report_pdf(report, market_name):
    """The day's closing report: sales by payment method, household and product; voids, refunds, cash."""
    styles = _styles()
    day = report["day"]
    title = _("Z-report · counter %(counter)s · %(date)s", counter=day.counter, date=format_date(day.market_date))
    story = [plain_paragraph(market_name, styles["body"]), plain_paragraph(title, styles["title"]),
             plain_paragraph(_("Opened %(opened)s · closed %(closed)s", opened=format_datetime(day.opened_at),
                         closed=format_datetime(day.closed_at) if day.closed_at else _("still open")), styles["body"]),
             Spacer(1, 6)]
    story.append(plain_paragraph(_("Sales by payment method"), styles["heading"]))
    rows = [[_("Payment"), _("Sales"), _("Total"), _("Cash"), _("PromptPay")]]
    rows += [[str(PAYMENT_METHODS[r["payment_method"]]), str(r["sales"]), format_baht(r["total_satang"]),
              format_baht(r["cash_satang"]), format_baht(r["promptpay_satang"])] for r in report["by_method"]]
    rows.append([_("All"), str(report["sales_count"]), format_baht(report["sales_total"]), "", ""])
    story.append(_table(rows, [WIDTH * 0.32, WIDTH * 0.12, WIDTH * 0.2, WIDTH * 0.18, WIDTH * 0.18], styles, (1, 2, 3, 4)))

    story.append(plain_paragraph(_("Sales by household"), styles["heading"]))
    rows = [[_("Household"), _("Total")]] + [[_household_name(r), format_baht(r["total_satang"])] for r in report["by_household"]]
    story.append(_table(rows, [WIDTH * 0.75, WIDTH * 0.25], styles, (1,)))

    story.append(plain_paragraph(_("Sales by product"), styles["heading"]))
    rows = [[_("Product"), _("Quantity"), _("Total")]]
    rows += [[local_name(_Named(r["name_th"], r["name_en"])), format_quantity(r["quantity_milli"], r["unit"]), format_baht(r["total_satang"])] for r in report["by_product"]]
    story.append(_table(rows, [WIDTH * 0.5, WIDTH * 0.25, WIDTH * 0.25], styles, (1, 2)))

    story.append(plain_paragraph(_("Voids, refunds and cash"), styles["heading"]))
    difference = report["difference"]
    rows = [
        [_("Item"), _("Amount")],
        [_("Voided sales (%(n)s)", n=report["voided"]["count"]), format_baht(report["voided"]["total"])],
        [_("Refunds paid in cash (%(n)s)", n=report["refunds"]["count"]), format_baht(report["refunds"]["total"])],
        [_("Opening float"), format_baht(day.opening_float_satang)],
        [_("Expected cash in the drawer"), format_baht(report["expected_cash"])],
        [_("Counted cash"), format_baht(report["counted_cash"]) if report["counted_cash"] is not None else "—"],
        [_("Difference (counted − expected)"), format_baht(difference) if difference is not None else "—"],
    ]
    story.append(_table(rows, [WIDTH * 0.75, WIDTH * 0.25], styles, (1,)))
    if day.notes:
        story.append(plain_paragraph(_("Closing note"), styles["heading"]))
        story.append(wrapped_paragraph(day.notes, styles["body"], WIDTH))
    return _build(title, story, f"{market_name} · {title}")


def settlement_pdf(settlement, lines, refunds, market_name):
    """A household's statement: who is paid, every sale line and refund of the period, commission,
    net payout, and where the market and the household sign. Staff only: it names the head of household."""
    styles = _styles()
    household = settlement.household
    title = _("Settlement statement no. %(number)s", number=settlement.id)
    story = [
        plain_paragraph(market_name, styles["body"]),
        plain_paragraph(title, styles["title"]),
        _table([[_("Paid to (head of household)"), household.head_name],
                [_("Household"), _("%(code)s · %(name)s · village %(village)s", code=household.code,
                                   name=household.public_name, village=household.village_no)],
                [_("Period"), _("%(start)s to %(end)s", start=format_date(settlement.period_start),
                                end=format_date(settlement.period_end))]],
               [WIDTH * 0.3, WIDTH * 0.7], styles, header=False),
        plain_paragraph(_("Sales"), styles["heading"]),
    ]
    rows = [[_("Date"), _("Receipt"), _("Product · batch"), _("Quantity × price"), _("Amount")]]
    for line in lines:
        product = local_name(_Named(line["name_th"], line["name_en"]))
        price = f"{format_quantity(line['quantity_milli'], line['unit'])} × {format_baht(line['unit_price_satang'])}"
        if line["discount_satang"]:
            price += f" − {format_baht(line['discount_satang'])}"
        if line.get("share_percent") is not None:
            price += " · " + _("group product, your share %(percent)s%%", percent=f"{line['share_percent']:g}")
        rows.append([format_datetime(line["created_at"]), str(line["sale_id"]),
                     f"{product} · {codes.format_code(line['code'])}", price, format_baht(line["total_satang"])])
    if not lines:
        rows.append(["", "", _("No sales in this period."), "", ""])
    widths = [WIDTH * 0.2, WIDTH * 0.1, WIDTH * 0.3, WIDTH * 0.24, WIDTH * 0.16]
    story.append(_table(rows, widths, styles, (1, 4)))
    if refunds:
        story.append(plain_paragraph(_("Refunds"), styles["heading"]))
        rows = [[_("Date"), _("Receipt"), _("Product · batch"), _("Quantity"), _("Amount")]]
        rows += [[format_datetime(refund["at"]), str(refund["sale_id"]),
                  f"{local_name(_Named(refund['name_th'], refund['name_en']))} · {codes.format_code(refund['code'])}",
                  format_quantity(refund["quantity_milli"], refund["unit"]), format_baht(-refund["amount_satang"])]
                 for refund in refunds]
        story.append(_table(rows, widths, styles, (1, 4)))
    story.append(Spacer(1, 8))
    rate = f"{settlement.commission_basis_points / 100:g}%"
    rows = [
        [_("Item"), _("Amount")],
        [_("Gross sales"), format_baht(settlement.gross_satang)],
        [_("Refunds"), format_baht(-settlement.refunds_satang)],
        [_("Market fund commission (%(rate)s)", rate=rate), format_baht(-settlement.commission_satang)],
        [_("Net payout"), format_baht(settlement.net_satang)],
    ]
    story.append(_table(rows, [WIDTH * 0.75, WIDTH * 0.25], styles, (1,)))
    story.append(Spacer(1, 8))
    if settlement.paid_on:
        story.append(plain_paragraph(_("Paid on %(date)s by %(method)s %(reference)s", date=format_date(settlement.paid_on),
                                       method=PAYOUT_METHODS.get(settlement.paid_method, ""),
                                       reference=settlement.paid_reference), styles["body"]))
    else:
        story.append(plain_paragraph(_("Not paid yet."), styles["body"]))
    story.append(Spacer(1, 18))
    signature = _("Signature") + " " + "." * 40
    dated = _("Date") + " " + "." * 30
    story.append(_table([[_("Paid by (for the market)"), _("Received by (head of household)")],
                         [f"\n\n{signature}\n(" + "." * 40 + ")\n" + dated,
                          f"\n\n{signature}\n({household.head_name})\n{dated}"]],
                        [WIDTH / 2, WIDTH / 2], styles))
    return _build(title, story, f"{market_name} · {title}")


class _Named:
    """A product name pair, so local_name() picks the page language's name from a report row."""

    def __init__(self, name_th, name_en):
        self.name_th = name_th
        self.name_en = name_en


def recall_pdf(title, recalled, header, rows, market_name):
    """Every sale of the recalled batches (a harvest and what was made from it), to find the buyers' receipts."""
    styles = _styles()
    story = [plain_paragraph(market_name, styles["body"]), plain_paragraph(title, styles["title"])]
    for batch in recalled:
        dated = (_("Made %(date)s", date=format_date(batch.harvest_date)) if batch.is_made
                 else _("Harvested %(date)s", date=format_date(batch.harvest_date)))
        state = (_("Recalled %(when)s: %(reason)s", when=format_datetime(batch.recalled_at), reason=batch.recall_reason)
                 if batch.recalled_at else _("Not recalled."))
        story.append(plain_paragraph(f"{codes.format_code(batch.code)} · {local_name(batch.product)} · {batch.household.code} · "
                               f"{batch.household.public_name} · {dated} · {state}", styles["body"]))
    story += [
        Spacer(1, 6),
        _table([header] + [[str(cell) for cell in row] for row in rows],
               [WIDTH * 0.11, WIDTH * 0.14, WIDTH * 0.21, WIDTH * 0.12, WIDTH * 0.15, WIDTH * 0.16, WIDTH * 0.11],
               styles, (0, 4, 5)),
    ]
    return _build(title, story, f"{market_name} · {title}")


def monthly_report_pdf(start, end, totals, tables, market_name):
    """The council's report for its funder: totals, then each table as a chart and figures."""
    styles = _styles()
    title = _("Green market report %(start)s to %(end)s", start=format_date(start), end=format_date(end))
    story = [
        plain_paragraph(market_name, styles["body"]),
        plain_paragraph(title, styles["title"]),
        plain_paragraph(_("%(sales)s sales, %(net)s taken, of which certified organic %(certified)s (%(percent)s%%).",
                    sales=totals["sales"], net=format_baht(totals["net_satang"]),
                    certified=format_baht(totals["certified_satang"]), percent=totals["certified_percent"]), styles["body"]),
    ]
    for _key, table_title, header, rows in tables:
        story.append(plain_paragraph(table_title, styles["heading"]))
        story.append(_Chart([(label, amount, format_baht(amount)) for label, amount in rows[:10]], table_title))
        story.append(_table([header] + [[label, format_baht(amount)] for label, amount in rows],
                            [WIDTH * 0.7, WIDTH * 0.3], styles, (1,)))
    return _build(title, story, f"{market_name} · {title}")


class _Chart(Flowable):
    """A bar chart in the flow of a report, drawn by core.charts with shaped Thai labels."""

    def __init__(self, items, title):
        super().__init__()
        self.items, self.title = items, title

    def wrap(self, available_width, available_height):
        self.width = available_width
        self.height = 34 + len(self.items) * (BAR_HEIGHT + GAP) * 0.7
        return self.width, self.height

    def draw(self):
        draw_bar_chart(self.canv, 0, self.height, self.items, "", self.width, GREEN)


def impact_pdf(result, labels, market_name):
    """The programme's income impact: averages before and after, and by group where groups are large enough."""
    styles = _styles()
    title = _("Household income impact")
    story = [plain_paragraph(market_name, styles["body"]), plain_paragraph(title, styles["title"]),
             plain_paragraph(_("%(n)s households with a baseline survey.", n=len(result["impacts"])), styles["body"])]
    for label, figures in result["summary"].items():
        story.append(plain_paragraph(labels[label], styles["heading"]))
        if not figures:
            story.append(plain_paragraph(_("No follow-up survey yet."), styles["body"]))
            continue
        story.append(_Chart([(_("Income before"), figures["income_before"], format_baht(figures["income_before"])),
                             (_("Income after"), figures["income_after"], format_baht(figures["income_after"])),
                             (_("Expenses before"), figures["expenses_before"], format_baht(figures["expenses_before"])),
                             (_("Expenses after"), figures["expenses_after"], format_baht(figures["expenses_after"]))],
                            labels[label]))
        story.append(_table(_impact_rows(figures), [WIDTH * 0.4, WIDTH * 0.2, WIDTH * 0.2, WIDTH * 0.2], styles, (1, 2, 3)))
    return _build(title, story, f"{market_name} · {title}")


def _impact_rows(figures):
    def percent(value):
        return "—" if value is None else f"{value:+.1f}%"

    return [
        [_("Per household per month"), _("Before"), _("After"), _("Change from baseline")],
        [_("Income"), format_baht(figures["income_before"]), format_baht(figures["income_after"]),
         f"{format_baht(figures['income_change'])} ({percent(figures['income_percent'])})"],
        [_("Expenses"), format_baht(figures["expenses_before"]), format_baht(figures["expenses_after"]),
         f"{format_baht(figures['expenses_change'])} ({percent(figures['expenses_percent'])})"],
    ]
