"""A report as one object, rendered as a page, CSV, XLSX and PDF by the helpers here.

Every report of the app (the Z-report, settlements, the dashboard, impact, mass balance, the
recall report) is built once as a `Report` of `Section`s whose cells are domain values: integer
satang as `Money`, thousandths as `Quantity`, dates, counts, text. Each renderer formats a cell
the same way (฿1,234.50, 2.5 กก., 24 พ.ย. 2569), so the page, the PDF and the spreadsheet can
never disagree about a figure. Money stays integer satang until it is shown, and reaches a
spreadsheet as an exact Decimal. This module lives in core because the market's Z-report and
the traceability's recall use it; it never names a domain.

Downloads have one address style: the page's own address with `.csv`, `.xlsx` or `.pdf` after
it (`/market/days/7.pdf`), answered by `download()`.
"""
import csv
import dataclasses
import datetime
import io
from decimal import Decimal

from flask import Response
from flask_babel import gettext as _
from markupsafe import Markup
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, SimpleDocTemplate, Spacer, Table, TableStyle

from core.charts import BAR_HEIGHT, GAP, bar_chart_svg, draw_bar_chart
from core.exports import baht_amount, safe_cell
from core.i18n import format_baht, format_date, format_datetime, format_quantity
from core.models import UNITS
from core.pdf import (
    FONT,
    FONT_BOLD,
    GREEN,
    TABLE_STYLE,
    WRAP_SLACK,
    draw_text,
    paragraph_style,
    plain_paragraph,
    text_width,
    wrapped_paragraph,
)
from core.validation import NotFound

FORMATS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
CHART_TOP = 10  # bars in a chart; the table below it lists every row
MONEY_FORMAT = '"฿"#,##0.00;-"฿"#,##0.00'  # Excel's picture of format_baht
MARGIN = 16 * mm
WIDTH = A4[0] - 2 * MARGIN
FOOTER_GREY = colors.HexColor("#555555")
FACTS_STYLE = TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 4),
                          ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)])


@dataclasses.dataclass(frozen=True)
class Money:
    """An amount in integer satang."""

    satang: int


@dataclasses.dataclass(frozen=True)
class Quantity:
    """An amount in thousandths of `unit` (a key of core.models.UNITS, or None)."""

    milli: int
    unit: str = None


@dataclasses.dataclass(frozen=True)
class Percent:
    """A share or a change in percent; `signed` shows +/- as for a change."""

    value: float
    signed: bool = False


@dataclasses.dataclass
class Section:
    """One table of a report, with its optional totals row and bar chart of (label, satang)."""

    title: str
    header: list
    rows: list
    totals: list = None
    chart: list = None
    key: str = ""  # names the section on the page (data-testid)
    empty: str = ""  # what the page and PDF say when there are no rows
    facts: bool = False  # label and value pairs, shown without a header row
    cell_ids: dict = dataclasses.field(default_factory=dict)  # (row, column) -> data-testid on the page


@dataclasses.dataclass
class Report:
    """A whole report: who issues it, its title, what it covers, notes, then its sections."""

    title: str
    filename: str
    sections: list
    subtitle: str = ""
    source: str = ""  # the market's name, above the title and in the PDF's footer
    notes: list = dataclasses.field(default_factory=list)
    signatures: list = dataclasses.field(default_factory=list)  # (caption, name) boxes at the foot of the PDF


def is_numeric(cell):
    """Figures are right-aligned on the page and in the PDF."""
    return isinstance(cell, (Money, Quantity, Percent, int, Decimal)) and not isinstance(cell, bool)


def cell_text(cell):
    """A cell as the page and the PDF show it."""
    if cell is None:
        return "—"
    if isinstance(cell, Money):
        return format_baht(cell.satang)
    if isinstance(cell, Quantity):
        return format_quantity(cell.milli, cell.unit)
    if isinstance(cell, Percent):
        return f"{cell.value:+.1f}%" if cell.signed else f"{cell.value:g}%"
    if isinstance(cell, datetime.datetime):
        return format_datetime(cell)
    if isinstance(cell, datetime.date):
        return format_date(cell)
    return str(cell)


def _csv_value(cell):
    """A cell for CSV: money and quantities as plain exact numbers, everything else as on the page."""
    if isinstance(cell, Money):
        return baht_amount(cell.satang)
    if isinstance(cell, Quantity):
        return (Decimal(int(cell.milli)) / 1000).quantize(Decimal("0.001"))
    if isinstance(cell, (int, Decimal)) and not isinstance(cell, bool):
        return cell
    return "" if cell is None else cell_text(cell)


def _sheet_value(cell):
    """A cell for XLSX: a number and the format that shows it as the page does, or text."""
    if isinstance(cell, Money):
        return baht_amount(cell.satang), MONEY_FORMAT
    if isinstance(cell, Quantity):
        unit = f' "{UNITS[cell.unit]}"' if cell.unit in UNITS else ""
        return Decimal(int(cell.milli)) / 1000, f"General{unit}"
    if isinstance(cell, Percent):
        return Decimal(str(cell.value)) / 100, "+0.0%;-0.0%" if cell.signed else "0%"
    if isinstance(cell, (int, Decimal)) and not isinstance(cell, bool):
        return cell, None
    return ("" if cell is None else ILLEGAL_CHARACTERS_RE.sub("", cell_text(cell))), None


def to_csv(report):
    """UTF-8 CSV with a byte-order mark: one block per section (its title, header, rows, totals), a blank line between.

    A report of one section is a plain table: header first, so a spreadsheet sorts it as it is.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    single = len(report.sections) == 1
    for number, section in enumerate(report.sections):
        if not single:
            if number:
                writer.writerow([])
            writer.writerow([safe_cell(section.title)])
        if section.header:
            writer.writerow([safe_cell(title) for title in section.header])
        for row in section.rows + ([section.totals] if section.totals else []):
            writer.writerow([safe_cell(_csv_value(cell)) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(report):
    """One sheet per section, numbers as numbers shown as on the page; text never becomes a formula."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    used = set()
    for number, section in enumerate(report.sections, start=1):
        name = _sheet_name(section.title, number, used)
        sheet = workbook.create_sheet(name)
        if section.header:
            sheet.append([ILLEGAL_CHARACTERS_RE.sub("", str(title)) for title in section.header])
            for cell in sheet[1]:
                cell.font = Font(bold=True)
        for row in section.rows + ([section.totals] if section.totals else []):
            values = [_sheet_value(cell) for cell in row]
            sheet.append([value for value, _format in values])
            for cell, (_value, number_format) in zip(sheet[sheet.max_row], values):
                if number_format:
                    cell.number_format = number_format
                if cell.data_type == "f":
                    cell.data_type = "s"
        if section.totals:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet_name(title, number, used):
    """A sheet name XLSX accepts: at most 31 characters, none of []:*?/\\, unique in the book."""
    name = "".join(" " if char in "[]:*?/\\" else char for char in ILLEGAL_CHARACTERS_RE.sub("", title))[:28].strip()
    name = name or str(number)
    if name in used:
        name = f"{name[:25]} ({number})"
    used.add(name)
    return name


def chart_svg(section):
    """The section's bar chart for the page, or an empty string."""
    if not section.chart:
        return ""
    return Markup(bar_chart_svg([(label, satang, format_baht(satang)) for label, satang in section.chart[:CHART_TOP]],
                                section.title))


class _Chart(Flowable):
    """A bar chart in the flow of a PDF, drawn by core.charts with shaped Thai labels."""

    def __init__(self, items):
        super().__init__()
        self.items = items

    def wrap(self, available_width, available_height):
        self.width = available_width
        self.height = 34 + len(self.items) * (BAR_HEIGHT + GAP) * 0.7
        return self.width, self.height

    def draw(self):
        draw_bar_chart(self.canv, 0, self.height, self.items, "", self.width, GREEN)


CELL_SIZE = 9.5
CELL_PADDING = 10  # left and right padding of a table cell, in points
TITLE_ROOM = 90  # a column widens for its title up to this many points, then the title wraps


def _styles():
    return {
        "title": paragraph_style("title", 16, font=FONT_BOLD),
        "heading": paragraph_style("heading", 12, font=FONT_BOLD, spaceBefore=8, spaceAfter=3),
        "body": paragraph_style("body", 10),
        "cell": paragraph_style("cell", CELL_SIZE),
        "head": paragraph_style("head", CELL_SIZE, font=FONT_BOLD),
        "head-right": paragraph_style("head-right", CELL_SIZE, font=FONT_BOLD, alignment=TA_RIGHT),
    }


def _widths(header, rows, numeric):
    """Column widths: a figure column as wide as its widest figure or its title (up to a limit, then
    the title wraps); text columns share the rest of the page by how much text they hold, so a long
    Thai name wraps and a short code does not."""
    columns = max(len(row) for row in [header] + rows)
    titles = [_room(title, FONT_BOLD) for title in header] + [0] * columns
    natural = [max([_room(cell_text(row[index]), FONT) for row in rows if index < len(row)]
                   + [36, min(titles[index], TITLE_ROOM)]) for index in range(columns)]
    text_columns = [index for index in range(columns) if index not in numeric]
    room = WIDTH - sum(natural[index] for index in numeric)
    # a text column narrower than a fair share keeps its own width; the others share what is left
    narrow = [index for index in text_columns if natural[index] <= room / max(1, len(text_columns))]
    wide = [index for index in text_columns if index not in narrow] or text_columns
    narrow = [index for index in narrow if index not in wide]
    left = room - sum(natural[index] for index in narrow)
    wanted = sum(natural[index] for index in wide) or 1
    widths = [left * natural[index] / wanted if index in wide else natural[index] for index in range(columns)]
    scale = min(1, WIDTH / sum(widths))
    return [width * scale for width in widths]


def _room(text, font):
    """The width a cell needs to hold `text` on one line, with the slack the Thai line breaker keeps."""
    return text_width(text, CELL_SIZE, font) / WRAP_SLACK + CELL_PADDING + 1


def _pdf_table(section, styles):
    """The section's header, rows and totals as a ReportLab table; Thai text wrapped, figures right."""
    header = [section.header] if section.header and not section.facts else []
    rows = section.rows + ([section.totals] if section.totals else [])
    numeric = {index for row in section.rows for index, cell in enumerate(row) if is_numeric(cell)}
    widths = _widths(header[0] if header else [], rows, numeric)
    cells = [[wrapped_paragraph(title, styles["head-right" if index in numeric else "head"], widths[index] - CELL_PADDING)
              for index, title in enumerate(row)] for row in header]
    cells += [[_pdf_cell(cell, index in numeric, widths[index], styles) for index, cell in enumerate(row)]
              for row in section.rows]
    if section.totals:  # a total left blank is blank, not "—"
        cells.append([_pdf_cell(cell, index in numeric, widths[index], styles) if cell is not None else ""
                      for index, cell in enumerate(section.totals)])
    table = Table(cells, colWidths=widths, repeatRows=len(header))
    table.setStyle(FACTS_STYLE if section.facts else TABLE_STYLE)
    for column in numeric:
        table.setStyle([("ALIGN", (column, 0), (column, -1), "RIGHT"), ("FONTNAME", (column, 0), (column, -1), FONT)])
    if section.totals:
        table.setStyle([("FONTNAME", (0, -1), (-1, -1), FONT_BOLD), ("LINEABOVE", (0, -1), (-1, -1), 0.8, GREEN)])
    return table


def _pdf_cell(cell, numeric, width, styles):
    """A figure as plain right-aligned text; anything else as a paragraph wrapped between Thai syllables."""
    return cell_text(cell) if numeric else wrapped_paragraph(cell_text(cell), styles["cell"], width - CELL_PADDING)


def to_pdf(report):
    """An A4 PDF in the page's language: title, period, notes, then each section's chart and table."""
    styles = _styles()
    story = [plain_paragraph(report.source, styles["body"]), plain_paragraph(report.title, styles["title"])]
    if report.subtitle:
        story.append(plain_paragraph(report.subtitle, styles["body"]))
    story += [wrapped_paragraph(note, styles["body"], WIDTH) for note in report.notes]
    for section in report.sections:
        heading = plain_paragraph(section.title, styles["heading"])
        if not section.rows and section.empty:
            story.append(KeepTogether([heading, plain_paragraph(section.empty, styles["body"])]))
            continue
        if section.chart:  # a heading never stays alone at the foot of a page, above its chart on the next
            heading = KeepTogether([heading, _Chart([(label, satang, format_baht(satang))
                                                     for label, satang in section.chart[:CHART_TOP]])])
        story += [heading, _pdf_table(section, styles)]
    if report.signatures:
        story.append(Spacer(1, 18))
        signature, dated = _("Signature") + " " + "." * 40, _("Date") + " " + "." * 30
        boxes = Section("", [caption for caption, _name in report.signatures],
                        [[f"\n\n{signature}\n({name or '.' * 40})\n{dated}" for _caption, name in report.signatures]])
        story.append(_pdf_table(boxes, styles))
    return _build(report, story)


def _build(report, story):
    buffer = io.BytesIO()
    footer = f"{report.source} · {report.title}" if report.source else report.title

    def page_footer(canvas, document):
        canvas.saveState()
        canvas.setFillColor(FOOTER_GREY)
        draw_text(canvas, MARGIN, MARGIN - 20, footer, 8)
        draw_text(canvas, A4[0] - MARGIN, MARGIN - 20, _("Page %(page)s", page=document.page), 8, align="right")
        canvas.restoreState()

    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                                 bottomMargin=MARGIN, title=report.title, creator="Khlong Hae Green Market")
    document.build(story, onFirstPage=page_footer, onLaterPages=page_footer)
    return buffer.getvalue()


RENDERERS = {"csv": to_csv, "xlsx": to_xlsx, "pdf": to_pdf}


def download(report, fmt):
    """The report as a file in `fmt` (csv, xlsx or pdf); any other format is not found."""
    if fmt not in FORMATS:
        raise NotFound()
    disposition = "inline" if fmt == "pdf" else "attachment"
    return Response(RENDERERS[fmt](report), mimetype=FORMATS[fmt],
                    headers={"Content-Disposition": f'{disposition}; filename="{report.filename}.{fmt}"'})


def init_app(app):
    """Let every page render a report's sections with templates/_report.html."""
    app.jinja_env.globals.update(report_cell=cell_text, report_numeric=is_numeric, report_chart=chart_svg)
