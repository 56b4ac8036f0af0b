"""Plain tables as CSV and XLSX (the registry, the input register, the network register): Thai-safe,
and never a formula. Reports (core/report.py) use the same guard, `safe_cell`, and `baht_amount`.

A cell that starts with = + - @ (or a tab or carriage return) could run as a formula when the
file is opened in a spreadsheet (CSV injection); such text gets a leading apostrophe in CSV and
is stored as plain text in XLSX. Numbers stay numbers. A control character, which XLSX cannot
hold (input refuses them now, but older records may carry one), is left out of the XLSX cell.
"""
import csv
import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def baht_amount(satang):
    """Integer satang as an exact baht amount with two decimals, for a spreadsheet cell."""
    return (Decimal(satang) / 100).quantize(Decimal("0.01"))


def safe_cell(value):
    """A CSV cell a spreadsheet will not run as a formula."""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_bytes(header, rows):
    """UTF-8 CSV with a byte-order mark, so Excel shows Thai correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(title, header, rows):
    """One sheet named `title` with the header row and the rows; text never becomes a formula."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(list(header))
    for row in rows:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", cell) if isinstance(cell, str) else cell for cell in row])
    for cells in sheet.iter_rows():
        for cell in cells:
            if cell.data_type == "f":
                cell.data_type = "s"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
