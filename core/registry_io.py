"""Import the council's household sheet as it is kept (CSV or XLSX, its own header words) and export it.

An import goes upload → mapping → preview → commit. The header row is found below any title
rows; each column gets a proposed field (its name, a synonym or a near spelling) that the user
may change or leave unused, and the words in the occupation-group and disadvantaged columns get
a proposed meaning too. The preview lists every bad row with its line in the file and how to fix
it; the commit writes all rows in one transaction or none. The uploaded file stays (readable by
the server's user only) until the commit or for a day, never longer.
"""
import codecs
import csv
import datetime
import difflib
import functools
import io
import json
import os
import re
import secrets
import zipfile

from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook

from core import audit, households, retention
from core.db import db, utcnow
from core.exports import FORMULA_STARTS, csv_bytes, xlsx_bytes
from core.models import GROWER_STATUSES, Household, HouseholdImport, OccupationGroup, OccupationSynonym
from core.privacy import SENSITIVE_FLAGS
from core.validation import THAI_DIGITS, ValidationError, parse_bool

MAX_ROWS = 5000
HEADER_SEARCH_ROWS = 20  # the header is looked for among the first rows, below the sheet's titles
IMPORT_LIFETIME = retention.IMPORT_FILE_MAX_AGE  # an upload left half-way is deleted after this
SUGGESTIONS = 3  # nearest occupation groups named for a word that matches none
# Delimiters a CSV may use: Excel writes commas, or semicolons where the comma is the decimal
# sign; Excel's "Unicode text" export uses tabs.
DELIMITERS = (",", ";", "\t")

# Every field a column can feed: the header export writes first, then the words councils use for
# it (compared without case, spaces or punctuation). `disadvantaged` is one column of category words.
COLUMNS = {
    "code": ("รหัสครัวเรือน", "รหัส", "รหัสบ้าน", "code", "household code"),
    "head_name": ("หัวหน้าครัวเรือน", "ชื่อหัวหน้าครัวเรือน", "ชื่อหัวหน้า", "ชื่อ-สกุล", "ชื่อ - นามสกุล",
                  "ชื่อสกุล", "ชื่อ", "head_name", "head of household", "name"),
    "display_name": ("ชื่อที่แสดง", "ชื่อสวน", "display_name", "display name"),
    "village_no": ("หมู่ที่", "หมู่", "ม.", "หมู่บ้าน", "village_no", "village", "moo"),
    "address": ("ที่อยู่", "บ้านเลขที่", "address", "house no"),
    "phone": ("โทรศัพท์", "เบอร์โทร", "เบอร์โทรศัพท์", "เบอร์", "โทร.", "มือถือ", "phone", "tel", "mobile"),
    "national_id": ("เลขประจำตัวประชาชน", "เลขบัตรประชาชน", "บัตรประชาชน", "national_id", "national id"),
    "member_count": ("จำนวนสมาชิก", "สมาชิก", "จำนวนคนในครัวเรือน", "คนในบ้าน", "คนในครัวเรือน", "จำนวนคน",
                     "member_count", "members"),
    "disadvantaged": ("กลุ่มผู้ด้อยโอกาส", "ผู้ด้อยโอกาส", "ด้อยโอกาส", "กลุ่มเปราะบาง", "เปราะบาง",
                      "disadvantaged"),
    "is_elderly": ("ผู้สูงอายุ", "is_elderly", "elderly"),
    "is_disabled": ("ผู้พิการ", "คนพิการ", "is_disabled", "disabled"),
    "is_low_income": ("ผู้มีรายได้น้อย", "รายได้น้อย", "is_low_income", "low income"),
    "disadvantaged_other": ("ด้อยโอกาสอื่นๆ", "ด้อยโอกาสอื่น", "disadvantaged_other"),
    "occupation_groups": ("กลุ่มอาชีพ", "อาชีพ", "ภูมิปัญญา", "occupation_groups", "occupation groups",
                          "occupation"),
    "grower_status": ("สถานะผู้ปลูก", "grower_status", "grower status"),
    "pledge_date": ("วันที่ให้คำมั่น", "วันที่ปฏิญาณ", "pledge_date", "pledge date"),
    "notes": ("หมายเหตุ", "notes", "note"),
}
# What a column is called on the mapping page.
FIELD_LABELS = {
    "code": _l("Household code"),
    "head_name": _l("Head of household"),
    "display_name": _l("Display name"),
    "village_no": _l("Village no."),
    "address": _l("Address"),
    "phone": _l("Phone"),
    "national_id": _l("National ID"),
    "member_count": _l("Number of members"),
    "disadvantaged": _l("Disadvantaged categories (words)"),
    "is_elderly": _l("Elderly (yes/no)"),
    "is_disabled": _l("Disabled (yes/no)"),
    "is_low_income": _l("Low income (yes/no)"),
    "disadvantaged_other": _l("Other disadvantage"),
    "occupation_groups": _l("Occupation groups"),
    "grower_status": _l("Grower status"),
    "pledge_date": _l("Date of the organic pledge"),
    "notes": _l("Notes"),
}
REQUIRED_FIELDS = ("code", "head_name", "village_no")
EXPORT_FIELDS = ("code", "head_name", "display_name", "village_no", "address", "phone", "national_id",
                 "member_count", "is_elderly", "is_disabled", "is_low_income", "disadvantaged_other",
                 "occupation_groups", "grower_status", "pledge_date", "notes")
# Columns a sheet keeps for itself: proposed as not used.
IGNORED_HEADERS = ("ลำดับ", "ลำดับที่", "ที่", "no", "no.", "#", "order")
# Columns whose words are mapped one by one on the mapping page.
VALUE_FIELDS = ("occupation_groups", "disadvantaged")

# Disadvantaged categories as councils write them; any other word is kept in disadvantaged_other.
CATEGORIES = {
    "is_elderly": _l("Elderly"),
    "is_disabled": _l("Person with disability"),
    "is_low_income": _l("Low income"),
    "other": _l("Other (kept as written)"),
}
CATEGORY_WORDS = {
    "is_elderly": ("ผู้สูงอายุ", "สูงอายุ", "ผู้สูงวัย", "คนชรา", "elderly"),
    "is_disabled": ("ผู้พิการ", "คนพิการ", "พิการ", "ทุพพลภาพ", "disabled"),
    "is_low_income": ("ผู้มีรายได้น้อย", "รายได้น้อย", "ยากจน", "ผู้ยากไร้", "low income", "poor"),
}
# The words of each community curriculum (core.models.CURRICULA), as people say its trade: a
# cell word holding one of them belongs to the group whose name holds one of the same curriculum.
CURRICULUM_WORDS = {
    1: ("ผัก", "เศรษฐกิจพอเพียง", "vegetable"),
    2: ("จักสาน", "สาน", "ใบเตย", "ใบมะพร้าว", "ใบตาล", "ใบลาน", "weav"),
    3: ("เห็ด", "mushroom"),
    4: ("ชันโรง", "ผึ้ง", "stingless", "honey"),
    5: ("โซลาร์", "โซล่า", "solar"),
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
TERM_SEPARATORS = re.compile(r"[,;/|\n、+]")
PUNCTUATION = re.compile(r"[\s!-/:-@\[-`{-~]+")
SILENT_LETTER = re.compile(r".\u0e4c")  # a consonant under ์ (การันต์): โซลาร์ and โซล่า sound alike
TONE_MARKS = re.compile(r"[\u0e48-\u0e4b]")


def _key(header):
    return PUNCTUATION.sub("", str(header or "")).lower()


@functools.lru_cache(maxsize=4096)
def fold(word):
    """A word as the import compares it: no case, spaces, punctuation, tone marks, silent letters or "กลุ่ม"."""
    text = _key(str(word).translate(THAI_DIGITS)).removeprefix("กลุ่ม")
    return TONE_MARKS.sub("", SILENT_LETTER.sub("", text))


HEADER_LOOKUP = {_key(name): field for field, names in COLUMNS.items() for name in names}
HEADER_WORDS = sorted(((key, field) for key, field in HEADER_LOOKUP.items() if len(key) >= 3),
                      key=lambda pair: -len(pair[0]))
IGNORED_KEYS = {_key(name) for name in IGNORED_HEADERS}


class ImportFileError(Exception):
    """The file itself cannot be read (wrong type, broken, no header); `message` says why."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


# Reading the file ----------------------------------------------------------------------------


def read_table(filename, content):
    """Read a CSV or XLSX upload into (index of its header row, every row of strings or cell values)."""
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


def _csv_rows(text, delimiter):
    # newline=None reads old spreadsheet programs' CR-only line ends as line ends too.
    return csv.reader(io.StringIO(text, newline=None), delimiter=delimiter)


def _delimiter(text):
    """The delimiter that splits a header line (among the first lines) into the most known column names.

    Judged on the header alone, not sniffed from a sample: csv.Sniffer guesses quoting from
    the first few kilobytes and then misreads a quoted cell further down the file.
    """
    def score(delimiter):
        best = (0, 0)
        for _number, row in zip(range(HEADER_SEARCH_ROWS), _csv_rows(text, delimiter)):
            best = max(best, (sum(1 for name in row if _key(name) in HEADER_LOOKUP), len(row)))
        return best

    return max(DELIMITERS, key=score)  # ties go to the first, the comma


def _read_csv(content):
    text = _decode(content)
    try:
        rows = list(_csv_rows(text, _delimiter(text)))
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
    """The index of the header row (found below any title rows) and the rows without trailing blanks."""
    # Spreadsheets often carry empty but formatted rows below the data; they are not households.
    while rows and _is_blank(rows[-1]):
        rows.pop()
    if not rows:
        raise ImportFileError(_l("The file is empty."))
    # Nor are empty columns to the right of the data (a sheet read up to MAX_COLUMNS has them).
    width = max((index + 1 for row in rows for index, value in enumerate(row) if _cell_text(value)), default=0)
    rows = [row[:width] for row in rows]
    return find_header(rows), rows


def find_header(rows):
    """The index of the row among the first ones that names the most known columns (else the first filled one)."""
    best, best_score = None, 0
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        score = sum(1 for cell in row if field_for_header(_cell_text(cell)))
        if score > best_score:
            best, best_score = index, score
    if best is None:
        best = next(index for index, row in enumerate(rows) if not _is_blank(row))
    return best


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value).strip()
    if text.startswith("'") and text[1:2] and text[1] in FORMULA_STARTS:
        return text[1:]  # our own export's guard against formulas (core.exports), taken off again
    return text


# Proposing a field for each column ------------------------------------------------------------


def field_for_header(header):
    """The field a column header most likely names: its words, a known word inside it, or a near spelling."""
    key = _key(header)
    if not key or key in IGNORED_KEYS:
        return ""
    if key in HEADER_LOOKUP:
        return HEADER_LOOKUP[key]
    for word, field in HEADER_WORDS:  # the longest first: "จำนวนสมาชิก" before "สมาชิก"
        if word in key:
            return field
    close = difflib.get_close_matches(key, list(HEADER_LOOKUP), n=1, cutoff=0.8)
    return HEADER_LOOKUP[close[0]] if close else ""


def propose_columns(header):
    """A field for each header cell, "" when none fits or an earlier column already took it."""
    proposal, taken = [], set()
    for cell in header:
        field = field_for_header(_cell_text(cell))
        if field in taken:
            field = ""
        taken.add(field)
        proposal.append(field)
    return proposal


def missing_fields(columns):
    """Required fields that no column feeds."""
    return [field for field in REQUIRED_FIELDS if field not in columns]


def missing_message(columns):
    """Which required fields have no column, in words, or None when every one has."""
    missing = missing_fields(columns)
    if not missing:
        return None
    return _l("No column is chosen for: %(fields)s. Choose the column that holds it.",
              fields=", ".join(str(FIELD_LABELS[field]) for field in missing))


# Mapping words to occupation groups and disadvantaged categories -------------------------------


def split_terms(text, known=()):
    """The words of a cell split at any separator; pieces split at a comma that together make a
    `known` (folded) name are joined back ("Pandan, coconut and palmyra-leaf weavers")."""
    pieces = [piece.strip() for piece in TERM_SEPARATORS.split(str(text or ""))]
    terms, start = [], 0
    while start < len(pieces):
        for end in range(len(pieces), start + 1, -1):
            joined = ", ".join(pieces[start:end])
            if fold(joined) in known:
                terms.append(joined)
                start = end
                break
        else:
            if pieces[start]:
                terms.append(pieces[start])
            start += 1
    return terms


class GroupMatcher:
    """Find the occupation groups a word of the sheet means: a kept synonym, the group's name, its
    curriculum's words, or a name holding the word; and the nearest groups for a word that has none."""

    def __init__(self):
        self.groups = list(OccupationGroup.select().order_by(OccupationGroup.id))
        self.by_name = {}
        for group in self.groups:
            for name in (group.name_th, group.name_en):
                if name:
                    self.by_name.setdefault(fold(name), group.id)
        self.synonyms = {row.word: row.group_id for row in OccupationSynonym.select()}
        self.by_curriculum = {}
        for curriculum, words in CURRICULUM_WORDS.items():
            for group in self.groups:
                if any(fold(word) in fold(group.name_th) + fold(group.name_en) for word in words):
                    self.by_curriculum.setdefault(curriculum, group.id)
        self.names = {group.id: group.name_th for group in self.groups}

    @property
    def known(self):
        return set(self.by_name) | set(self.synonyms)

    def match(self, term):
        """Group ids the word means, [] when it means none."""
        key = fold(term)
        if not key:
            return []
        if key in self.synonyms:
            return [self.synonyms[key]]
        if key in self.by_name:
            return [self.by_name[key]]
        ids = [group_id for curriculum, group_id in sorted(self.by_curriculum.items())
               if any(fold(word) in key for word in CURRICULUM_WORDS[curriculum])]
        if ids:
            return sorted(set(ids), key=ids.index)
        if len(key) >= 3:
            ids = [group_id for name, group_id in self.by_name.items() if key in name]
            if len(set(ids)) == 1:
                return ids[:1]
        return []

    def nearest(self, term):
        """Names of the groups whose names are closest to the word, nearest first."""
        key = fold(term)
        scored = sorted(self.groups, key=lambda g: -max(
            difflib.SequenceMatcher(None, key, fold(name)).ratio() for name in (g.name_th, g.name_en) if name))
        return [group.name_th for group in scored[:SUGGESTIONS]]


def match_category(term):
    """Disadvantaged flags a word means (any order, no separator needed); [] for a council's own category."""
    key = fold(term)
    return [flag for flag, words in CATEGORY_WORDS.items() if any(fold(word) in key for word in words)]


def value_terms(rows, columns):
    """The distinct words of each value column, in the order they first appear."""
    result = {field: [] for field in VALUE_FIELDS if field in columns}
    matcher = GroupMatcher() if "occupation_groups" in result else None
    for row in rows:
        for field in result:
            cell = _cell_text(row[columns.index(field)]) if columns.index(field) < len(row) else ""
            for term in split_terms(cell, matcher.known if field == "occupation_groups" else ()):
                if term not in result[field]:
                    result[field].append(term)
    return result


def proposed_value(field, term, matcher):
    """The automatic meaning of a word: a list of group ids or of category flags ("other" when none)."""
    if field == "occupation_groups":
        return matcher.match(term)
    return match_category(term) or ["other"]


# Checking rows ---------------------------------------------------------------------------------


def _number_text(text):
    """A number cell as digits: Thai digits, "หมู่ 3" or "5 คน" read as 3 and 5."""
    text = text.translate(THAI_DIGITS)
    match = re.fullmatch(r"(?:หมู่ที่|หมู่|ม\.?)?\s*(\d+)\s*(?:คน)?", text)
    return match.group(1) if match else text


def _phone_text(value):
    """A phone cell as text; a number cell lost its leading 0 (812345678 → 0812345678)."""
    text = _cell_text(value)
    if isinstance(value, (int, float)) and re.fullmatch(r"[689]\d{8}", text):
        return "0" + text
    return text


def _row_data(values, matcher, choices, problems):
    """One row's cells as household input; adds the problems only the import sees (unknown words)."""
    data = {field: _cell_text(value) for field, value in values.items()}
    data["phone"] = _phone_text(values["phone"]) if "phone" in values else None
    for field in ("village_no", "member_count"):
        if data.get(field):
            data[field] = _number_text(data[field])
    if isinstance(values.get("pledge_date"), (datetime.date, datetime.datetime)):
        data["pledge_date"] = values["pledge_date"]
    status_text = data.get("grower_status", "").lower()
    status_words = dict(STATUS_WORDS, **{code: code for code in GROWER_STATUSES})
    data["grower_status"] = status_words.get(status_text, status_text)
    if "disadvantaged" in data:
        others = []
        for term in split_terms(data.pop("disadvantaged")):
            chosen = choices.get("disadvantaged", {}).get(term)
            meaning = [chosen] if chosen not in (None, "auto") else proposed_value("disadvantaged", term, matcher)
            for flag in meaning:
                if flag == "other":
                    others.append(term)
                else:
                    data[flag] = True
        if others:
            data["disadvantaged_other"] = ", ".join(filter(None, [data.get("disadvantaged_other"), *others]))
    if "occupation_groups" in data:
        ids, unknown = [], []
        for term in split_terms(data.pop("occupation_groups"), matcher.known):
            chosen = choices.get("occupation_groups", {}).get(term)
            if chosen is None or chosen == "auto":
                found = matcher.match(term)
            else:
                found = [int(chosen)] if chosen else []  # "": the user said no group fits
            ids.extend(found)
            if not found:
                unknown.append(term)
        data["occupation_group_ids"] = sorted(set(ids))
        for term in unknown:
            nearest = matcher.nearest(term)
            if nearest:
                problems["occupation_groups"] = _l(
                    'Unknown occupation group "%(name)s". Nearest: %(nearest)s. Choose its group on the mapping page, '
                    'or add the group first.',
                    name=term, nearest=", ".join(nearest))
            else:
                problems["occupation_groups"] = _l(
                    'Unknown occupation group "%(name)s". Add the occupation groups first (Occupation groups page).',
                    name=term)
    return {field: value for field, value in data.items() if value is not None}


def check_rows(rows, header_index, columns, choices=None):
    """Validate every data row; return (households data, problems) with problems as (line, field, message).

    `columns` names the field of each column ("" for a column not used); `choices` maps the words
    of a value column to the meaning the user chose on the mapping page.
    """
    if missing_fields(columns):
        raise ImportFileError(missing_message(columns))
    data_rows = rows[header_index + 1:]
    if sum(1 for row in data_rows if not _is_blank(row)) > MAX_ROWS:
        raise ImportFileError(_l("At most %(n)d rows per file.", n=MAX_ROWS))
    choices = choices or {}
    matcher = GroupMatcher()
    existing = {code for (code,) in Household.select(Household.code).tuples()}
    seen = {}
    problems, records = [], []
    for index, row in enumerate(data_rows, start=header_index + 2):  # the line as the spreadsheet numbers it
        values = {field: row[i] if i < len(row) else None for i, field in enumerate(columns) if field}
        if not any(_cell_text(v) for v in values.values()):
            continue
        row_problems = {}
        data = _row_data(values, matcher, choices, row_problems)
        try:
            cleaned = households.clean_household(data, known_group_ids=set(matcher.names))
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
            problems.append((index, "code", _l("Household code %(code)s is also on line %(line)d: give one of the two rows "
                                               "another code.", code=code, line=seen[code])))
        seen.setdefault(code, index)
        data.update({field: cleaned[field] for field in ("village_no", "member_count", "pledge_date") if field in cleaned})
        records.append((index, data))
    if not records and not problems:
        raise ImportFileError(_l("The file has a header but no households."))
    return records, problems


def preview(filename, content, columns=None, choices=None):
    """Check a file without writing, its columns as proposed unless given; return (rows to import, problems)."""
    header_index, rows = read_table(filename, content)
    if columns is None:
        columns = propose_columns(rows[header_index])
    return check_rows(rows, header_index, columns, choices)


def commit(filename, content, by_user, columns=None, choices=None):
    """Import every household in the file, or none if any row has a problem; return the count."""
    with db.atomic():
        records, problems = preview(filename, content, columns, choices)
        if problems:
            raise ValidationError({f"line {line} {field}": message for line, field, message in problems})
        for _line, data in records:
            # The council's survey sheet is filled from forms its people signed, consent included
            # (SECURITY.md): the import records that consent for each head, on the sheet's form.
            households.create_household({**data, "sensitive_consent": _holds_sensitive(data)}, by_user)
    return len(records)


# The upload kept between the steps --------------------------------------------------------------


def _file_path(folder, upload):
    return os.path.join(folder, upload.token)


def start_import(filename, content, by_user, folder):
    """Keep an uploaded sheet for the mapping step (readable by the server only); return its HouseholdImport.

    The file is read first, so a file that cannot be read is refused at once and never kept.
    """
    header_index, rows = read_table(filename, content)
    if all(_is_blank(row) for row in rows[header_index + 1:]):
        raise ImportFileError(_l("The file has a header but no households."))
    token = secrets.token_hex(16)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    descriptor = os.open(os.path.join(folder, token), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as saved:
        saved.write(content)
    return HouseholdImport.create(
        token=token, user=by_user, filename=filename[:255], header_line=header_index + 1,
        columns=json.dumps(propose_columns(rows[header_index])),
    )


def find_import(token, folder):
    """The upload kept under `token`, or None when it is unknown, gone or stale."""
    upload = HouseholdImport.get_or_none(HouseholdImport.token == str(token)[:40])
    if upload is None:
        return None
    if upload.uploaded_at < utcnow() - IMPORT_LIFETIME or not os.path.exists(_file_path(folder, upload)):
        discard_import(upload, folder)
        return None
    return upload


def pending_imports():
    """Uploads not yet committed nor a day old (for a reminder that an import is half done)."""
    return list(HouseholdImport.select().where(HouseholdImport.uploaded_at >= utcnow() - IMPORT_LIFETIME)
                .order_by(HouseholdImport.uploaded_at.desc()))


def discard_import(upload, folder):
    """Delete an upload and its file."""
    try:
        os.remove(_file_path(folder, upload))
    except FileNotFoundError:
        pass
    upload.delete_instance()


def _upload_table(upload, folder):
    with open(_file_path(folder, upload), "rb") as saved:
        content = saved.read()
    _header_index, rows = read_table(upload.filename, content)
    return rows


def import_state(upload, folder):
    """What the mapping page shows: the rows, the header index, each column's field and the value words."""
    rows = _upload_table(upload, folder)
    header_index = min(max(upload.header_line - 1, 0), len(rows) - 1)
    header = rows[header_index]
    width = max(len(row) for row in rows[header_index:])
    columns = (json.loads(upload.columns) + [""] * width)[:width]
    data_rows = [row for row in rows[header_index + 1:] if not _is_blank(row)]
    described = []
    for index, field in enumerate(columns):
        samples = []
        for row in data_rows:
            text = _cell_text(row[index]) if index < len(row) else ""
            if text and text not in samples:
                samples.append(text)
            if len(samples) == 3:
                break
        described.append({
            "index": index,
            "letter": _column_letter(index),
            "header": _cell_text(header[index]) if index < len(header) else "",
            "samples": samples,
            "field": field,
        })
    choices = json.loads(upload.values)
    matcher = GroupMatcher()
    words = {}
    for field, terms in value_terms(data_rows, columns).items():
        names = matcher.names if field == "occupation_groups" else CATEGORIES
        words[field] = []
        for term in terms:
            proposal = proposed_value(field, term, matcher)
            words[field].append({
                "term": term,
                "proposal": [str(value) for value in proposal],
                "proposal_text": " + ".join(str(names[value]) for value in proposal),
                "choice": choices.get(field, {}).get(term),
            })
    return {
        "rows": rows,
        "header_index": header_index,
        "columns": described,
        "fields": columns,
        "missing": missing_message(columns),
        "words": words,
        "choices": choices,
        "groups": matcher.names,
        "data_row_count": len(data_rows),
    }


def _column_letter(index):
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def save_mapping(upload, header_line, columns, words, by_user, folder):
    """Keep the user's header line, column fields and word meanings; a word given a group becomes a synonym.

    `words` is a list of (field, word, choice). A group chosen for an occupation word is kept as
    that group's synonym at once, so the same word in any later sheet needs no mapping again.
    """
    rows = _upload_table(upload, folder)
    if not 1 <= header_line <= min(len(rows), HEADER_SEARCH_ROWS * 5):
        raise ValidationError({"header_line": _l("Choose a line of the file between 1 and %(n)d.", n=len(rows))})
    if header_line != upload.header_line:
        columns = propose_columns(rows[header_line - 1])
    valid = set(COLUMNS) | {""}
    if any(field not in valid for field in columns):
        raise ValidationError({"columns": _l("Choose a field from the list for each column.")})
    doubled = sorted({field for field in columns if field and columns.count(field) > 1})
    if doubled:
        raise ValidationError({"columns": _l("Each field can come from one column only: %(fields)s.",
                                             fields=", ".join(str(FIELD_LABELS[f]) for f in doubled))})
    matcher = GroupMatcher()
    choices = {field: {} for field in VALUE_FIELDS}
    with db.atomic():
        for field, term, choice in words:
            if field == "occupation_groups" and choice not in ("", "auto"):
                if not choice.isdigit() or int(choice) not in matcher.names:
                    raise ValidationError({"words": _l("Choose an occupation group from the list.")})
                _keep_synonym(term, int(choice), matcher, by_user)
            elif field == "disadvantaged" and choice not in set(CATEGORIES) | {"auto"}:
                raise ValidationError({"words": _l("Choose a category from the list.")})
            if field in choices:
                choices[field][term] = choice
        upload.header_line = header_line
        upload.columns = json.dumps(columns)
        upload.values = json.dumps(choices, ensure_ascii=False)
        upload.save()
    return upload


def _keep_synonym(term, group_id, matcher, by_user):
    """Remember that a word means a group, unless the word already says so by itself."""
    key = fold(term)[:120]
    if not key or (matcher.match(term) == [group_id] and key not in matcher.synonyms):
        return
    synonym = OccupationSynonym.get_or_none(OccupationSynonym.word == key)
    if synonym is None:
        synonym = OccupationSynonym.create(word=key, written=term[:120], group=group_id)
        audit.record(by_user, "create", "occupation_synonym", synonym.id, {"word": (None, term), "group_id": (None, group_id)})
    elif synonym.group_id != group_id:
        audit.record(by_user, "update", "occupation_synonym", synonym.id, {"group_id": (synonym.group_id, group_id)})
        synonym.group = group_id
        synonym.save()
    matcher.synonyms[key] = group_id


def preview_import(upload, folder):
    """Check the kept upload with its mapping: (rows that would be imported, problems)."""
    rows = _upload_table(upload, folder)
    return check_rows(rows, upload.header_line - 1, json.loads(upload.columns), json.loads(upload.values))


def commit_import(upload, by_user, folder):
    """Import the kept upload with its mapping, every row or none; the file is deleted after. Return the count."""
    rows = _upload_table(upload, folder)
    with db.atomic():
        records, problems = check_rows(rows, upload.header_line - 1, json.loads(upload.columns), json.loads(upload.values))
        if problems:
            raise ValidationError({f"line {line} {field}": message for line, field, message in problems})
        for _line, data in records:
            # The council's survey sheet is filled from forms its people signed, consent included
            # (SECURITY.md): the import records that consent for each head, on the sheet's form.
            households.create_household({**data, "sensitive_consent": _holds_sensitive(data)}, by_user)
    discard_import(upload, folder)
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
    header = [COLUMNS[field][0] for field in EXPORT_FIELDS]
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
            household.member_count,
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
