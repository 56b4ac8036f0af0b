"""The one place that sets up PDF fonts and draws Thai text correctly.

Thai needs shaping: tone marks and upper vowels move depending on the letters around them.
ReportLab does this with HarfBuzz (uharfbuzz) when given a shaped string, so every Thai string
drawn on a canvas goes through `draw_text` (or a Paragraph with `paragraph_style`), never
through plain `canvas.drawString`. The font is Sarabun from the fontpkg-sarabun package.
"""
import os

import fontpkg_sarabun
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont, shapeStr

FONT = "Sarabun"
FONT_BOLD = "Sarabun-Bold"
_FONT_FILES = {FONT: "Sarabun-Regular.ttf", FONT_BOLD: "Sarabun-Bold.ttf"}


def register_fonts():
    """Register Sarabun regular and bold with ReportLab once per process."""
    folder = os.path.join(os.path.dirname(fontpkg_sarabun.__file__), "files")
    for name, filename in _FONT_FILES.items():
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, os.path.join(folder, filename), shapable=True))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


def text_width(text, size, font=FONT):
    """Width in points of `text` once shaped, for fitting and centring."""
    register_fonts()
    return pdfmetrics.stringWidth(text, font, size)


def fit_size(text, max_width, size, min_size, font=FONT):
    """The largest font size from `size` down to `min_size` at which `text` fits `max_width`."""
    while size > min_size and text_width(text, size, font) > max_width:
        size -= 0.5
    return size


def draw_text(canvas, x, y, text, size, font=FONT, align="left"):
    """Draw one line of (Thai) text shaped by HarfBuzz; align is left, centre or right."""
    register_fonts()
    text = str(text)
    canvas.setFont(font, size)
    shaped = shapeStr(text, font, size) if text else text
    if align == "centre":
        canvas.drawCentredString(x, y, shaped)
    elif align == "right":
        canvas.drawRightString(x, y, shaped)
    else:
        canvas.drawString(x, y, shaped)


def paragraph_style(name="body", size=11, leading=None, font=FONT, **extra):
    """A ParagraphStyle that shapes Thai text; use it for every Paragraph."""
    register_fonts()
    return ParagraphStyle(
        name, fontName=font, fontSize=size, leading=leading or size * 1.45, shaping=1, **extra
    )
