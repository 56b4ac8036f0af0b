"""Parse and check user input field by field, collecting every problem before anything is written.

Forms, the JSON API and the spreadsheet import all go through these parsers, so a value is
judged the same way wherever it comes from. Each input is declared once as a `Schema` (end of
this module): the declaration checks it and writes its part of the API document, so the two
cannot disagree. Messages are lazy translations: they render in the language of whoever reads them.
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
# The most baht one money field takes: ten million, far beyond any sale or float of the market.
MAX_BAHT = Decimal(10_000_000)


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

    def integer(self, name, minimum=None, maximum=None, required=False, too_small=None, too_large=None):
        """Read a whole number; without bounds it must still fit a database integer (an id of 10^30 is a 400).

        `too_small` and `too_large`, when given, say why a number out of bounds is refused.
        """
        def parse(raw):
            try:
                value = int(str(raw).strip().translate(THAI_DIGITS))
            except ValueError:
                raise ValueError(_l("Enter a whole number.")) from None
            check_range(value, -LARGEST_INTEGER if minimum is None else minimum,
                        LARGEST_INTEGER if maximum is None else maximum, too_small, too_large)
            return value

        self._field(name, required, parse)

    def decimal(self, name, places=2, minimum=None, maximum=None, required=False, too_small=None, too_large=None):
        def parse(raw):
            value = parse_decimal(raw, places)
            check_range(value, minimum, maximum, too_small, too_large)
            return value

        self._field(name, required, parse)

    def money(self, name, required=False):
        """Read baht with up to two decimals; store integer satang."""
        def parse(raw):
            value = parse_decimal(raw, 2)
            check_range(value, Decimal(0), MAX_BAHT)
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
    return (datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=hours)).date()


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


def check_range(value, minimum, maximum, too_small=None, too_large=None):
    """Raise ValueError if `value` is outside [minimum, maximum], with the given message or one naming the bound."""
    if minimum is not None and value < minimum:
        raise ValueError(too_small or _l("Must be at least %(n)s.", n=minimum))
    if maximum is not None and value > maximum:
        raise ValueError(too_large or _l("Must be at most %(n)s.", n=maximum))


def national_id_is_valid(value):
    """Check a 13-digit Thai national ID against its check digit."""
    if not re.fullmatch(r"\d{13}", value):
        return False
    total = sum(int(d) * (13 - i) for i, d in enumerate(value[:12]))
    return (11 - total % 11) % 10 == int(value[12])


# --- Declared inputs ------------------------------------------------------------------------
# One declaration per input: its fields with types, limits, required and messages. The same
# declaration reads a form, a JSON body or an import row (Schema.form) and writes the input's
# part of the OpenAPI document (Schema.openapi), so the document states exactly what is enforced.


def _json_number(value):
    """A limit as the document writes it: an int when whole, else its decimal as a JSON number."""
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def _bound(limit):
    """A limit that may depend on the day (a function), read when the input is checked."""
    return limit() if callable(limit) else limit


# Schema keywords that limit what may be sent, not what an answer holds.
INPUT_LIMITS = ("minLength", "maxLength", "pattern", "minimum", "maximum", "minItems", "maxItems")


class Field:
    """One declared input field: `read` checks it into a Form, `openapi` describes it."""

    def __init__(self, required=False, description=None, example=None, nullable=False):
        self.required = required
        self.description = description
        self.example = example
        self.nullable = nullable

    def read(self, form, name):
        raise NotImplementedError

    def type_schema(self):
        raise NotImplementedError

    def openapi(self, record=False):
        """The field in the API document: as sent (with its limits), or as answered in a `record`."""
        schema = self.record_schema() if record else self.type_schema()
        for key, value in (("description", self.description), ("example", self.example)):
            if value is not None:
                schema[key] = str(value)
        if self.nullable:
            schema["nullable"] = True
        return schema

    def record_schema(self):
        """The field as the API answers it: its type without the input's limits."""
        return {key: value for key, value in self.type_schema().items() if key not in INPUT_LIMITS}


class Text(Field):
    """Cleaned text (see clean_text) of at most `max_length` characters, optionally matching `pattern`."""

    def __init__(self, max_length, pattern=None, pattern_message=None, **options):
        super().__init__(**options)
        self.max_length, self.pattern, self.pattern_message = max_length, pattern, pattern_message

    def read(self, form, name):
        form.text(name, self.max_length, self.required, self.pattern, self.pattern_message)

    def type_schema(self):
        schema = {"type": "string", "maxLength": self.max_length}
        if self.required:
            schema["minLength"] = 1
        if self.pattern:
            schema["pattern"] = f"^(?:{self.pattern})$"
        return schema


class Integer(Field):
    """A whole number within [minimum, maximum]; without bounds, within a database integer.

    A bound may be a function (this year), read when the input is checked or documented.
    """

    def __init__(self, minimum=None, maximum=None, too_small=None, too_large=None, **options):
        super().__init__(**options)
        self.minimum = -LARGEST_INTEGER if minimum is None else minimum
        self.maximum = LARGEST_INTEGER if maximum is None else maximum
        self.too_small, self.too_large = too_small, too_large

    def read(self, form, name):
        form.integer(name, _bound(self.minimum), _bound(self.maximum), self.required, self.too_small, self.too_large)

    def type_schema(self):
        return {"type": "integer", "minimum": _bound(self.minimum), "maximum": _bound(self.maximum)}


class Number(Field):
    """A decimal with at most `places` decimals within [minimum, maximum]: a string keeps it exact."""

    def __init__(self, places, minimum=None, maximum=None, too_small=None, too_large=None, **options):
        super().__init__(**options)
        self.places, self.minimum, self.maximum = places, minimum, maximum
        self.too_small, self.too_large = too_small, too_large

    def read(self, form, name):
        form.decimal(name, self.places, self.minimum, self.maximum, self.required, self.too_small, self.too_large)

    def type_schema(self):
        number = {"type": "number"}
        if self.minimum is not None:
            number["minimum"] = _json_number(self.minimum)
        if self.maximum is not None:
            number["maximum"] = _json_number(self.maximum)
        text = {"type": "string", "pattern": rf"^-?[0-9๐-๙,]+(\.[0-9๐-๙]{{1,{self.places}}})?$"}
        return {"oneOf": [text, number]}

    def record_schema(self):
        return {"type": "string"}


class Money(Number):
    """Baht with at most two decimals, kept as integer satang."""

    def __init__(self, **options):
        super().__init__(2, Decimal(0), MAX_BAHT, **options)

    def read(self, form, name):
        form.money(name, self.required)


class Date(Field):
    """A date as people type it (see parse_date), within [earliest, latest] when given.

    The bounds may be functions (today, today + a week), read when the input is checked; the
    messages say why a date out of range is refused, as for Form.date.
    """

    def __init__(self, earliest=None, latest=None, too_early=None, too_late=None, **options):
        super().__init__(**options)
        self.earliest, self.latest, self.too_early, self.too_late = earliest, latest, too_early, too_late

    def read(self, form, name):
        form.date(name, self.required, _bound(self.earliest), _bound(self.latest), self.too_early, self.too_late)

    def type_schema(self):
        return {"type": "string", "format": "date"}


class Choice(Field):
    """One of a fixed list of words."""

    def __init__(self, choices, **options):
        super().__init__(**options)
        self.choices = tuple(choices)

    def read(self, form, name):
        form.choice(name, self.choices, self.required)

    def type_schema(self):
        return {"type": "string", "enum": list(self.choices)}


class Boolean(Field):
    """Yes or no: a JSON boolean, a checkbox or a spreadsheet cell (see parse_bool)."""

    def read(self, form, name):
        form.boolean(name)

    def type_schema(self):
        return {"type": "boolean"}


# What a page's ticked checkbox sends; anything else, or nothing, is an unticked box.
CHECKED_WORDS = ("1", "on", "true", "yes")


class Checkbox(Field):
    """A page form's checkbox: ticked when sent as one of CHECKED_WORDS, else not; never an error.

    Unlike Boolean, an unknown word is "no": the box has no third state for a typo to reach.
    """

    def read(self, form, name):
        form.cleaned[name] = str(form.data.get(name, "")).lower() in CHECKED_WORDS

    def type_schema(self):
        return {"type": "boolean"}


class ClientId(Field):
    """A UUID the client makes for one write, so that a retry of it is recognised."""

    def __init__(self, message, **options):
        super().__init__(**options)
        self.message = message

    def read(self, form, name):
        form.client_id(name, self.message, self.required)

    def type_schema(self):
        return {"type": "string", "format": "uuid"}


class Items(Field):
    """A list of `min_items` to `max_items` objects, each read by `schema`; errors are named `name.index.field`."""

    def __init__(self, schema, min_items, max_items, too_few, too_many, **options):
        super().__init__(required=True, **options)
        self.schema, self.min_items, self.max_items = schema, min_items, max_items
        self.too_few, self.too_many = too_few, too_many

    def read(self, form, name):
        raw, skip = form._raw(name)
        if skip:
            return
        if not isinstance(raw, list) or len(raw) < self.min_items:
            form.errors[name] = self.too_few
            return
        if len(raw) > self.max_items:
            form.errors[name] = self.too_many
            return
        items, errors = [], {}
        for index, item in enumerate(raw):
            line = self.schema.form(item if isinstance(item, dict) else {})
            errors.update({f"{name}.{index}.{field}": message for field, message in line.errors.items()})
            items.append(line.cleaned)
        if errors:
            form.errors.update(errors)
        else:
            form.cleaned[name] = items

    def type_schema(self):
        return {"type": "array", "minItems": self.min_items, "maxItems": self.max_items, "items": self.schema.openapi()}

    def record_schema(self):
        return {"type": "array", "items": self.schema.openapi(record=True)}


class Nested(Field):
    """One object read by `schema`; errors are named `name.field`."""

    def __init__(self, schema, **options):
        super().__init__(required=True, **options)
        self.schema = schema

    def read(self, form, name):
        raw, skip = form._raw(name)
        if skip:
            return
        inner = self.schema.form(raw if isinstance(raw, dict) else {})
        form.errors.update({f"{name}.{field}": message for field, message in inner.errors.items()})
        if not inner.errors:
            form.cleaned[name] = inner.cleaned

    def type_schema(self):
        return self.schema.openapi()

    def record_schema(self):
        return self.schema.openapi(record=True)


class Described(Field):
    """A field whose rules need the database or other records, so the service checks it;
    declared here so the document lists it."""

    def __init__(self, schema, **options):
        super().__init__(**options)
        self.schema = schema

    def read(self, form, name):
        """Leave the field to the service."""

    def type_schema(self):
        return dict(self.schema)


class Schema:
    """An input declared once as Field class attributes, in the order they are checked.

    `form(data)` reads every field into a Form (a service adds the rules that span fields, then
    calls finish()); `clean(data)` is form().finish(); `openapi()` is the request schema.
    """

    fields = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.fields = {**cls.fields, **{name: value for name, value in vars(cls).items() if isinstance(value, Field)}}

    @classmethod
    def form(cls, data, partial=False, omit=()):
        """A Form with every field but those in `omit` read from `data`."""
        form = Form(data, partial=partial)
        for name, field in cls.fields.items():
            if name not in omit:
                field.read(form, name)
        return form

    @classmethod
    def clean(cls, data, partial=False, omit=()):
        return cls.form(data, partial, omit).finish()

    @classmethod
    def openapi(cls, partial=False, record=False, omit=()):
        """The JSON schema of this input; `partial` (a PATCH) requires nothing; a `record` is the
        same fields as the API answers them, without the input's limits (see `record_schema`)."""
        fields = {name: field for name, field in cls.fields.items() if name not in omit}
        schema = {"type": "object", "properties": {name: field.openapi(record) for name, field in fields.items()}}
        required = [name for name, field in fields.items() if field.required]
        if required and not partial and not record:
            schema["required"] = required
        return schema


# Records in one page of an API list, unless the caller asks for fewer or more (up to the maximum).
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class Period(Schema):
    """Two days that bound a report or a list, the end not before the start."""

    start = Date(required=True)
    end = Date(required=True)


def clean_period(data, schema=Period):
    """The period `schema` (its two fields, start then end) reads from `data`; returns (start, end)."""
    start, end = schema.fields
    cleaned = schema.clean(data)
    if cleaned[end] < cleaned[start]:
        raise ValidationError({end: _l("The end of the period cannot be before its start.")})
    return cleaned[start], cleaned[end]


class Paging(Schema):
    """Which page of a list to answer, and how many records a page holds."""

    page = Integer(minimum=1, maximum=LARGEST_INTEGER, description="Default 1")
    per_page = Integer(minimum=1, maximum=MAX_PAGE_SIZE, description=f"Default {DEFAULT_PAGE_SIZE}")
