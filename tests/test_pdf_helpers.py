"""The PDF helpers every document uses: shaped Thai text in Sarabun and vector QR codes that scan."""
import io

import pypdfium2
import pytest
import zxingcpp
from reportlab.pdfbase.ttfonts import shapeStr
from reportlab.pdfgen import canvas as pdf_canvas

from core.pdf import FONT, draw_text, fit_size, register_fonts, text_width
from core.qr import draw_qr


def render(pdf_bytes, dpi=200):
    """Rasterise every page of a PDF, as a printer or a phone camera would see it."""
    document = pypdfium2.PdfDocument(pdf_bytes)
    return [page.render(scale=dpi / 72).to_pil() for page in document]


def make_pdf(draw, size=(300, 300)):
    out = io.BytesIO()
    canvas = pdf_canvas.Canvas(out, pagesize=size, invariant=1, pageCompression=0)
    draw(canvas)
    canvas.save()
    return out.getvalue()


@pytest.mark.parametrize("size_pt", [40, 72, 200])
def test_vector_qr_decodes_at_print_sizes(size_pt):
    """A QR drawn as vectors decodes to exactly its URL, from a 14 mm label to a certificate."""
    url = "https://market.example/b/7KXQ-M4PZ"
    pdf = make_pdf(lambda c: draw_qr(c, 10, 10, size_pt, url), size=(size_pt + 20, size_pt + 20))
    assert b"/Subtype /Image" not in pdf, "the QR must be vectors, not a raster image"
    (image,) = render(pdf, dpi=300)
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [url]


def test_thai_text_is_shaped_and_embedded():
    """Thai drawn through draw_text embeds Sarabun and shapes combining marks (no raw tone marks left over)."""
    text = "น้ำผึ้งชันโรง ปู่ย่าที่นี่"
    pdf = make_pdf(lambda c: draw_text(c, 10, 150, text, 18))
    assert b"Sarabun" in pdf
    page = pypdfium2.PdfDocument(pdf)[0]
    extracted = page.get_textpage().get_text_range()
    # Shaping swaps some marks for positioned glyph variants, so the base letters stay
    # readable while a few marks map to private-use code points in the text layer.
    for letter in "นผงชันโรปยาที":
        assert letter in extracted


def test_fit_size_shrinks_long_names_to_the_width():
    """A long Thai product name gets a smaller size that fits; a short one keeps its size."""
    long_name = "ผักกาดหอมอินทรีย์ปลอดสารพิษจากแปลงริมคลองหมู่ที่สาม"
    size = fit_size(long_name, 150, 14, 6)
    assert size < 14 and text_width(long_name, size, FONT) <= 150
    assert fit_size("คะน้า", 150, 14, 6) == 14


def test_draw_text_writes_what_reportlab_writes_when_lines_repeat_across_documents():
    """Reused text operators are ReportLab's own, in each document's own font subset.

    The second document starts its subset in another order, so an encoding carried over from
    the first would show the wrong glyphs.
    """
    lines = [("สวนผักป้าศรี", 7, "left"), ("น้ำผึ้งชันโรง", 11, "centre"), ("฿60.00 ต่อ กก.", 8, "right"),
             ("สวนผักป้าศรี", 7, "left")]

    def with_draw_text(order):
        def draw(c):
            for n, i in enumerate(order):
                text, size, align = lines[i]
                draw_text(c, 150, 20 + 30 * n, text, size, align=align)
        return make_pdf(draw)

    def with_reportlab(order):
        def draw(c):
            register_fonts()
            for n, i in enumerate(order):
                text, size, align = lines[i]
                c.setFont(FONT, size)
                shaped = shapeStr(text, FONT, size)
                {"left": c.drawString, "centre": c.drawCentredString, "right": c.drawRightString}[align](
                    150, 20 + 30 * n, shaped)
        return make_pdf(draw)

    for order in ([0, 1, 2, 3], [2, 1, 3, 0]):
        assert with_draw_text(order) == with_reportlab(order)
