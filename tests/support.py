"""Constants and helpers the test modules share (fixtures live in conftest.py)."""
import functools
import importlib
import os
import re

import pypdfium2
import zxingcpp
from PIL import Image

from core import models as core_models
from core.db import db
from core.qr import QUIET_ZONE, qr_matrix
from greenmarket import DOMAINS

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
PASSWORD = "correct-horse-battery"
QR_DPI = 300  # a good phone photo of a printed page, and a label printer's resolution


def all_models():
    """Every table of core and of each domain package, in dependency order."""
    tables = list(core_models.MODELS)
    for name in DOMAINS:
        tables += importlib.import_module(f"{name}.models").MODELS
    return tables


def database_rows():
    """Every row of every table, to prove that a refused request changed nothing.

    Rows are compared as the database returns them; each table's SELECT is built once per
    dialect (peewee building the same SQL anew cost the fuzz test half its time).
    """
    dialect = type(db.obj)
    return {t.__name__: db.execute_sql(_select_every_row(dialect, t)).fetchall() for t in all_models()}


@functools.lru_cache(maxsize=None)
def _select_every_row(dialect, table):
    """SELECT every row of `table` in primary-key order, as SQL text for the bound database's `dialect`."""
    query, params = table.select().order_by(table._meta.primary_key).sql()
    assert not params
    return query


def qr_picture(text, scale):
    """A QR code of `text` drawn from the server's own matrix, `scale` pixels a module, with its quiet zone."""
    matrix = qr_matrix(text)
    side = len(matrix) + 2 * QUIET_ZONE
    image = Image.new("L", (side, side), 255)
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            if dark:
                image.putpixel((x + QUIET_ZONE, y + QUIET_ZONE), 0)
    return image.resize((side * scale, side * scale), Image.NEAREST)


# --- PDFs as a reader sees them ---------------------------------------------------------------


def render(pdf, dpi=QR_DPI):
    """Every page as an image, at the resolution of a good phone photo of a printed page."""
    return [page.render(scale=dpi / 72).to_pil() for page in pypdfium2.PdfDocument(pdf)]


def qr_texts(pdf):
    """What every QR code on every page of the PDF decodes to."""
    return [result.text for image in render(pdf) for result in zxingcpp.read_barcodes(image)]


def page_texts(pdf):
    return [page.get_textpage().get_text_range() for page in pypdfium2.PdfDocument(pdf)]


def pdf_text(pdf):
    return "\n".join(page_texts(pdf))


# HarfBuzz places some tone marks and upper vowels with positioned glyph variants that have no
# Unicode value of their own; ReportLab then gives them private-use code points (U+E000 on,
# numbered per document, so they cannot be mapped back), and pdfium splits ำ into ํ + า and may
# add a space where a mark sits. So Thai is compared on its skeleton: base letters and
# following vowels, without marks, private-use characters or spaces. Numbers, codes and URLs
# are plain ASCII and are compared exactly.
_MARKS = re.compile("[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\ue000-\uf8ff\\s]")


def skeleton(text):
    """Thai text without tone marks, upper and lower vowels, private-use glyphs or spaces."""
    return _MARKS.sub("", text.replace("\u0e33", "\u0e32"))


def contains(text, expected):
    return skeleton(expected) in skeleton(text)
