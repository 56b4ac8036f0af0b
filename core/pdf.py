"""The one place that sets up PDF fonts and draws Thai text correctly.

Thai needs shaping: tone marks and upper vowels move depending on the letters around them.
ReportLab does this with HarfBuzz (uharfbuzz) when given a shaped string, so every Thai string
drawn on a canvas goes through `draw_text` (or a Paragraph with `paragraph_style`), never
through plain `canvas.drawString`. The font is Sarabun from the fontpkg-sarabun package.

A Paragraph reads its text as markup (<b>, <img src>, <a href>, &entities;), so every text that
reaches one goes through `escape_markup` (`plain_paragraph` and `wrapped_paragraph` do it): a
market name, a recall reason or an inspector's name is printed as typed, never obeyed.
Canvas strings (`draw_text`) are never read as markup.
"""
import functools
import os
import weakref

import fontpkg_sarabun
from reportlab.lib import colors
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont, shapeStr
from reportlab.platypus import Paragraph, TableStyle

FONT = "Sarabun"
FONT_BOLD = "Sarabun-Bold"
_FONT_FILES = {FONT: "Sarabun-Regular.ttf", FONT_BOLD: "Sarabun-Bold.ttf"}
GREEN = colors.HexColor("#1e5631")
LIGHT_GREEN = colors.HexColor("#e9f2eb")
RULE_GREY = colors.HexColor("#9aa79d")
# The look of every table in a report: a green header row, thin rules between rows.
TABLE_STYLE = TableStyle([
    ("BACKGROUND", (0, 0), (-1, 0), LIGHT_GREEN),
    ("LINEABOVE", (0, 0), (-1, 0), 0.8, GREEN),
    ("LINEBELOW", (0, 0), (-1, 0), 0.6, GREEN),
    ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE_GREY),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LEFTPADDING", (0, 0), (-1, -1), 4),
    ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ("TOPPADDING", (0, 0), (-1, -1), 2),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
])
# Leave a little room when pre-breaking lines, so ReportLab never splits a line we measured.
WRAP_SLACK = 0.97


@functools.cache
def register_fonts():
    """Register Sarabun regular and bold with ReportLab once per process."""
    folder = os.path.join(os.path.dirname(fontpkg_sarabun.__file__), "files")
    for name, filename in _FONT_FILES.items():
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, os.path.join(folder, filename), shapable=True))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


def escape_markup(text):
    """Text as Paragraph markup that shows exactly its characters: & < > escaped, line breaks kept.

    The one escaper for PDFs: without it a "<b>" in a market name fails the whole PDF, an
    `<img src=...>` in a recall reason embeds a file of the server, and an `<a href>` adds a link.
    """
    return "<br/>".join(
        line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        for line in str(text).splitlines() or [""]
    )


def plain_paragraph(text, style):
    """A Paragraph that prints `text` as typed (see escape_markup)."""
    return Paragraph(escape_markup(text), style)


@functools.lru_cache(maxsize=4096)
def text_width(text, size, font=FONT):
    """Width in points of `text` once shaped, for fitting and centring.

    This, `fit_size` and `shorten_to_fit` keep their answers: a label sheet fits the same price,
    claim and village a thousand times, each by trying sizes half a point apart.
    """
    register_fonts()
    return pdfmetrics.stringWidth(text, font, size)


@functools.lru_cache(maxsize=4096)
def fit_size(text, max_width, size, min_size, font=FONT):
    """The largest font size from `size` down to `min_size` at which `text` fits `max_width`."""
    while size > min_size and text_width(text, size, font) > max_width:
        size -= 0.5
    return size


@functools.lru_cache(maxsize=4096)
def _shaped(text, font, size):
    """HarfBuzz's shaping of one line; label sheets repeat the same words hundreds of times."""
    return shapeStr(text, font, size)


# The PDF operators that show a shaped line, per document (the TTF subset's codes are chosen per
# document, as the glyphs are first used): a label sheet repeats its village, date and price lines.
_TEXT_OPERATORS = weakref.WeakKeyDictionary()


def _text_operators(canvas, text, font, size):
    """The operators that show `text` in this canvas's document, and its width, encoded once per document."""
    known = _TEXT_OPERATORS.setdefault(canvas._doc, {})
    key = (text, font, size, canvas._leading)
    if key not in known:
        shaped = _shaped(text, font, size)
        known[key] = canvas.beginText()._formatText(shaped), pdfmetrics.stringWidth(shaped, font, size)
    return known[key]


def draw_text(canvas, x, y, text, size, font=FONT, align="left"):
    """Draw one line of (Thai) text shaped by HarfBuzz; align is left, centre or right.

    Writes the same operators as `canvas.drawString` of the shaped text, reusing a line's
    encoding within the document: ReportLab's per-glyph encoding was half of a label sheet's time.
    """
    register_fonts()
    text = str(text)
    canvas.setFont(font, size)
    if not text:
        return
    operators, width = _text_operators(canvas, text, font, size)
    x -= {"centre": width / 2, "right": width}.get(align, 0)
    canvas.addLiteral(f"BT 1 0 0 {1 if canvas.bottomup else -1} {fp_str(x, y)} Tm {operators} T* ET")


def paragraph_style(name="body", size=11, leading=None, font=FONT, **extra):
    """A ParagraphStyle that shapes Thai text; use it for every Paragraph."""
    register_fonts()
    return ParagraphStyle(
        name, fontName=font, fontSize=size, leading=leading or size * 1.45, shaping=1, **extra
    )


# --- Thai line breaking ---------------------------------------------------------------------
# Thai has no spaces between words and ReportLab breaks long words between any two characters,
# which tears tone marks off their letters. These helpers break only between syllable-like
# clusters, never inside one. A real word
# segmenter (a dictionary, as PyThaiNLP or ICU have) would break at word boundaries.

_LEADING_VOWELS = set("เแโใไ")
_FOLLOWING_VOWELS = set("ะาำๅ")
_MARKS = {chr(c) for c in range(0x0E31, 0x0E3B) if c not in (0x0E32, 0x0E33)} | {
    chr(c) for c in range(0x0E47, 0x0E4F)
}
_CLOSES_SYLLABLE = set("\u0e31\u0e47")  # mai han-akat, mai taikhu: the next consonant is a final
_KARAN = "\u0e4c"
_CLUSTER_INITIALS = set("กขคตปผพทสจซศ")  # first letters of กร, ปล, คว, ทร ... clusters
_CLUSTER_SECONDS = set("รลว")
_LEADING_HO_LETTERS = set("งญนมยรลว")  # low consonants a silent ห can lead (หรือ, หมู, หวาน)
_VOWEL_SIGNS = _LEADING_VOWELS | _FOLLOWING_VOWELS | (_MARKS - {_KARAN})


def _is_initial_pair(first, second):
    """True for two letters that start one syllable together: กร, ปล, คว, หร, หม, อย ..."""
    return ((first in _CLUSTER_INITIALS and second in _CLUSTER_SECONDS)
            or (first == "ห" and second in _LEADING_HO_LETTERS)
            or (first == "อ" and second == "ย"))


def _is_consonant(char):
    return "\u0e01" <= char <= "\u0e2e"


def _closes_previous(word, index):
    """True when the letter at `index` is the final of the syllable before it (after ั or ็)."""
    back = index - 1
    while back >= 0 and word[back] in _MARKS:
        if word[back] in _CLOSES_SYLLABLE:
            return True
        back -= 1
    return False


def _starts_syllable(word, index):
    """True when a syllable can begin at `index`: a leading vowel, or a consonant with its own vowel or tone."""
    char = word[index]
    if word[index - 1] in _LEADING_VOWELS:
        return False
    if char in _LEADING_VOWELS:
        return True
    if not _is_consonant(char) or _closes_previous(word, index):
        return False
    after = index + 1
    signs = ""
    while after < len(word) and (word[after] in _MARKS or word[after] in _FOLLOWING_VOWELS):
        signs += word[after]
        after += 1
    return bool(signs) and _KARAN not in signs


def _break_choices(word, index, last):
    """Where to break for a syllable starting at `index`, best first: before its initial cluster if it has one."""
    before = index - 1
    if not _is_initial_pair(word[before], word[index]) or _closes_previous(word, before):
        # Two bare consonants before a syllable are a final and an initial (ธาน|คณะ) as often as
        # a syllable with an unwritten vowel (ที่|ลง|นาม): without a dictionary, keep them together.
        return [index]
    if before <= last or word[before - 1] in _LEADING_VOWELS:
        return []  # เห|นือ, เส|ร็จ: the cluster belongs to the leading vowel before it
    return [before]  # ป|ระ and ห|รือ tear a cluster apart: only |ประ, |หรือ


def thai_break_points(word):
    """Indexes inside a space-free `word` where a line may break without tearing a Thai syllable."""
    points, last = [], 0
    for index in range(1, len(word)):
        if not _starts_syllable(word, index):
            continue
        for start in _break_choices(word, index, last):
            piece = word[last:start]
            if any(char in _VOWEL_SIGNS for char in piece) or len(piece) >= 3:
                points.append(start)
                last = start
                break
    return points


def _clusters(word):
    """Split a word into characters with their combining marks (and leading vowels) attached."""
    pieces = []
    for char in word:
        if pieces and (char in _MARKS or char in _FOLLOWING_VOWELS or pieces[-1][-1] in _LEADING_VOWELS):
            pieces[-1] += char
        else:
            pieces.append(char)
    return pieces


def wrap_lines(text, width, size, font=FONT):
    """Break `text` into lines no wider than `width`: at spaces first, else between Thai syllables."""
    lines = []
    for paragraph in str(text).splitlines() or [""]:
        line = ""
        for word_index, word in enumerate(paragraph.split()):
            cuts = [0, *thai_break_points(word), len(word)]
            for part_index, (start, end) in enumerate(zip(cuts, cuts[1:])):
                piece = word[start:end]
                joiner = " " if line and part_index == 0 and word_index > 0 else ""
                if text_width(line + joiner + piece, size, font) <= width:
                    line += joiner + piece
                    continue
                if line:
                    lines.append(line)
                line = ""
                for cluster in _clusters(piece):  # a piece wider than the line: split by letter
                    if line and text_width(line + cluster, size, font) > width:
                        lines.append(line)
                        line = ""
                    line += cluster
        lines.append(line)
    return lines


def wrapped_paragraph(text, style, width):
    """A Paragraph of plain `text` pre-broken to `width`, so ReportLab never tears Thai apart."""
    lines = wrap_lines(text, width * WRAP_SLACK, style.fontSize, style.fontName)
    return Paragraph("<br/>".join(escape_markup(line) for line in lines), style)


def fit_lines(text, width, size, min_size, max_lines=2, font=FONT):
    """The lines and size that fit `text` to `width`: shrink on one line first, then wrap, then shrink."""
    single = fit_size(text, width, size, max(min_size, size * 0.75), font)
    if text_width(text, single, font) <= width:
        return [text], single
    while True:
        lines = wrap_lines(text, width, size, font)
        if len(lines) <= max_lines or size <= min_size:
            return lines, size  # never drop text: past min_size it takes more lines
        size -= 0.5


@functools.lru_cache(maxsize=4096)
def shorten_to_fit(text, width, size, min_size, font=FONT):
    """One line that fits `width`: shrink to `min_size`, then cut between letters and end with "…"."""
    size = fit_size(text, width, size, min_size, font)
    if text_width(text, size, font) <= width:
        return text, size
    kept = ""
    for cluster in _clusters(text):
        if text_width(kept + cluster + "…", size, font) > width:
            break
        kept += cluster
    return kept.rstrip() + "…", size


def draw_lines(canvas, x, y, lines, size, font=FONT, align="centre", leading=1.35):
    """Draw lines downwards from baseline `y`; return the baseline after the last one."""
    for line in lines:
        draw_text(canvas, x, y, line, size, font, align)
        y -= size * leading
    return y + size * leading
