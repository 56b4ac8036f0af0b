"""The certificate and the inspection report as PDFs: pure functions from domain values to bytes.

They take a certificate or an inspection (and the base URL and language) and return the PDF;
they never read the request, never speak HTTP, and never print personal data: a household
appears only by its public name, code and village, never by phone, national ID, disadvantaged
flags or the head's name. The caller runs them inside an app context, for Flask-Babel.
Thai is drawn only through core.pdf (draw_text, paragraph_style), which shapes it with HarfBuzz.
"""
import io

from flask_babel import force_locale
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import (
    Frame,
    Image,
    KeepTogether,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from certificates import evidence, standards
from certificates.certification import effective_status, today
from certificates.models import (
    CERTIFICATION_KINDS,
    CHECK_RESULTS,
    EVIDENCE_VIEWS,
    OUTCOMES,
    SEVERITIES,
    CertificatePlot,
    CertificateProduct,
    ChecklistResult,
    Decision,
    InspectionInspector,
    NonCompliance,
)
from core.i18n import format_area, format_date, format_datetime, local_name
from core.models import CATEGORIES, UNITS, Plot, Product
from core.pdf import (
    FONT,
    FONT_BOLD,
    GREEN,
    LIGHT_GREEN,
    RULE_GREY,
    TABLE_STYLE,
    draw_lines,
    draw_text,
    fit_lines,
    fit_size,
    paragraph_style,
    text_width,
    wrap_lines,
    wrapped_paragraph,
)
from core.qr import draw_qr

PAGE_WIDTH, PAGE_HEIGHT = A4
GOLD = colors.HexColor("#b38b2d")
RED = colors.HexColor("#b3261e")
GREY = colors.HexColor("#555555")
DARK_GREY = colors.HexColor("#333333")

# Big enough to scan from a certificate framed on a wall, small enough to leave the signatures
# their room; the size includes the QR's white quiet zone.
QR_SIZE = 32 * mm
CERTIFICATE_MARGIN = 62  # points between the page edge and the text, inside the border
REPORT_MARGIN = 16 * mm
SIGNATURE_ROW_HEIGHT = 30  # about 10 mm: room to sign by hand
SIGNATURES_TOP = 242  # the body of page one ends above this line; signatures and QR are below
MIN_GAP, MAX_GAP = 10, 40  # space between the blocks of page one's body
SCOPE_SIZES = (10.5, 9.5, 8.5)  # font sizes tried for the scope table before it goes to an annex
MAX_CONDITION_LINES = 4  # longer conditions go to the annex with the scope


# --- The certificate --------------------------------------------------------------------------


def certificate_pdf(certificate, base_url, language="th"):
    """The printable A4 certificate, in Thai or English, with the QR of its verification page."""
    with force_locale(language):
        return _CertificateDrawing(certificate, base_url.rstrip("/")).build()


class _CertificateDrawing:
    """Draws one certificate; an annex page follows only when the scope or conditions overflow."""

    def __init__(self, certificate, base_url):
        self.certificate = certificate
        self.household = certificate.household
        self.url = f"{base_url}/c/{certificate.number}"
        self.status = effective_status(certificate)
        self.printed_on = today()
        self.left = CERTIFICATE_MARGIN
        self.right = PAGE_WIDTH - CERTIFICATE_MARGIN
        self.width = self.right - self.left
        self.centre = PAGE_WIDTH / 2
        self.products = list(
            Product.select().join(CertificateProduct)
            .where(CertificateProduct.certificate == certificate).order_by(Product.name_th)
        )
        self.plots = list(
            Plot.select().join(CertificatePlot)
            .where(CertificatePlot.certificate == certificate).order_by(Plot.name)
        )

    def build(self):
        out = io.BytesIO()
        canvas = pdf_canvas.Canvas(out, pagesize=A4, pageCompression=1)
        canvas.setTitle(_("Organic Certificate") + f" {self.certificate.number}")
        canvas.setAuthor(local_name(self.certificate.body))
        canvas.setSubject(local_name(self.certificate.standard))
        self.canvas = canvas
        self._border()
        top = self._heading()
        if self.status != "active":
            top = self._status_banner(top)
        needs_annex = self._body(top, SIGNATURES_TOP)
        self._signatures()
        self._footer()
        if self.status != "active":
            self._watermark()
        if needs_annex:
            canvas.showPage()
            self._annex()
        canvas.showPage()
        canvas.save()
        return out.getvalue()

    # Frame and ornaments.

    def _border(self):
        c = self.canvas
        c.saveState()
        c.setStrokeColor(GREEN)
        c.setLineWidth(3)
        c.rect(22, 22, PAGE_WIDTH - 44, PAGE_HEIGHT - 44)
        c.setStrokeColor(GOLD)
        c.setLineWidth(0.8)
        c.rect(30, 30, PAGE_WIDTH - 60, PAGE_HEIGHT - 60)
        c.setFillColor(GOLD)
        for x in (30, PAGE_WIDTH - 30):
            for y in (30, PAGE_HEIGHT - 30):
                self._diamond(x, y, 6)
        c.restoreState()

    def _diamond(self, x, y, r):
        path = self.canvas.beginPath()
        path.moveTo(x, y + r)
        path.lineTo(x + r, y)
        path.lineTo(x, y - r)
        path.lineTo(x - r, y)
        path.close()
        self.canvas.drawPath(path, stroke=0, fill=1)

    def _rule(self, y, half_width):
        """A gold rule with a diamond in the middle, under the title."""
        c = self.canvas
        c.saveState()
        c.setStrokeColor(GOLD)
        c.setFillColor(GOLD)
        c.setLineWidth(0.8)
        c.line(self.centre - half_width, y, self.centre - 8, y)
        c.line(self.centre + 8, y, self.centre + half_width, y)
        self._diamond(self.centre, y, 3.5)
        c.restoreState()

    def _emblem(self, cx, cy, r):
        """A seal: two rings and a leaf, drawn as vectors."""
        c = self.canvas
        c.saveState()
        c.setStrokeColor(GREEN)
        c.setLineWidth(1.6)
        c.circle(cx, cy, r)
        c.setStrokeColor(GOLD)
        c.setLineWidth(0.6)
        c.circle(cx, cy, r - 4)
        leaf = c.beginPath()
        tip, base = (cx + r * 0.42, cy + r * 0.48), (cx - r * 0.42, cy - r * 0.42)
        leaf.moveTo(*base)
        leaf.curveTo(cx - r * 0.55, cy + r * 0.25, cx + r * 0.05, cy + r * 0.62, *tip)
        leaf.curveTo(cx + r * 0.52, cy - r * 0.05, cx + r * 0.05, cy - r * 0.5, *base)
        leaf.close()
        c.setFillColor(GREEN)
        c.drawPath(leaf, stroke=0, fill=1)
        c.setStrokeColor(colors.white)
        c.setLineWidth(1.1)
        vein = c.beginPath()
        vein.moveTo(base[0] + r * 0.08, base[1] + r * 0.08)
        vein.curveTo(cx - r * 0.05, cy, cx + r * 0.15, cy + r * 0.25, tip[0] - r * 0.1, tip[1] - r * 0.1)
        c.drawPath(vein, stroke=1, fill=0)
        c.setStrokeColor(GREEN)
        c.setLineWidth(1.4)
        c.line(base[0], base[1], base[0] - r * 0.14, base[1] - r * 0.14)
        c.restoreState()

    def _watermark(self):
        """A faint diagonal stamp, so a photo of a suspended certificate cannot pass for a valid one."""
        c = self.canvas
        word = self._status_word()
        c.saveState()
        c.translate(self.centre, PAGE_HEIGHT / 2 - 40)
        c.rotate(35)
        c.setFillColor(RED)
        c.setFillAlpha(0.10)
        size = fit_size(word, PAGE_WIDTH * 0.85, 96, 40, FONT_BOLD)
        draw_text(c, 0, -size / 3, word, size, FONT_BOLD, "centre")
        c.restoreState()

    # Page one, top to bottom; each step returns the baseline it ended on.

    def _heading(self):
        c = self.canvas
        self._emblem(self.centre, PAGE_HEIGHT - 86, 30)
        body = local_name(self.certificate.body)
        c.setFillColor(GREEN)
        size = fit_size(body, self.width, 13, 9, FONT_BOLD)
        draw_text(c, self.centre, PAGE_HEIGHT - 142, body, size, FONT_BOLD, "centre")
        title = _("Organic Certificate")
        size = fit_size(title, self.width, 30, 20, FONT_BOLD)
        draw_text(c, self.centre, PAGE_HEIGHT - 183, title, size, FONT_BOLD, "centre")
        self._rule(PAGE_HEIGHT - 205, 150)  # low enough to clear the tail of ฐ and ญ
        c.setFillColor(colors.black)
        number = _("Certificate No. %(number)s", number=self.certificate.number)
        draw_text(c, self.centre, PAGE_HEIGHT - 228, number, 13, FONT, "centre")
        return PAGE_HEIGHT - 236

    def _status_word(self):
        return {
            "suspended": _("SUSPENDED"),
            "revoked": _("REVOKED"),
            "expired": _("EXPIRED"),
        }.get(self.status, _("NOT YET VALID"))

    def _status_detail(self):
        certificate = self.certificate
        if self.status == "suspended":
            if certificate.suspended_until:
                return _("Suspended until %(date)s", date=format_date(certificate.suspended_until))
            return _("Suspended until further notice")
        if self.status == "revoked":
            return _("This certificate is no longer valid.")
        if self.status == "expired":
            return _("Expired on %(date)s", date=format_date(certificate.valid_until))
        return _("Valid from %(date)s", date=format_date(certificate.issued_on))

    def _status_banner(self, top):
        c = self.canvas
        top, height = top - 8, 52
        c.saveState()
        c.setFillColor(RED)
        c.roundRect(self.left, top - height, self.width, height, 5, stroke=0, fill=1)
        c.setFillColor(colors.white)
        draw_text(c, self.centre, top - 25, self._status_word(), 19, FONT_BOLD, "centre")
        detail = "{}  ·  {}".format(
            self._status_detail(), _("Status on %(date)s", date=format_date(self.printed_on)))
        size = fit_size(detail, self.width - 20, 11, 8)
        draw_text(c, self.centre, top - 42, detail, size, FONT, "centre")
        c.restoreState()
        return top - height - 4

    # The body of page one is a column of measured blocks: (height, draw(top)). The space left
    # between the heading and the signatures is shared out between the groups of blocks, so a
    # short scope does not leave a hole and a long one still fits.

    def _text(self, lines, size, font=FONT, color=colors.black, align="centre", leading=1.3):
        def draw(top):
            self.canvas.setFillColor(color)
            x = {"centre": self.centre, "left": self.left}[align]
            draw_lines(self.canvas, x, top - size, lines, size, font, align, leading)
            self.canvas.setFillColor(colors.black)
        return size * leading * len(lines), draw

    def _stack(self, *blocks, gap=0):
        """Several blocks as one, `gap` points apart."""
        height = sum(h for h, _draw in blocks) + gap * (len(blocks) - 1)

        def draw(top):
            for block_height, block_draw in blocks:
                block_draw(top)
                top -= block_height + gap
        return height, draw

    def _body(self, top, bottom):
        """Lay out holder, standard, scope, conditions and dates between `top` and `bottom`; True if an annex is needed."""
        room = top - bottom
        for size in SCOPE_SIZES:  # shrink a long scope before sending it to an annex
            groups = [self._holder(), self._standard(), self._scope(size), self._dates()]
            needs_annex = sum(h for h, _draw in groups) + MIN_GAP * (len(groups) - 1) > room
            if not needs_annex:
                break
        if needs_annex:
            groups[2] = self._section(self._text(
                wrap_lines(_("See the annex on page 2 for the products, plots and conditions."), self.width, 11),
                11, color=GREY))
        spare = room - sum(h for h, _draw in groups)
        gaps = len(groups) - 1
        # As much space above and below as between the blocks, but the blocks get MIN_GAP first.
        gap = min(MAX_GAP, max(spare / (gaps + 2), min(MIN_GAP, spare / gaps)))
        top -= (spare - gap * gaps) / 2  # centre what is left over
        for height, draw in groups:
            draw(top)
            top -= height + gap
        return needs_annex

    def _holder(self):
        name_lines, name_size = fit_lines(self.household.public_name, self.width, 27, 14, 2, FONT_BOLD)
        village = _("Village %(no)s, Khlong Hae Subdistrict, Hat Yai District, Songkhla Province",
                    no=self.household.village_no)
        return self._stack(
            self._text([_("This is to certify that")], 13, color=GREY),
            self._text(name_lines, name_size, FONT_BOLD, GREEN, leading=1.25),
            self._text([village], fit_size(village, self.width, 13, 9)),
            gap=4,
        )

    def _standard(self):
        statement = _("has been inspected and is certified as an organic producer under the standard")
        lines, size = fit_lines(local_name(self.certificate.standard), self.width, 15, 10, 2, FONT_BOLD)
        return self._stack(
            self._text([statement], fit_size(statement, self.width, 13, 9)),
            self._text(lines, size, FONT_BOLD, GREEN),
            gap=2,
        )

    def _section(self, content):
        """A block under the "Scope of certification" heading with its side rules."""
        title = _("Scope of certification")

        def heading(top):
            c = self.canvas
            y = top - 13
            c.setFillColor(GREEN)
            draw_text(c, self.centre, y, title, 13, FONT_BOLD, "centre")
            half = text_width(title, 13, FONT_BOLD) / 2 + 10
            c.setStrokeColor(RULE_GREY)
            c.setLineWidth(0.5)
            c.line(self.left, y + 4, self.centre - half, y + 4)
            c.line(self.centre + half, y + 4, self.right, y + 4)
            c.setFillColor(colors.black)
        return self._stack((20, heading), content, gap=6)

    def _scope(self, size):
        """Products and plots side by side, then the conditions, under the section heading."""
        products, plots = self._scope_tables(self.width, size)
        product_height = products.wrapOn(self.canvas, self.width, PAGE_HEIGHT)[1]
        plot_height = plots.wrapOn(self.canvas, self.width, PAGE_HEIGHT)[1]

        def draw_tables(top):
            products.drawOn(self.canvas, self.left, top - product_height)
            plots.drawOn(self.canvas, self.right - self.width * 0.38, top - plot_height)
        blocks = [(max(product_height, plot_height), draw_tables)]
        conditions = self.certificate.conditions.strip()
        if conditions:
            lines = wrap_lines(f"{_('Conditions')}: {conditions}", self.width, size)
            if len(lines) > MAX_CONDITION_LINES:
                return PAGE_HEIGHT, None  # never fits: the caller moves it all to the annex
            blocks.append(self._text(lines, size, align="left", leading=1.36))
        return self._section(self._stack(*blocks, gap=10))

    def _dates(self):
        """Two framed boxes side by side: issued on, valid until."""
        height = 50

        def draw(top):
            c = self.canvas
            y = top - height
            box = (self.width - 24) / 2
            for index, (label, value) in enumerate([
                (_("Issued on"), format_date(self.certificate.issued_on)),
                (_("Valid until"), format_date(self.certificate.valid_until)),
            ]):
                x = self.left + index * (box + 24)
                c.setStrokeColor(GOLD)
                c.setFillColor(LIGHT_GREEN)
                c.setLineWidth(0.8)
                c.roundRect(x, y, box, height, 4, stroke=1, fill=1)
                c.setFillColor(GREY)
                draw_text(c, x + box / 2, y + height - 18, label, 10.5, FONT, "centre")
                c.setFillColor(GREEN)
                draw_text(c, x + box / 2, y + 11, value, 16, FONT_BOLD, "centre")
            c.setFillColor(colors.black)
        return height, draw

    def _scope_tables(self, width, size=10.5, product_share=0.60, plot_share=0.38):
        """The products and plots covered, as two tables side by side (or stacked in the annex)."""
        cell = paragraph_style("cert-cell", size=size, leading=size * 1.35)
        head = paragraph_style("cert-head", size=size, leading=size * 1.35, font=FONT_BOLD, textColor=GREEN)
        product_widths = [width * product_share * share for share in (0.50, 0.30, 0.20)]
        plot_widths = [width * plot_share * share for share in (0.56, 0.44)]

        def table(header, rows, widths):
            data = [[wrapped_paragraph(text, head, w - 8) for text, w in zip(header, widths)]]
            data += [[wrapped_paragraph(text, cell, w - 8) for text, w in zip(row, widths)] for row in rows]
            result = Table(data, colWidths=widths, repeatRows=1)
            result.setStyle(TABLE_STYLE)
            return result

        products = table(
            [_("Product"), _("Category"), _("Unit")],
            [[local_name(p), str(CATEGORIES.get(p.category, p.category)), str(UNITS.get(p.unit, p.unit))]
             for p in self.products] or [["—", "", ""]],
            product_widths,
        )
        plots = table(
            [_("Plot"), _("Area")],
            [[plot.name, format_area(plot.area_m2)] for plot in self.plots] or [["—", ""]],
            plot_widths,
        )
        return products, plots

    def _signatures(self):
        c = self.canvas
        roles = [_("Chair of the certification committee"), _("Committee member"), _("Inspector")]
        column = self.width / 3
        c.setStrokeColor(colors.black)
        c.setLineWidth(0.8)
        c.setDash(1, 2)
        size = min(fit_size(role, column - 8, 11, 9) for role in roles)
        for index, role in enumerate(roles):
            cx = self.left + column * (index + 0.5)
            half = column / 2 - 14
            c.line(cx - half, 222, cx + half, 222)
            draw_text(c, cx - half - 3, 203, "(", 11, FONT, "left")
            draw_text(c, cx + half + 3, 203, ")", 11, FONT, "right")
            c.line(cx - half + 6, 203, cx + half - 6, 203)
            draw_lines(c, cx, 186, wrap_lines(role, column - 8, size)[:2], size, FONT, "centre", leading=1.2)
        c.setDash()

    def _footer(self):
        c = self.canvas
        x, y = self.right - QR_SIZE, 58
        draw_qr(c, x, y, QR_SIZE, self.url)
        c.setFillColor(GREY)
        size = fit_size(self.url, QR_SIZE + 60, 7.5, 5.5)
        draw_text(c, x + QR_SIZE / 2, y - 8, self.url, size, FONT, "centre")
        c.setStrokeColor(RULE_GREY)
        c.setLineWidth(0.5)
        c.line(self.left, y + QR_SIZE + 10, x - 16, y + QR_SIZE + 10)
        text_width_left = x - 16 - self.left
        lines = wrap_lines(_("Scan the QR code to check this certificate's status today: "
                             "a certificate can be suspended or withdrawn after it is printed."),
                           text_width_left, 10)
        c.setFillColor(DARK_GREY)
        bottom = draw_lines(c, self.left, y + QR_SIZE - 8, lines, 10, FONT, "left")
        c.setFillColor(GREY)
        draw_text(c, self.left, bottom - 20, _("Printed on %(date)s", date=format_date(self.printed_on)),
                  9, FONT, "left")
        c.setFillColor(colors.black)

    def _annex(self):
        """Page two and on: the full scope and conditions, flowing over as many pages as they need."""
        c = self.canvas
        width = PAGE_WIDTH - 2 * REPORT_MARGIN
        products, plots = self._scope_tables(width, product_share=1.0, plot_share=1.0)
        story = [products, Spacer(1, 14), plots]
        conditions = self.certificate.conditions.strip()
        if conditions:
            heading = paragraph_style("annex-heading", size=13, font=FONT_BOLD, textColor=GREEN, spaceBefore=14)
            body = paragraph_style("annex-body", size=11)
            story.append(wrapped_paragraph(_("Conditions"), heading, width))
            story += [wrapped_paragraph(line, body, width) for line in conditions.splitlines() if line.strip()]
        title = _("Annex to certificate %(number)s: scope of certification", number=self.certificate.number)
        title_size = fit_size(title, width, 14, 9, FONT_BOLD)
        while True:
            self._border()
            c.setFillColor(GREEN)
            draw_text(c, REPORT_MARGIN, PAGE_HEIGHT - REPORT_MARGIN, title, title_size, FONT_BOLD, "left")
            c.setFillColor(colors.black)
            frame = Frame(REPORT_MARGIN, REPORT_MARGIN, width, PAGE_HEIGHT - 2 * REPORT_MARGIN - 14,
                          leftPadding=0, rightPadding=0, showBoundary=0)
            _fill_frame(frame, story, c)
            if not story:
                return
            c.showPage()


def _fill_frame(frame, story, canvas):
    """Add flowables from the front of `story` to `frame`, splitting the one that reaches the bottom."""
    placed = False
    while story:
        if frame.add(story[0], canvas):
            story.pop(0)
            placed = True
            continue
        parts = frame.split(story[0], canvas)
        if parts and frame.add(parts[0], canvas):
            story[0:1] = parts[1:]
            placed = True
        if not placed:
            raise ValueError("a flowable is too large for a whole page")
        return




# --- The inspection report --------------------------------------------------------------------


def _criterion_text(requirement):
    """A criterion as the report prints it: topic, text, and whether failing it blocks approval."""
    text = local_name(requirement, "text")
    topic = local_name(requirement, "topic")
    if topic:
        text = f"{topic}: {text}"
    if requirement.critical:
        text = f"{text} ({_('critical')})"
    return text


# Photos are printed at about 200 dpi: sharp on paper, a fraction of the stored file's size.
REPORT_PHOTO_PIXELS = 700


def _named_household(household):
    """A household in a report's text: "display name (code)", or its code alone when it chose no name."""
    return f"{household.display_name} ({household.code})" if household.display_name else household.code


def _report_photo(path, width):
    """A stored photo fitted into a `width`-point square, downsampled for print."""
    from PIL import Image as PILImage

    with PILImage.open(path) as picture:
        picture = picture.convert("RGB")
        picture.thumbnail((REPORT_PHOTO_PIXELS, REPORT_PHOTO_PIXELS))
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=80)
        scale = width / max(picture.width, picture.height)
        size = (picture.width * scale, picture.height * scale)
    out.seek(0)
    return Image(out, width=size[0], height=size[1])


def inspection_report_pdf(inspection, language="th"):
    """The A4 report of a recorded inspection: checklist, findings, non-compliances, decision, signatures."""
    with force_locale(language):
        return _InspectionReport(inspection).build()


class _InspectionReport:
    """Builds the report with platypus, so a long checklist flows over pages with its header repeated."""

    def __init__(self, inspection):
        self.inspection = inspection
        self.household = inspection.household
        self.width = PAGE_WIDTH - 2 * REPORT_MARGIN
        self.body = paragraph_style("report-body", size=10.5, leading=15)
        self.small = paragraph_style("report-small", size=9, leading=12.5, textColor=GREY)
        self.bold = paragraph_style("report-bold", size=10.5, leading=15, font=FONT_BOLD)
        self.head = paragraph_style("report-head", size=10, leading=14, font=FONT_BOLD, textColor=GREEN)
        self.section = paragraph_style("report-section", size=13.5, leading=19, font=FONT_BOLD,
                                       textColor=GREEN, spaceBefore=9, spaceAfter=4)
        self.title = paragraph_style("report-title", size=20, leading=27, font=FONT_BOLD, textColor=GREEN)
        self.printed_on = today()

    def build(self):
        out = io.BytesIO()
        title = _("Inspection report")
        document = SimpleDocTemplate(
            out, pagesize=A4, leftMargin=REPORT_MARGIN, rightMargin=REPORT_MARGIN,
            topMargin=REPORT_MARGIN, bottomMargin=REPORT_MARGIN + 8,
            title=f"{title} {self.household.code}", author=local_name(self.inspection.body),
            subject=local_name(self.inspection.standard),
        )
        story = [
            *self._title(title),
            *self._facts(),
            *self._checklist(),
            *self._findings(),
            *self._non_compliances(),
            *self._evidence(),
            *self._decision(),
            *self._inspectors(),
        ]
        footer = self._footer_text()
        document.build(story, canvasmaker=lambda *args, **kwargs: _NumberedCanvas(*args, footer=footer, **kwargs))
        return out.getvalue()

    def _p(self, text, style, width):
        return wrapped_paragraph(text or "—", style, width)

    def _title(self, title):
        return [
            self._p(title, self.title, self.width),
            self._p(local_name(self.inspection.body), self.small, self.width),
            Spacer(1, 10),
        ]

    def _facts(self):
        inspection = self.inspection
        label_width = self.width * 0.22
        facts = [
            (_("Household"), _named_household(self.household)),
            (_("Location"), _("Village %(no)s, Khlong Hae Subdistrict, Hat Yai District, Songkhla Province",
                             no=self.household.village_no)),
            (_("Standard"), _("%(standard)s, version %(number)s", standard=local_name(inspection.standard),
                              number=inspection.version.number)),
            (_("Certifying body"), local_name(inspection.body)),
            (_("Type of inspection"), str(CERTIFICATION_KINDS.get(inspection.kind, inspection.kind))),
            (_("Scheduled for"), format_date(inspection.scheduled_for)),
            (_("Inspected on"), format_date(inspection.inspected_on) or "—"),
        ]
        rows = [[self._p(label, self.head, label_width - 8),
                 self._p(value, self.body, self.width - label_width - 8)] for label, value in facts]
        table = Table(rows, colWidths=[label_width, self.width - label_width])
        table.setStyle(TableStyle([
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE_GREY),
            ("LINEABOVE", (0, 0), (-1, 0), 0.8, GREEN),
            ("BACKGROUND", (0, 0), (0, -1), LIGHT_GREEN),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ("TOPPADDING", (0, 0), (-1, -1), 1),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]))
        return [table]

    def _checklist(self):
        requirements = standards.criteria(self.inspection.version_id)
        results = {r.requirement_id: r for r in ChecklistResult.select().where(ChecklistResult.inspection == self.inspection)}
        widths = [self.width * share for share in (0.07, 0.53, 0.14, 0.26)]
        header = [_("Item"), _("Requirement"), _("Result"), _("Note")]
        rows = [[self._p(text, self.head, w - 8) for text, w in zip(header, widths)]]
        counts = dict.fromkeys(CHECK_RESULTS, 0)
        result_styles = {
            "pass": paragraph_style("result-pass", size=10.5, leading=15, font=FONT_BOLD, textColor=GREEN),
            "fail": paragraph_style("result-fail", size=10.5, leading=15, font=FONT_BOLD, textColor=RED),
            "na": paragraph_style("result-na", size=10.5, leading=15, textColor=GREY),
        }
        for requirement in requirements:
            result = results.get(requirement.id)
            if result is not None and result.result in counts:
                counts[result.result] += 1
                word, style = str(CHECK_RESULTS[result.result]), result_styles[result.result]
            else:
                word, style = "—", self.body
            rows.append([
                self._p(str(requirement.position), self.body, widths[0] - 8),
                self._p(_criterion_text(requirement), self.body, widths[1] - 8),
                self._p(word, style, widths[2] - 8),
                self._p(result.note if result else "", self.small, widths[3] - 8),
            ])
        table = Table(rows, colWidths=widths, repeatRows=1, splitInRow=1)  # a long note may run over the page
        table.setStyle(TABLE_STYLE)
        summary = _("%(passed)s passed, %(failed)s failed, %(na)s not applicable",
                    passed=counts["pass"], failed=counts["fail"], na=counts["na"])
        return [
            self._p(_("Checklist"), self.section, self.width),
            table,
            Spacer(1, 4),
            self._p(summary, self.small, self.width),
        ]

    def _findings(self):
        return [
            self._p(_("Findings"), self.section, self.width),
            *[self._p(part, self.body, self.width) for part in (self.inspection.findings.strip() or "—").split("\n\n")],
        ]

    def _non_compliances(self):
        items = list(NonCompliance.select().where(NonCompliance.inspection == self.inspection).order_by(NonCompliance.id))
        heading = self._p(_("Non-compliances and corrective actions"), self.section, self.width)
        if not items:
            return [heading, self._p(_("No non-compliance was found."), self.body, self.width)]
        widths = [self.width * share for share in (0.08, 0.31, 0.13, 0.30, 0.18)]
        header = [_("No."), _("Non-compliance"), _("Severity"), _("Corrective action"), _("Due")]
        rows = [[self._p(text, self.head, w - 8) for text, w in zip(header, widths)]]
        for index, item in enumerate(items, start=1):
            due = format_date(item.due_on) or "—"
            if item.resolved_on:
                due = f"{due}\n" + _("resolved %(date)s", date=format_date(item.resolved_on))
            severity_style = self.bold if item.severity in ("major", "critical") else self.body
            rows.append([
                self._p(str(index), self.body, widths[0] - 8),
                self._p(item.description, self.body, widths[1] - 8),
                self._p(str(SEVERITIES.get(item.severity, item.severity)), severity_style, widths[2] - 8),
                self._p(item.corrective_action, self.body, widths[3] - 8),
                self._p(due, self.body, widths[4] - 8),
            ])
        table = Table(rows, colWidths=widths, repeatRows=1, splitInRow=1)  # a long note may run over the page
        table.setStyle(TABLE_STYLE)
        return [heading, table]

    def _evidence(self):
        """The photos, two to a row with what each shows, and the documents by name."""
        items = evidence.of_inspection(self.inspection)
        heading = self._p(_("Photos and documents"), self.section, self.width)
        if not items:
            return [heading, self._p(_("No photo or document was kept."), self.body, self.width)]
        cell = (self.width - 12) / 2
        cells, documents = [], []
        for item in items:
            label = " · ".join(part for part in (
                str(EVIDENCE_VIEWS.get(item.view, "")),
                _("checklist item %(n)s", n=item.requirement.position) if item.requirement_id else "",
                item.caption) if part)
            if item.kind != "image":
                documents.append(self._p(f"{item.original_name or item.sha256[:12]} — {label}".strip(" —"), self.body, self.width))
                continue
            cells.append([_report_photo(evidence.path_of(item), cell - 8), self._p(label or "—", self.small, cell - 8)])
        rows = [cells[i:i + 2] + [""] * (2 - len(cells[i:i + 2])) for i in range(0, len(cells), 2)]
        story = [heading]
        if rows:
            table = Table(rows, colWidths=[cell + 6, cell + 6])
            table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                       ("BOTTOMPADDING", (0, 0), (-1, -1), 8)]))
            story.append(table)
        if documents:
            story += [self._p(_("Documents"), self.bold, self.width), *documents]
        missing = evidence.missing_views(self.inspection)
        if missing:
            story.append(self._p(_("Required views not photographed: %(views)s",
                                   views=", ".join(str(EVIDENCE_VIEWS[v]) for v in missing)), self.bold, self.width))
        return story

    def _decision(self):
        decision = Decision.get_or_none(Decision.inspection == self.inspection)
        heading = self._p(_("Decision"), self.section, self.width)
        if decision is None:
            return [heading, self._p(_("The committee has not decided yet."), self.body, self.width)]
        parts = [
            heading,
            self._p(f"{_('Outcome')}: {OUTCOMES.get(decision.outcome, decision.outcome)}", self.bold, self.width),
            self._p(_("Decided on %(date)s", date=format_datetime(decision.decided_at)), self.small, self.width),
        ]
        if decision.conditions.strip():
            parts.append(self._p(f"{_('Conditions')}: {decision.conditions.strip()}", self.body, self.width))
        if decision.reason.strip():
            parts.append(self._p(f"{_('Reason')}: {decision.reason.strip()}", self.body, self.width))
        return parts

    def _inspectors(self):
        people = list(InspectionInspector.select().where(InspectionInspector.inspection == self.inspection)
                      .order_by(InspectionInspector.id))
        widths = [self.width * share for share in (0.08, 0.32, 0.27, 0.33)]
        header = [_("No."), _("Inspector"), _("Household code or organisation"), _("Signature")]
        rows = [[self._p(text, self.head, w - 8) for text, w in zip(header, widths)]]
        for index, person in enumerate(people, start=1):
            origin = person.household.code if person.household_id else (person.organisation or "—")
            rows.append([
                self._p(str(index), self.body, widths[0] - 8),
                self._p(person.name, self.body, widths[1] - 8),
                self._p(origin, self.body, widths[2] - 8),
                "",
            ])
        table = Table(rows, colWidths=widths, rowHeights=[None] + [SIGNATURE_ROW_HEIGHT] * len(people), repeatRows=1)
        table.setStyle(TableStyle([
            *[command for command in TABLE_STYLE.getCommands() if command[:2] != ("LINEBELOW", (0, 1))],
            ("VALIGN", (0, 1), (-1, -1), "BOTTOM"),
            # The signature cell is a dotted line to sign on.
            ("LINEBELOW", (3, 1), (3, -1), 0.8, colors.black, 0, (1, 2)),
            ("LEFTPADDING", (3, 1), (3, -1), 10),
        ]))
        note = _("By signing, each inspector confirms the checklist above records what they saw on the farm.")
        return [KeepTogether([
            self._p(_("Inspectors and signatures"), self.section, self.width),
            table,
            Spacer(1, 6),
            self._p(note, self.small, self.width),
        ])]

    def _footer_text(self):
        return "{} · {} · {}".format(
            _("Inspection report"), self.household.code,
            _("Printed on %(date)s", date=format_date(self.printed_on)),
        )


class _NumberedCanvas(pdf_canvas.Canvas):
    """A canvas that holds its pages back so each footer can say "page 2 of 5"."""

    def __init__(self, *args, footer="", **kwargs):
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._pages = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._draw_footer(number, total)
            super().showPage()
        super().save()

    def _draw_footer(self, number, total):
        self.saveState()
        self.setStrokeColor(RULE_GREY)
        self.setLineWidth(0.5)
        y = REPORT_MARGIN - 14  # below the frame, clear of the last row
        self.line(REPORT_MARGIN, y + 10, PAGE_WIDTH - REPORT_MARGIN, y + 10)
        self.setFillColor(GREY)
        page = _("Page %(page)s of %(pages)s", page=number, pages=total)
        right = PAGE_WIDTH - REPORT_MARGIN
        room = PAGE_WIDTH - 2 * REPORT_MARGIN - text_width(page, 8.5) - 20
        draw_text(self, REPORT_MARGIN, y, self._footer, fit_size(self._footer, room, 8.5, 6), FONT, "left")
        draw_text(self, right, y, page, 8.5, FONT, "right")
        self.restoreState()



def certification_file_pdf(household, language="th"):
    """The household's whole certification file for the certifying body, as one PDF: plots and
    conversion, the input and activity logs, every inspection with its screening, decision and
    evidence list, and every certificate with its history."""
    with force_locale(language):
        return _CertificationFile(household).build()


class _CertificationFile(_InspectionReport):
    """The file reuses the report's styles, footer and page numbering; its story is the household's."""

    def __init__(self, household):  # not super().__init__, which takes an inspection: the styles are set here
        self.household = household
        self.inspection = None
        self.width = PAGE_WIDTH - 2 * REPORT_MARGIN
        self.body = paragraph_style("file-body", size=9.5, leading=13.5)
        self.small = paragraph_style("file-small", size=8.5, leading=12, textColor=GREY)
        self.bold = paragraph_style("file-bold", size=9.5, leading=13.5, font=FONT_BOLD)
        self.head = paragraph_style("file-head", size=9, leading=13, font=FONT_BOLD, textColor=GREEN)
        self.section = paragraph_style("file-section", size=13.5, leading=19, font=FONT_BOLD,
                                       textColor=GREEN, spaceBefore=10, spaceAfter=4)
        self.subsection = paragraph_style("file-subsection", size=11, leading=16, font=FONT_BOLD, spaceBefore=6)
        self.title = paragraph_style("file-title", size=20, leading=27, font=FONT_BOLD, textColor=GREEN)
        self.printed_on = today()

    def build(self):
        out = io.BytesIO()
        document = SimpleDocTemplate(out, pagesize=A4, leftMargin=REPORT_MARGIN, rightMargin=REPORT_MARGIN,
                                     topMargin=REPORT_MARGIN, bottomMargin=REPORT_MARGIN + 8,
                                     title=f"{_('Certification file')} {self.household.code}")
        story = [
            self._p(_("Certification file"), self.title, self.width),
            self._p(f"{_named_household(self.household)} · "
                    + _("Village %(no)s, Khlong Hae Subdistrict, Hat Yai District, Songkhla Province",
                        no=self.household.village_no), self.body, self.width),
            *self._plots(), *self._inputs(), *self._activities(), *self._all_inspections(), *self._certificates(),
        ]
        footer = "{} · {} · {}".format(_("Certification file"), self.household.code,
                                       _("Printed on %(date)s", date=format_date(self.printed_on)))
        document.build(story, canvasmaker=lambda *args, **kwargs: _NumberedCanvas(*args, footer=footer, **kwargs))
        return out.getvalue()

    def _table(self, header, rows, shares):
        widths = [self.width * share for share in shares]
        cells = [[self._p(str(text), self.head, w - 8) for text, w in zip(header, widths)]]
        cells += [[self._p(str(text) if text is not None else "—", self.body, w - 8) for text, w in zip(row, widths)]
                  for row in rows]
        table = Table(cells, colWidths=widths, repeatRows=1, splitInRow=1)
        table.setStyle(TABLE_STYLE)
        return table

    def _plots(self):
        from certificates import records

        story = [self._p(_("Plots and conversion"), self.section, self.width)]
        conversions = records.plot_conversions(self.household)
        rows = []
        for plot in Plot.select().where(Plot.household == self.household).order_by(Plot.name):
            found = conversions.get(plot.id) or {}
            dated = [c for c in found.values() if c]
            start = (f"{format_date(dated[0].starts_on)} ({records.CONVERSION_BASES[dated[0].basis]})"
                     + (f", {_('verified at inspection on %(date)s', date=format_date(dated[0].verified_on))}"
                        if dated[0].verified_on else "")) if dated else _("No dated conversion")
            ends = "; ".join(f"{CATEGORIES[category]} {format_date(c.ends_on)}" for category, c in found.items() if c)
            rows.append([plot.name, format_area(plot.area_m2), start, ends or "—"])
        if not rows:
            return story + [self._p(_("No plots recorded."), self.body, self.width)]
        return story + [self._table([_("Plot"), _("Area"), _("Conversion from"), _("Conversion ends")], rows,
                                    (0.2, 0.18, 0.34, 0.28))]

    def _inputs(self):
        from certificates import inputs, records

        story = [self._p(_("Input log"), self.section, self.width)]
        entries = records.input_log(self.household)
        if not entries:
            return story + [self._p(_("No inputs recorded."), self.body, self.width)]
        rows = [[format_date(e.used_on), e.plot.name, e.name, str(inputs.ENTRY_STATES[e.state]),
                 f"{e.quantity if e.quantity is not None else '—'} {e.unit}".strip()] for e in entries]
        return story + [self._table([_("Date"), _("Plot"), _("Input"), _("Ruling"), _("Quantity")], rows,
                                    (0.16, 0.18, 0.3, 0.2, 0.16))]

    def _activities(self):
        from certificates import records
        from certificates.models import ACTIVITIES

        story = [self._p(_("Activity log"), self.section, self.width)]
        activities = list(records.activity_log(self.household))
        if not activities:
            return story + [self._p(_("No activities recorded."), self.body, self.width)]
        rows = [[format_date(a.done_on), a.plot.name if a.plot else "—", str(ACTIVITIES.get(a.activity, a.activity)),
                 local_name(a.product) if a.product else "—",
                 f"{a.quantity if a.quantity is not None else '—'} {a.unit}".strip()] for a in activities]
        return story + [self._table([_("Date"), _("Plot"), _("Activity"), _("Product"), _("Quantity")], rows,
                                    (0.16, 0.2, 0.24, 0.24, 0.16))]

    def _all_inspections(self):
        from certificates import inspections
        from certificates.models import INSPECTION_STATES, SCREENING_OUTCOMES, Inspection

        story = [self._p(_("Inspections"), self.section, self.width)]
        found = list(Inspection.select().where(Inspection.household == self.household)
                     .order_by(Inspection.scheduled_for, Inspection.id))
        if not found:
            return story + [self._p(_("No inspections yet."), self.body, self.width)]
        for inspection in found:
            self.inspection = inspection
            results = list(ChecklistResult.select().where(ChecklistResult.inspection == inspection))
            counts = {value: sum(1 for r in results if r.result == value) for value in CHECK_RESULTS}
            story += [
                self._p(_("Inspection of %(date)s", date=format_date(inspection.inspected_on or inspection.scheduled_for))
                        + f" · {inspection.standard.code} " + _("version %(number)s", number=inspection.version.number)
                        + f" · {INSPECTION_STATES.get(inspection.status, inspection.status)}", self.subsection, self.width),
                self._p(_("%(passed)s passed, %(failed)s failed, %(na)s not applicable",
                          passed=counts["pass"], failed=counts["fail"], na=counts["na"]), self.body, self.width),
            ]
            for result in results:
                if result.result == "fail":
                    story.append(self._p(f"✗ {_criterion_text(result.requirement)}", self.bold, self.width))
            for item in NonCompliance.select().where(NonCompliance.inspection == inspection):
                story.append(self._p(f"{SEVERITIES.get(item.severity, item.severity)}: {item.description} → "
                                     f"{item.corrective_action} ({format_date(item.due_on)})", self.body, self.width))
            for step in inspections.screenings(inspection):
                who = (step.reviewer.full_name or step.reviewer.username) if step.reviewer_id else "—"
                story.append(self._p(f"{_('Screening')}: {SCREENING_OUTCOMES[step.outcome]} · {who} · "
                                     f"{format_datetime(step.at)}" + (f" · {step.notes}" if step.notes else ""),
                                     self.body, self.width))
            story += self._decision()[1:]
            kept = evidence.of_inspection(inspection)
            if kept:
                rows = [[str(EVIDENCE_VIEWS.get(e.view, "")) or "—", e.caption or e.original_name or "—",
                         e.sha256[:12], format_datetime(e.uploaded_at)] for e in kept]
                story += [self._p(_("Photos and documents"), self.bold, self.width),
                          self._table([_("What it shows"), _("Caption"), _("Fingerprint (SHA-256)"), _("Kept on")], rows,
                                      (0.26, 0.34, 0.18, 0.22))]
        return story

    def _certificates(self):
        from certificates.models import CERTIFICATE_EVENTS, Certificate, CertificateEvent

        story = [self._p(_("Certificates"), self.section, self.width)]
        found = list(Certificate.select().where(Certificate.household == self.household).order_by(Certificate.number))
        if not found:
            return story + [self._p(_("No certificate yet."), self.body, self.width)]
        for certificate in found:
            scope = ", ".join(local_name(link.product) for link in certificate.scope_products)
            story.append(self._p(f"{certificate.number} · {format_date(certificate.issued_on)} – "
                                 f"{format_date(certificate.valid_until)} · {scope}", self.subsection, self.width))
            events = CertificateEvent.select().where(CertificateEvent.certificate == certificate).order_by(CertificateEvent.at)
            for event in events:
                story.append(self._p(f"{format_datetime(event.at)} · {CERTIFICATE_EVENTS.get(event.action, event.action)}"
                                     + (f" · {event.reason}" if event.reason else ""), self.body, self.width))
        return story
