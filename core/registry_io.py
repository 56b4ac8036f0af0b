"""Import the council's household spreadsheet (CSV or XLSX, Thai or English headers) and export it.

An import is checked whole before anything is written: the preview lists every bad row with its
line number, and the commit writes all rows in one transaction or none at all.
"""
import codecs
import csv
import datetime
import io
import re
import zipfile

from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook

from core import households
from core.db import db
from core.exports import FORMULA_STARTS, csv_bytes, xlsx_bytes
from core.households import BUDDHIST_ERA_THRESHOLD
from core.models import GROWER_STATUSES, Household, OccupationGroup
from core.privacy import SENSITIVE_FLAGS
from core.validation import ValidationError, parse_bool

MAX_ROWS = 5000
# Delimiters a CSV may use: Excel writes commas, or semicolons where the comma is the decimal
# sign; Excel's "Unicode text" export uses tabs.
DELIMITERS = (",", ";", "\t")

# Column name written on export, then every header accepted on import (compared lower-case,
# without spaces). The first Thai header is what export writes.
COLUMNS = {
    "code": ("รหัสครัวเรือน", "รหัส", "code", "household code"),
    "head_name": ("หัวหน้าครัวเรือน", "ชื่อหัวหน้าครัวเรือน", "ชื่อ-สกุล", "ชื่อสกุล", "head_name", "head of household"),
    "display_name": ("ชื่อที่แสดง", "ชื่อสวน", "display_name"),
    "village_no": ("หมู่ที่", "หมู่", "village_no", "village"),
    "address": ("ที่อยู่", "บ้านเลขที่", "address"),
    "phone": ("โทรศัพท์", "เบอร์โทร", "เบอร์โทรศัพท์", "phone"),
    "national_id": ("เลขประจำตัวประชาชน", "เลขบัตรประชาชน", "national_id"),
    "is_elderly": ("ผู้สูงอายุ", "is_elderly", "elderly"),
    "is_disabled": ("ผู้พิการ", "คนพิการ", "is_disabled", "disabled"),
    "is_low_income": ("ผู้มีรายได้น้อย", "รายได้น้อย", "is_low_income", "low income"),
    "disadvantaged_other": ("ด้อยโอกาสอื่นๆ", "ด้อยโอกาสอื่น", "disadvantaged_other"),
    "occupation_groups": ("กลุ่มอาชีพ", "occupation_groups"),
    "grower_status": ("สถานะผู้ปลูก", "grower_status"),
    "pledge_date": ("วันที่ให้คำมั่น", "วันที่ปฏิญาณ", "pledge_date"),
    "notes": ("หมายเหตุ", "notes"),
}

# Grower status as people write it in the council's sheets.
STATUS_WORDS = {
    "": "none",
    "ไม่ได้เป็นผู้ปลูก": "none",
    "ผู้สมัคร": "applicant",
    "สมัคร": "applicant",
    "ผู้ปลูกอินทรีย์": "active",
    "ผู้ปลูก": "active",
    "ผู้ปลูกที่ยังดำเนินการ": "active",
    "ถอนตัว": "withdrawn",
    "ลาออก": "withdrawn",
}



def _key(header):
    return re.sub(r"[\s_.]+", "", str(header or "")).lower()


HEADER_LOOKUP = {_key(name): field for field, names in COLUMNS.items() for name in names}


class ImportFileError(Exception):
    """The file itself cannot be read (wrong type, broken, no header); `message` says why."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def read_table(filename, content):
    """Read a CSV or XLSX upload into (headers, rows of strings or cell values)."""
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        return _read_xlsx(content)
    if name.endswith(".csv") or name.endswith(".txt"):
        return _read_csv(content)
    raise ImportFileError(_l("Upload a .csv or .xlsx file."))


def _decode(content):
    """Text of a CSV upload: UTF-16 with a byte-order mark, UTF-8, or Thai Windows (cp874)."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return content.decode("utf-16")  # Excel's "Unicode text" export
        except UnicodeDecodeError:
            raise ImportFileError(_l("This does not look like a CSV file.")) from None
    if b"\x00" in content:
        raise ImportFileError(_l("This does not look like a CSV file."))
    for encoding in ("utf-8-sig", "cp874"):  # cp874: Thai Windows, as older Excel saves CSV
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_l("The CSV file is not in UTF-8 or Thai Windows encoding."))


def _delimiter(text):
    """The delimiter that splits the header line into the most known column names.

    Judged on the header alone, not sniffed from a sample: csv.Sniffer guesses quoting from
    the first few kilobytes and then misreads a quoted cell further down the file.
    """
    def score(delimiter):
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
        return sum(1 for name in header if _key(name) in HEADER_LOOKUP), len(header)

    return max(DELIMITERS, key=score)  # ties go to the first, the comma


def _read_csv(content):
    text = _decode(content)
    try:
        # newline="": line ends of every kind (CR-only from old Macs too) are the csv module's to read.
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    except csv.Error:  # a cell longer than csv's 131,072-character limit, or a stray quote at the end
        raise ImportFileError(_l("A cell of this CSV file is too long or broken. Check the file in a spreadsheet "
                                 "and save it again.")) from None
    return _header_and_rows(rows)


MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # an XLSX is a zip; a few thousand households unpack to far less


def _check_unpacked_size(content):
    """Refuse a zip whose contents would unpack to more than MAX_UNPACKED_BYTES (a zip bomb)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(entry.file_size for entry in archive.infolist())
    except zipfile.BadZipFile:
        raise ImportFileError(_l("This is not a readable XLSX file. Save it again from Excel or LibreOffice.")) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileError(_l("This XLSX file unpacks to more than 50 MB. Save only the household sheet and try again."))


# What a sheet may hold before the file is refused, counted in the zip before openpyxl reads it
# (openpyxl scans a whole sheet that states no size before giving the first row): the row limit
# plus room for empty but formatted rows, and cells for 5,000 households of 15 to 40 columns.
MAX_SHEET_ROWS = MAX_ROWS + 1000
MAX_SHEET_CELLS = 200_000
MAX_COLUMNS = 60  # the registry has 15 columns; cells further right are not read
_ELEMENTS = {"row": re.compile(rb"<(?:\w+:)?row[\s>/]"), "cell": re.compile(rb"<(?:\w+:)?(?:c|si)[\s>/]")}


def _check_sheet_sizes(content):
    """Refuse an XLSX whose sheets hold more rows or cells than an import can use, reading each
    part of the zip as a stream and stopping at the limit, so a bomb costs a fraction of a second."""
    too_big = ImportFileError(_l("At most %(n)d rows per file.", n=MAX_ROWS))
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for entry in archive.infolist():
            if not (entry.filename.startswith("xl/worksheets/") or entry.filename == "xl/sharedStrings.xml"):
                continue
            counts, tail = {"row": 0, "cell": 0}, b""
            with archive.open(entry) as part:
                while chunk := part.read(1 << 20):
                    # An element cut between two chunks is found in the next one, never counted twice.
                    text = tail + chunk
                    for kind, pattern in _ELEMENTS.items():
                        counts[kind] += len(pattern.findall(text, 0, max(0, len(text) - 16)))
                    tail = text[max(0, len(text) - 16):]
                    if counts["row"] > MAX_SHEET_ROWS or counts["cell"] > MAX_SHEET_CELLS:
                        raise too_big


def _read_xlsx(content):
    _check_unpacked_size(content)
    try:
        _check_sheet_sizes(content)
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows = [list(row) for row in sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)]
        workbook.close()
    except ImportFileError:
        raise
    except Exception:  # openpyxl raises many kinds for a broken or disguised file
        raise ImportFileError(_l("This is not a readable XLSX file. Save it again from Excel or LibreOffice.")) from None
    return _header_and_rows(rows)


def _is_blank(row):
    return not any(_cell_text(value) for value in row)


def _header_and_rows(rows):
    # Spreadsheets often carry empty but formatted rows below the data; they are not households.
    while rows and _is_blank(rows[-1]):
        rows.pop()
    if not rows:
        raise ImportFileError(_l("The file is empty."))
    return rows[0], rows[1:]


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    if text.startswith("'") and text[1:2] and text[1] in FORMULA_STARTS:
        return text[1:]  # our own export's guard against formulas (core.exports), taken off again
    return text


def _parse_date(value):
    """Accept a spreadsheet date, YYYY-MM-DD or D/M/YYYY, in CE or Buddhist Era years.

    Return the date as YYYY-MM-DD, "" for an empty cell, or None when it is not a date.
    """
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        year, month, day = value.year, value.month, value.day
    else:
        text = _cell_text(value)
        if not text:
            return ""
        match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
        if match:
            year, month, day = (int(x) for x in match.groups())
        else:
            match = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", text)
            if not match:
                return None
            day, month, year = (int(x) for x in match.groups())
    if year > BUDDHIST_ERA_THRESHOLD:
        year -= 543
    try:
        return datetime.date(year, month, day).isoformat()
    except ValueError:
        return None


def _group_key(name):
    """Compare group names without case or stray spaces ("a ,b" and "A, b" are the same)."""
    name = re.sub(r"\s+", " ", str(name)).strip()
    return re.sub(r" ?([,;|]) ?", r"\1", name).lower()


def _group_ids(text, groups_by_name):
    """Occupation group ids named in a cell, and the names that match no group.

    Names are separated by semicolons (or | or new lines). Older sheets use commas, yet a
    group's name may hold a comma itself ("Pandan, coconut and palmyra-leaf weavers"), so
    comma-separated pieces are joined back while they still make a known name.
    """
    ids, unknown = [], []
    for part in re.split(r"[;|\n]", text):
        pieces = [piece.strip() for piece in part.split(",")]
        start = 0
        while start < len(pieces):
            for end in range(len(pieces), start, -1):  # the longest known name first
                group_id = groups_by_name.get(_group_key(",".join(pieces[start:end])))
                if group_id:
                    ids.append(group_id)
                    start = end
                    break
            else:
                if pieces[start]:
                    unknown.append(pieces[start])
                start += 1
    return ids, unknown


def check_rows(headers, rows):
    """Validate every row; return (households data, problems) with problems as (line, field, message)."""
    fields = [HEADER_LOOKUP.get(_key(h)) for h in headers]
    if "code" not in fields or "head_name" not in fields or "village_no" not in fields:
        raise ImportFileError(
            _l("The first row must name the columns; at least the household code, head of household and village number (รหัสครัวเรือน, หัวหน้าครัวเรือน, หมู่ที่).")
        )
    if sum(1 for row in rows if not _is_blank(row)) > MAX_ROWS:
        raise ImportFileError(_l("At most %(n)d rows per file.", n=MAX_ROWS))
    groups_by_name = {}
    for group in OccupationGroup.select():
        groups_by_name[_group_key(group.name_th)] = group.id
        if group.name_en:
            groups_by_name.setdefault(_group_key(group.name_en), group.id)
    status_words = dict(STATUS_WORDS)
    status_words.update({code: code for code in GROWER_STATUSES})
    existing = {code for (code,) in Household.select(Household.code).tuples()}
    seen = {}
    problems, records = [], []
    for index, row in enumerate(rows, start=2):  # line 1 is the header
        values = {field: row[i] if i < len(row) else None for i, field in enumerate(fields) if field}
        if not any(_cell_text(v) for v in values.values()):
            continue
        data = {field: _cell_text(value) for field, value in values.items()}
        row_problems = {}
        data["pledge_date"] = _parse_date(values.get("pledge_date"))
        if data["pledge_date"] is None:
            row_problems["pledge_date"] = _l("Write the date as day/month/year, such as 15/01/2567, or as 2024-01-15.")
            data["pledge_date"] = ""
        status_text = data.get("grower_status", "").lower()
        data["grower_status"] = status_words.get(status_text, status_text)
        if "occupation_groups" in data:
            ids, unknown = _group_ids(data.pop("occupation_groups"), groups_by_name)
            data["occupation_group_ids"] = ids
            if unknown:
                row_problems["occupation_groups"] = _l("Unknown occupation group: %(names)s", names=", ".join(unknown))
        try:
            cleaned = households.clean_household(data)
        except ValidationError as exc:
            for field, message in exc.errors.items():
                field = "occupation_groups" if field == "occupation_group_ids" else field
                row_problems.setdefault(field, message)  # the import's own message is more precise
            cleaned = None
        problems.extend((index, field, message) for field, message in row_problems.items())
        if cleaned is None:
            continue
        code = cleaned["code"]
        if code in existing:
            problems.append((index, "code", _l("Household code %(code)s is already registered.", code=code)))
        elif code in seen:
            problems.append((index, "code", _l("Household code %(code)s is also on line %(line)d.", code=code, line=seen[code])))
        seen.setdefault(code, index)
        records.append((index, data))
    if not records and not problems:
        raise ImportFileError(_l("The file has a header but no households."))
    return records, problems


def preview(filename, content):
    """Check a file without writing; return (rows that would be imported, problems)."""
    headers, rows = read_table(filename, content)
    return check_rows(headers, rows)


def commit(filename, content, by_user):
    """Import every household in the file, or none if any row has a problem; return the count."""
    with db.atomic():
        records, problems = preview(filename, content)
        if problems:
            raise ValidationError({f"line {line} {field}": message for line, field, message in problems})
        for _line, data in records:
            # The council's survey sheet is filled from forms its people signed, consent included
            # (SECURITY.md): the import records that consent for each head, on the sheet's form.
            households.create_household({**data, "sensitive_consent": _holds_sensitive(data)}, by_user)
    return len(records)


def _holds_sensitive(data):
    """True when a checked row fills any disadvantaged-status column."""
    return bool(data.get("disadvantaged_other")) or any(
        parse_bool(data.get(field)) for field in SENSITIVE_FLAGS if field != "disadvantaged_other")


def export_rows():
    """The registry as a header row (Thai) and one row per household, personal data included."""
    groups = {g.id: g.name_th for g in OccupationGroup.select()}
    query = Household.select().order_by(Household.village_no, Household.code)
    links = households.occupation_ids_by_household(list(query))
    header = [names[0] for names in COLUMNS.values()]
    rows = []
    for household in query:
        rows.append([
            household.code,
            household.head_name,
            household.display_name,
            household.village_no,
            household.address,
            household.phone,
            household.national_id,
            "ใช่" if household.is_elderly else "",
            "ใช่" if household.is_disabled else "",
            "ใช่" if household.is_low_income else "",
            household.disadvantaged_other,
            "; ".join(groups[gid] for gid in links[household.id]),
            household.grower_status,
            household.pledge_date.isoformat() if household.pledge_date else "",
            household.notes,
        ])
    return header, rows


def export_csv():
    """The registry as UTF-8 CSV with a byte-order mark, so Excel shows the Thai correctly."""
    header, rows = export_rows()
    return csv_bytes(header, rows)


def export_xlsx():
    """The registry as an Excel workbook."""
    header, rows = export_rows()
    return xlsx_bytes("ครัวเรือน", header, rows)
