"""What the API answers, declared once: each answer's `dump` writes the JSON and `openapi` documents it.

An answer's fields say how to read each value from a record (an attribute path, or a function of
the record) and what type the JSON holds, so the document cannot drift from what is sent. Money
is answered as integer satang (`..._satang`), quantities and decimals as exact strings, dates as
ISO days and stored times as ISO UTC with a `Z`. This module must never read `request`.
"""
import operator


def _getters(path):
    """Functions reading a dotted path from a record's attributes, and from a dict's keys; a path
    that meets None on its way reads None."""
    steps = path.split(".")
    if len(steps) == 1:
        return operator.attrgetter(path), operator.itemgetter(path)

    def follow(record):
        for step in steps:
            if record is None:
                return None
            record = record[step] if isinstance(record, dict) else getattr(record, step)
        return record

    return follow, follow


class Value:
    """One field of an answer: where its value comes from, and how it is written and documented.

    `source` is an attribute path ("standard.code", None when a step is None), or a function of the
    record; by default the attribute (or key) of the field's own name. A `nullable` field answers null when the value is None; an
    `optional` field may be left out of the answer (`dump(..., omit=...)`), so it is not required.
    """

    def __init__(self, source=None, nullable=False, optional=False, description=None, example=None):
        self.source, self.nullable, self.optional = source, nullable, optional
        self.description, self.example = description, example
        self.get = self.get_key = None
        if callable(source):
            self.get = self.get_key = source
        elif source:
            self.get, self.get_key = _getters(source)

    def __set_name__(self, owner, name):
        if self.get is None:
            self.get, self.get_key = _getters(name)

    # A value of this type is already as the JSON holds it, so `write` is skipped (see Answer.dump).
    plain = None

    def write(self, value):
        return value

    def type_schema(self):
        raise NotImplementedError

    def openapi(self):
        """The field in the API document."""
        schema = self.type_schema()
        for key, value in (("description", self.description), ("example", self.example)):
            if value is not None:
                schema[key] = value
        if self.nullable:
            schema["nullable"] = True
        return schema


class Str(Value):
    """Text as stored; `choices` and `format` ("uri", "date" when already written) document it."""

    plain = str

    def __init__(self, source=None, choices=None, format=None, **options):
        super().__init__(source, **options)
        self.choices, self.format = choices, format

    def write(self, value):
        return str(value)

    def type_schema(self):
        schema = {"type": "string"}
        if self.choices:
            schema["enum"] = list(self.choices)
        if self.format:
            schema["format"] = self.format
        return schema


class Int(Value):
    """A whole number: an id, a count, or money as integer satang."""

    plain = int

    def write(self, value):
        return int(value)

    def type_schema(self):
        return {"type": "integer"}


class Bool(Value):
    """Yes or no."""

    plain = bool

    def write(self, value):
        return bool(value)

    def type_schema(self):
        return {"type": "boolean"}


class Exact(Str):
    """An exact decimal (a quantity, an area, a coordinate) as a string, never a float."""

    def __init__(self, source=None, places=None, **options):
        super().__init__(source, **options)
        self.places = places

    def write(self, value):
        return str(value) if self.places is None else f"{value:.{self.places}f}"


class Day(Value):
    """A date as an ISO day (2026-12-03)."""

    def write(self, value):
        return value.isoformat()

    def type_schema(self):
        return {"type": "string", "format": "date"}


class Moment(Value):
    """A stored time (naive UTC) as ISO 8601 with a `Z`."""

    def write(self, value):
        return value.isoformat() + "Z"

    def type_schema(self):
        return {"type": "string", "format": "date-time"}


class One(Value):
    """A nested answer."""

    def __init__(self, answer, source=None, **options):
        super().__init__(source, **options)
        self.answer = answer

    def write(self, value):
        return self.answer.dump(value)

    def type_schema(self):
        return self.answer.openapi()


class Many(One):
    """A list of nested answers, or of plain values when `answer` is a Value (Int() for ids)."""

    def write(self, value):
        if isinstance(self.answer, Value):
            return [self.answer.write(item) for item in value]
        return self.answer.many(value)

    def type_schema(self):
        return {"type": "array", "items": self.answer.openapi()}


class Keyed(One):
    """An object of nested answers keyed by a string: `value` is a list of (key, record) pairs."""

    def write(self, value):
        return {str(key): self.answer.dump(item) for key, item in value}

    def type_schema(self):
        return {"type": "object", "additionalProperties": self.answer.openapi()}


class Answer:
    """An answer's shape, declared as Value class attributes in the order the JSON lists them.

    `dump(record)` is the JSON object, `many(records)` a list of them, `openapi()` the strict
    schema (every field required unless optional, no other key allowed).
    """

    fields = {}
    schema_name = None  # the name in the document's components; the class name by default
    about = None  # the schema's description in the document

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.fields = {**cls.fields, **{name: value for name, value in vars(cls).items() if isinstance(value, Value)}}

    @classmethod
    def dump(cls, record, omit=()):
        """The JSON object of `record`, without the optional fields named in `omit`."""
        keyed = isinstance(record, dict)
        answer = {}
        for name, field in cls.fields.items():
            if name in omit:
                continue
            value = (field.get_key if keyed else field.get)(record)
            answer[name] = value if value is None or type(value) is field.plain else field.write(value)
        return answer

    @classmethod
    def many(cls, records, omit=()):
        return [cls.dump(record, omit) for record in records]

    @classmethod
    def openapi(cls):
        """The schema of this answer in the API document."""
        schema = {
            "type": "object",
            "required": [name for name, field in cls.fields.items() if not field.optional],
            "properties": {name: field.openapi() for name, field in cls.fields.items()},
            "additionalProperties": False,
        }
        if cls.about:
            schema["description"] = cls.about
        return schema

    @classmethod
    def list_schema(cls, **properties):
        """An `{"items": [...]}` answer of this record, with any further `properties` (all required)."""
        properties = {"items": {"type": "array", "items": cls.ref()}, **properties}
        return {"type": "object", "required": list(properties), "properties": properties, "additionalProperties": False}

    @classmethod
    def ref(cls):
        """A reference to this answer's schema in the document's components (by its class name)."""
        return {"$ref": f"#/components/schemas/{cls.component()}"}

    @classmethod
    def component(cls):
        return cls.schema_name or cls.__name__


def schemas(*answers):
    """The document's components for these answers, each under its component name."""
    return {answer.component(): answer.openapi() for answer in answers}
