"""Parse and check user input field by field, collecting every problem before anything is written.

Forms, the JSON API and the spreadsheet import all go through these parsers, so a value is
judged the same way wherever it comes from. Messages are lazy translations: they render in the
language of whoever reads them.
"""
import datetime
import re
import unicodedata
import uuid
from decimal import Decimal, InvalidOperation

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l


# The largest whole number any integer column holds on both databases (PostgreSQL's integer);
# a bigger one would be an OverflowError or a DataError, a 500, instead of a 400.
LARGEST_INTEGER = 2**31 - 1


class ValidationError(Exception):
    """Input that cannot be saved; `errors` maps each field name to a message for the user."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = dict(errors)


class NotFound(Exception):
    """A record the user asked for does not exist."""


# Control characters nobody types (C0 but tab, line feed and carriage return; DEL; C1): refused.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Invisible characters that change how text looks or compares without showing: zero-width
# spaces and joiners, the byte-order mark, and the bidi embeddings, overrides and isolates that
# can turn a name around on screen. Thai never needs them: they are removed.
INVISIBLE_CHARACTERS = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")
# Any run of spaces within a line (tabs, no-break and other Unicode spaces) becomes one space.
SPACES = re.compile(r"[^\S\n]+")


def clean_text(value):
    """Text as the person meant it, the one cleaner for all input: Unicode NFC, invisible characters
    removed, spaces folded, line ends as \\n; raise ValueError on a control character.

    Two names that look the same are then stored the same, so a zero-width space or a decomposed
    vowel cannot make a second "unique" product name, and a bidi override cannot disguise one.
    """
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    if CONTROL_CHARACTERS.search(text):
        raise ValueError(_l("Enter text without control characters."))
    text = unicodedata.normalize("NFC", INVISIBLE_CHARACTERS.sub("", text))
    return "\n".join(SPACES.sub(" ", line).strip() for line in text.split("\n")).strip()


class Form:
    """Collect cleaned values and per-field errors from one submitted mapping.

    Each `text`, `integer`, ... call reads one field, stores its cleaned value in `cleaned`
    or its message in `errors`; `finish()` raises ValidationError if anything failed.
    Fields absent from the data are skipped when `partial` (a PATCH), else treated as empty.
    """

    def __init__(self, data, partial=False):
        self.data = data or {}
        self.partial = partial
        self.cleaned = {}
        self.errors = {}

    def _raw(self, name):
        if name not in self.data:
            return None, self.partial
        value = self.data.get(name)
        if isinstance(value, str):
            value = value.strip()
        return value, False

    def _field(self, name, required, parse):
        raw, skip = self._raw(name)
        if skip:
            return
        if raw is None or raw == "":
            if required:
                self.errors[name] = _l("This field is required.")
            else:
                self.cleaned[name] = None
            return
        try:
            self.cleaned[name] = parse(raw)
        except ValueError as exc:
            self.errors[name] = exc.args[0]

    def text(self, name, max_length, required=False, pattern=None, pattern_message=None):
        def parse(raw):
            if isinstance(raw, bool) or not isinstance(raw, (str, int, Decimal)):
                raise ValueError(_l("Enter text."))
            value = clean_text(raw)
            if not value and required:
                raise ValueError(_l("This field is required."))
            if len(value) > max_length:
                raise ValueError(_l("At most %(n)d characters.", n=max_length))
            if pattern and not re.fullmatch(pattern, value):
                raise ValueError(pattern_message)
            return value

        self._field(name, required, parse)
        if name in self.cleaned and self.cleaned[name] is None:
            self.cleaned[name] = ""

    def integer(self, name, minimum=None, maximum=None, required=False):
        """Read a whole number; without bounds it must still fit a database integer (an id of 10^30 is a 400)."""
        def parse(raw):
            try:
                value = int(str(raw).strip().translate(THAI_DIGITS))
            except ValueError:
                raise ValueError(_l("Enter a whole number.")) from None
            check_range(value, -LARGEST_INTEGER if minimum is None else minimum,
                        LARGEST_INTEGER if maximum is None else maximum)
            return value

        self._field(name, required, parse)

    def decimal(self, name, places=2, minimum=None, maximum=None, required=False):
        def parse(raw):
            value = parse_decimal(raw, places)
            check_range(value, minimum, maximum)
            return value

        self._field(name, required, parse)

    def money(self, name, required=False):
        """Read baht with up to two decimals; store integer satang."""
        def parse(raw):
            value = parse_decimal(raw, 2)
            check_range(value, Decimal(0), Decimal(10_000_000))
            return int(value * 100)

        self._field(name, required, parse)

    def date(self, name, required=False, earliest=None, latest=None, too_early=None, too_late=None):
        """Read a date typed the Thai way or C.E. (see parse_date), within [earliest, latest] if given.

        `too_early` and `too_late` are the messages that say why a date out of range is refused,
        or functions that make them (only when needed: a message may format a date).
        """
        def message(made, default):
            return (made() if callable(made) else made) or default

        def parse(raw):
            value = parse_date(raw)
            if earliest is not None and value < earliest:
                raise ValueError(message(too_early, _l("This date is too early.")))
            if latest is not None and value > latest:
                raise ValueError(message(too_late, _l("This date is too late.")))
            return value

        self._field(name, required, parse)

    def choice(self, name, choices, required=False):
        def parse(raw):
            if not isinstance(raw, str) or raw not in choices:
                raise ValueError(_l("Choose one of the listed options."))
            return raw

        self._field(name, required, parse)

    def client_id(self, name, message, required=False):
        """Read a UUID made by the client for one write, so a retry of it can be recognised."""
        def parse(raw):
            try:
                return str(uuid.UUID(str(raw)))
            except ValueError:
                raise ValueError(message) from None

        self._field(name, required, parse)

    def boolean(self, name):
        raw, skip = self._raw(name)
        if skip:
            return
        try:
            self.cleaned[name] = parse_bool(raw)
        except ValueError as exc:
            self.errors[name] = exc.args[0]

    def finish(self):
        if self.errors:
            raise ValidationError(self.errors)
        return self.cleaned


TRUE_WORDS = {"1", "true", "yes", "on", "y", "ใช่", "มี", "x", "✓"}
FALSE_WORDS = {"", "0", "false", "no", "off", "n", "ไม่", "ไม่ใช่", "ไม่มี", "-"}


def parse_bool(raw):
    """Read a checkbox, a JSON boolean or a spreadsheet cell (yes/ใช่/1/x, no/ไม่/0/empty).

    Anything else is refused rather than read as "no", so a typo never clears a flag.
    """
    if isinstance(raw, bool):
        return raw
    if raw is None:
        return False
    word = str(raw).strip().lower()
    if isinstance(raw, (str, int)) and word in TRUE_WORDS:
        return True
    if isinstance(raw, (str, int)) and word in FALSE_WORDS:
        return False
    raise ValueError(_l("Choose yes or no."))


THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")


# A year above this is a Buddhist Era year (พ.ศ. = ค.ศ. + 543); no C.E. year we record comes near it.
BUDDHIST_ERA_THRESHOLD = 2400
BUDDHIST_ERA_OFFSET = 543
# Years outside this range (after turning พ.ศ. into ค.ศ.) are typing mistakes, whatever the field.
FIRST_YEAR, LAST_YEAR = 1900, 2200
MONTH_WORDS = {
    **{name: n for n, name in enumerate(
        ["ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค."], 1)},
    **{name: n for n, name in enumerate(
        ["มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม", "สิงหาคม",
         "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม"], 1)},
    **{name: n for n, name in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)},
}
ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
DAY_MONTH_YEAR = re.compile(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})")
DAY_WORD_YEAR = re.compile(r"(\d{1,2})\s*([^\d\s]+?)\s*(?:พ\.ศ\.|ค\.ศ\.)?\s*(\d{4})")
DATE_HINT = _l("Write the date as day/month/year, such as 24/11/2569 (B.E.) or 24/11/2026, or as 2026-11-24.")


def local_today():
    """Today in Thailand, the day people mean when they type a date (UTC+7, not the server's UTC)."""
    hours = current_app.config.get("UTC_OFFSET_HOURS", 7) if has_app_context() else 7
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=hours)).date()


def parse_date(raw):
    """Read a date the way people type it: 24/11/2569 (B.E.), 24/11/2026, 2026-11-24, ๒๔/๑๑/๒๕๖๙, 24 พ.ย. 2569.

    The one date parser of the app: forms, the JSON API and the import all use it. A spreadsheet
    date cell is taken as it is. Anything that is not wholly a date (such as "2026-12-01garbage")
    raises ValueError with a message that shows how to write one.
    """
    if isinstance(raw, datetime.datetime):
        raw = raw.date()
    if isinstance(raw, datetime.date):
        return _checked_date(raw.year, raw.month, raw.day)
    if not isinstance(raw, str):
        raise ValueError(DATE_HINT)
    text = raw.strip().translate(THAI_DIGITS)
    match = ISO_DATE.fullmatch(text)
    if match:
        year, month, day = (int(part) for part in match.groups())
    else:
        match = DAY_MONTH_YEAR.fullmatch(text)
        if match:
            day, month, year = (int(part) for part in match.groups())
        else:
            match = DAY_WORD_YEAR.fullmatch(text)
            word = match.group(2).lower() if match else ""
            month = MONTH_WORDS.get(word) or MONTH_WORDS.get(word.rstrip("."))
            if not month:
                raise ValueError(DATE_HINT)
            day, year = int(match.group(1)), int(match.group(3))
    return _checked_date(year, month, day)


def _checked_date(year, month, day):
    if year > BUDDHIST_ERA_THRESHOLD:
        year -= BUDDHIST_ERA_OFFSET
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(_l("Check the year: B.E. years are like 2569, C.E. years like 2026."))
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise ValueError(_l("There is no such day: check the day and the month (day/month/year).")) from None


def parse_decimal(raw, places):
    """Read a decimal number (Thai digits too) with at most `places` decimals; never through float."""
    if isinstance(raw, float):
        raw = repr(raw)  # a JSON number: its shortest exact spelling, not the binary fraction
    text = str(raw).strip().replace(",", "").translate(THAI_DIGITS)
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(_l("Enter a number.")) from None
    if not value.is_finite():
        raise ValueError(_l("Enter a number."))
    if value.as_tuple().exponent < -places:
        raise ValueError(_l("At most %(n)d decimal places.", n=places))
    return value


def clean_period(data, start="start", end="end"):
    """Two required dates from `data` with the end not before the start; returns (start, end)."""
    form = Form(data)
    form.date(start, required=True)
    form.date(end, required=True)
    cleaned = form.finish()
    if cleaned[end] < cleaned[start]:
        raise ValidationError({end: _l("The end of the period cannot be before its start.")})
    return cleaned[start], cleaned[end]


def check_range(value, minimum, maximum):
    if minimum is not None and value < minimum:
        raise ValueError(_l("Must be at least %(n)s.", n=minimum))
    if maximum is not None and value > maximum:
        raise ValueError(_l("Must be at most %(n)s.", n=maximum))


def national_id_is_valid(value):
    """Check a 13-digit Thai national ID against its check digit."""
    if not re.fullmatch(r"\d{13}", value):
        return False
    total = sum(int(d) * (13 - i) for i, d in enumerate(value[:12]))
    return (11 - total % 11) % 10 == int(value[12])
