"""QR label sheets for harvest batches: pure functions from batches to PDF bytes.

Two templates that markets use: an A4 sheet of 3 × 8 stick-on labels of 70 × 37 mm, and a
50 × 30 mm thermal roll label. Each label has the product, the household's public name and
village, the harvest date, the price, the code for people, the certification claim that holds at
print time, and a vector QR code of the batch's public trace page. Never personal data.

A label wanted more than once is drawn once per batch as a PDF form and placed as often as
copies are wanted, so a sheet of many copies costs little more than one label; a label wanted
once is drawn straight on the page.
"""
import dataclasses
import io

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as pdf_canvas

from certificates.certification import STATUS_MESSAGES
from core.db import db
from core.i18n import format_baht, format_date
from core.models import UNITS
from core.pdf import (
    FONT_BOLD,
    draw_lines,
    draw_text,
    fit_size,
    register_fonts,
    shorten_to_fit,
    wrap_lines,
)
from core.qr import draw_qr
from core.validation import Choice, Integer, Schema
from traceability import codes
from traceability.batches import batch_certification, sale_block, trace_url
from traceability.models import BatchEvent, LabelPrint

GREEN = colors.HexColor("#1e5631")
GREY = colors.HexColor("#444444")
# One fixed QR mask for every label: all masks are valid, and choosing the "best" of eight costs
# six times as much (see core.qr.qr_matrix). Every label QR is decoded in the tests.
LABEL_QR_MASK = 2
MAX_COPIES = 1000  # labels of one batch in one print; more is a typing slip
MAX_LABELS = 5000  # labels in one PDF, over all batches


@dataclasses.dataclass(frozen=True)
class Template:
    """A label stock: page size, label size and grid, and the sizes of what is drawn on a label."""

    page_size: tuple
    label_width: float
    label_height: float
    columns: int
    rows: int
    left: float  # where the first label's left edge is on the page
    top: float  # distance from the page top to the first label's top edge
    padding: float
    qr_size: float
    name_size: float
    name_min_size: float
    small_size: float
    code_size: float

    @property
    def per_page(self):
        return self.columns * self.rows


TEMPLATES = {
    # Avery L7160-style sheets are 3 × 7 of 63.5 × 38.1; the 70 × 37 grid fills A4 edge to edge
    # (3 × 70 = 210 mm, 8 × 37 = 296 mm), as Thai label stock (A4 24 ดวง) is cut.
    "a4-3x8": Template(A4, 70 * mm, 37 * mm, 3, 8, 0, 0.5 * mm, 2.5 * mm,
                       29 * mm, 11, 7, 7, 9),
    "thermal-50x30": Template((50 * mm, 30 * mm), 50 * mm, 30 * mm, 1, 1, 0, 0, 1.5 * mm,
                              25 * mm, 9, 6, 6, 8),
}


class LabelOptions(Schema):
    """How labels are printed: on which sheet, how many of each, from which place of the first A4 sheet."""

    template = Choice(TEMPLATES, description="Default a4-3x8")
    copies = Integer(minimum=1, maximum=MAX_COPIES, description="Labels of each batch; default 1")
    skip = Integer(minimum=0, maximum=TEMPLATES["a4-3x8"].per_page - 1,
                   description="Places already used on the first A4 sheet; default 0")


@dataclasses.dataclass(frozen=True)
class LabelContent:
    """What one batch's labels say: everything already chosen, translated and formatted."""

    code: str
    url: str
    product_name: str
    product_name_en: str
    household: str
    village: str
    harvested: str
    price: str
    claim: str  # certified or none: the certified mark only for "certified"
    claim_text: str


def label_content(batch, status, base_url):
    """The words on a batch's labels, in the current language, for the certification `status`."""
    if status.certified:
        claim, claim_text = "certified", _("Organic certified")
    else:
        claim, claim_text = "none", ""
    price = ""
    if batch.price_satang is not None:
        price = _("%(price)s per %(unit)s", price=format_baht(batch.price_satang), unit=UNITS.get(batch.unit, batch.unit))
    return LabelContent(
        code=batch.code,
        url=trace_url(base_url, batch.code),
        product_name=batch.product.name_th,
        product_name_en=batch.product.name_en,
        household=batch.occupation_group.name_th if batch.occupation_group_id else batch.household.public_name,
        village=_("Village %(no)s, Khlong Hae", no=batch.household.village_no),
        harvested=(_("Made %(date)s", date=format_date(batch.harvest_date)) if batch.is_made
                   else _("Harvested %(date)s", date=format_date(batch.harvest_date))),
        price=price,
        claim=claim,
        claim_text=claim_text,
    )


LABEL_REFUSALS = {
    "recalled": _l("Recalled: the counter refuses this batch, so no labels are printed for it."),
    "sold_out": _l("Sold out: nothing of this batch is left to label."),
    "awaiting_check": _l("Recorded by the grower and not yet checked: the secretariat checks it before labels are printed."),
}


class LabelsRefused(Exception):
    """Labels asked for batches the counter may not sell; `refusals` lists (batch, reason)."""

    def __init__(self, refusals):
        super().__init__(refusals)
        self.refusals = refusals


def label_refusal(batch, status=None):
    """Why no label may be printed for `batch` (the counter would refuse it), or None when it may."""
    block = sale_block(batch, status)
    if block is None:
        return None
    if block in LABEL_REFUSALS:
        return LABEL_REFUSALS[block]
    return _("%(status)s: the counter cannot sell %(product)s of this household, so no labels are printed for it.",
             status=STATUS_MESSAGES.get(block, STATUS_MESSAGES["none"]), product=batch.product.name_th)


def grower_label_refusal(batch, user):
    """Why `user` (a grower) may not print this batch's labels at home, or None when they may.

    Only a household the secretariat allowed (Household.grower_prints_labels), only its own
    batches, and only what the counter could sell: a harvest still waiting for its check never.
    """
    if user.role != "grower" or user.household_id != batch.household_id:
        return _("Only the household that harvested this batch may print its labels.")
    if not batch.household.grower_prints_labels:
        return _("The council secretariat prints this household's labels: ask them for the labels.")
    return label_refusal(batch)


def waiting_for_labels(since):
    """Batches on sale harvested since `since` that were never labelled and may be (newest first)."""
    from traceability.batches import search_batches

    return [batch for batch in search_batches(unlabelled_since=since) if label_refusal(batch) is None]


def print_labels(batches, template_name, copies, base_url, by_user, language="th", skip=0, record=True):
    """Labels for `batches` (`copies` each) as PDF bytes, and the certification status each carries.

    Only what the counter may sell gets labels: LabelsRefused names every other batch and why,
    and nothing is printed. With `record`, each print is recorded with the claim its labels made,
    and the batch's story gains its "labelled" step; a preview (a GET, which must never write)
    records nothing. The claim is decided here, at print time.
    """
    statuses = [batch_certification(batch) for batch in batches]
    refusals = [(batch, label_refusal(batch, status)) for batch, status in zip(batches, statuses)]
    refusals = [(batch, reason) for batch, reason in refusals if reason is not None]
    if refusals:
        raise LabelsRefused(refusals)
    with force_locale(language):
        contents = [label_content(batch, status, base_url) for batch, status in zip(batches, statuses)]
    pdf = labels_pdf([(content, copies) for content in contents], template_name, language, skip)
    if not record:
        return pdf, statuses
    with db.atomic():
        for batch, status in zip(batches, statuses):
            record_print(batch, template_name, copies, status, by_user)
    return pdf, statuses


def record_print(batch, template_name, copies, status, by_user):
    """Keep one print of labels with the claim they carried; the batch's story gains "labelled"."""
    LabelPrint.create(batch=batch, template=template_name, copies=copies, user=by_user,
                      certification_state=status.state,
                      certificate_number=status.certificate.number if status.certificate else "")
    BatchEvent.create(batch=batch, kind="labelled", user=by_user)


def labels_pdf(contents_with_copies, template_name, language="th", skip=0):
    """A PDF of labels: for each (LabelContent, copies), that many labels, after `skip` used places.

    `skip` leaves the first places of the first A4 sheet empty, so a half-used sheet can go
    through the printer again.
    """
    template = TEMPLATES[template_name]
    register_fonts()
    buffer = io.BytesIO()
    canvas = pdf_canvas.Canvas(buffer, pagesize=template.page_size, pageCompression=1)
    canvas.setTitle(_("Batch labels"))
    canvas.setCreator("Khlong Hae Green Market")
    with force_locale(language):
        place = skip % template.per_page
        for index, (content, copies) in enumerate(contents_with_copies):
            form = f"label{index}"
            if copies > 1:
                canvas.beginForm(form, lowerx=0, lowery=0, upperx=template.label_width, uppery=template.label_height)
                _draw_label(canvas, template, content, language)
                canvas.endForm()
            for _copy in range(copies):
                if place == template.per_page:
                    canvas.showPage()
                    place = 0
                column, row = place % template.columns, place // template.columns
                x = template.left + column * template.label_width
                y = template.page_size[1] - template.top - (row + 1) * template.label_height
                canvas.saveState()
                canvas.translate(x, y)
                if copies > 1:
                    canvas.doForm(form)
                else:
                    _draw_label_once(canvas, template, content, language)
                canvas.restoreState()
                place += 1
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_label_once(canvas, template, content, language):
    """A label printed once, drawn straight on the page and clipped to its place as a form would be.

    A form per label costs its own object, dictionary and stream when the PDF is saved: with a
    thousand different batches that was a quarter of the time.
    """
    edge = canvas.beginPath()
    edge.rect(0, 0, template.label_width, template.label_height)
    canvas.clipPath(edge, stroke=0, fill=0)
    _draw_label(canvas, template, content, language)


NAME_LEADING = 1.2
DETAIL_LEADING = 1.3
SMALLEST_NAME = 5  # points; below this a label printer's dots no longer make Thai legible


def _fit_name(name, width, height, largest):
    """The product name's lines and size: the largest size whose wrapped lines fit `height`, or None."""
    size = largest
    while size >= SMALLEST_NAME:
        lines = wrap_lines(name, width, size, FONT_BOLD)
        if len(lines) * size * NAME_LEADING <= height:
            return lines, size
        size -= 0.5
    return None


def _draw_label(canvas, template, content, language):
    """One label in its own coordinates: QR on the left, the words on the right.

    The price, claim and code sit at the bottom; the product name and details fill the space
    above them. A long name wraps and shrinks; if even the smallest size needs more room, the
    details give way one by one (the trace page has them all), never the name.
    """
    pad = template.padding
    qr_y = (template.label_height - template.qr_size) / 2
    draw_qr(canvas, pad * 0.4, qr_y, template.qr_size, content.url, mask_pattern=LABEL_QR_MASK)
    left = pad * 0.4 + template.qr_size + pad * 0.4
    width = template.label_width - left - pad
    small = template.small_size
    price_size = small + 1

    bottom = pad * 0.7
    bottom_block = template.code_size * 1.15
    if content.claim != "none":
        bottom_block += small * 1.7
    if content.price:
        bottom_block += price_size * 1.2
    top = template.label_height - pad
    room = top - bottom - bottom_block

    details = [content.household, content.village, content.harvested]
    if language == "en" and content.product_name_en:
        details.insert(0, content.product_name_en)
    while True:
        fitted = _fit_name(content.product_name, width, room - len(details) * small * DETAIL_LEADING,
                           template.name_size)
        if fitted or not details:
            break
        details.pop(1 if len(details) > 1 else 0)  # the village first, then the next detail
    lines, size = fitted or (wrap_lines(content.product_name, width, SMALLEST_NAME, FONT_BOLD), SMALLEST_NAME)

    canvas.setFillColor(colors.black)
    y = draw_lines(canvas, left, top - size, lines, size, FONT_BOLD, align="left", leading=NAME_LEADING)
    canvas.setFillColor(GREY)
    for text in details:
        y -= small * DETAIL_LEADING
        line, line_size = shorten_to_fit(text, width, small, small * 0.8)
        draw_text(canvas, left, y, line, line_size)

    canvas.setFillColor(colors.black)
    code_text = codes.format_code(content.code)
    draw_text(canvas, left, bottom, code_text, fit_size(code_text, width, template.code_size, 6, FONT_BOLD), FONT_BOLD)
    above_code = bottom + template.code_size * 1.15
    if content.claim != "none":
        _draw_claim(canvas, left, above_code, width, small, content)
        above_code += small * 1.7
    if content.price:
        line, line_size = shorten_to_fit(content.price, width, price_size, small * 0.75, FONT_BOLD)
        draw_text(canvas, left, above_code, line, line_size, FONT_BOLD)


def _draw_claim(canvas, x, y, width, size, content):
    """The certified mark: filled green, with a tick."""
    height = size * 1.45
    text_size = fit_size(content.claim_text, width - size * 1.6, size, size * 0.7, FONT_BOLD)
    canvas.saveState()
    canvas.setFillColor(GREEN)
    canvas.roundRect(x, y - size * 0.3, width, height, size * 0.3, stroke=0, fill=1)
    canvas.setStrokeColor(colors.white)
    canvas.setLineWidth(size * 0.14)
    tick = canvas.beginPath()
    tick.moveTo(x + size * 0.3, y + size * 0.45)
    tick.lineTo(x + size * 0.6, y + size * 0.15)
    tick.lineTo(x + size * 1.1, y + size * 0.85)
    canvas.drawPath(tick, stroke=1, fill=0)
    canvas.setFillColor(colors.white)
    draw_text(canvas, x + size * 1.35, y + size * 0.08, content.claim_text, text_size, FONT_BOLD)
    canvas.restoreState()
