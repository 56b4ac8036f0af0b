"""The input register: what each fertiliser, pest control or seed is, and what each standard says of it.

The input log picks from here. An input the register does not know is recorded anyway and
stays "needs review" until the certifying body classifies it; the ruling is read when an entry
is shown, never copied into it, so a later classification applies to every past entry.
"""
import csv
import io
import pathlib

from flask_babel import lazy_gettext as _l

from certificates import standards
from certificates.models import INPUT_TYPES, RULINGS, InputEntry, InputRuling, Inspection, RegisteredInput, Standard
from core import audit
from core.db import db
from core.exports import csv_bytes
from core.validation import Choice, Schema, Text, ValidationError

SEED_CSV = pathlib.Path(__file__).with_name("input_register.csv")
CSV_HEADER = ["name_th", "name_en", "trade_names", "active_ingredients", "kind", "ruling", "condition"]
ENTRY_STATES = {
    "allowed": _l("Allowed"),
    "restricted": _l("Restricted"),
    "prohibited": _l("Prohibited by the standard"),
    "needs_review": _l("Needs review"),
}


def _key(text):
    return " ".join(str(text).split()).casefold()


def names_of(registered):
    """Every name the input is known by: Thai, English and its trade names."""
    return [n for n in [registered.name_th, registered.name_en, *registered.trade_name_list] if n]


def find_input(text):
    """The register input named `text` (Thai, English or a trade name, any case), or None."""
    wanted = _key(text)
    if not wanted:
        return None
    for registered in RegisteredInput.select().order_by(RegisteredInput.id):
        if any(_key(name) == wanted for name in names_of(registered)):
            return registered
    return None


def search(query="", kind=None):
    """Register inputs whose names, trade names or ingredients contain `query`, by Thai name."""
    found = RegisteredInput.select().order_by(RegisteredInput.name_th)
    if kind:
        found = found.where(RegisteredInput.kind == kind)
    wanted = _key(query)
    if not wanted:
        return list(found)
    return [r for r in found if wanted in _key(" ".join([*names_of(r), r.active_ingredients]))]


def default_standard():
    """The market's own standard: the first PGS standard, else the first one."""
    return (Standard.select().order_by((Standard.kind != "pgs"), Standard.id).first())


def standard_for(household):
    """The standard a household's inputs are judged by: that of its last inspection, else the market's own."""
    last = (Inspection.select().where(Inspection.household == household)
            .order_by(Inspection.scheduled_for.desc(), Inspection.id.desc()).first())
    return last.standard if last else default_standard()


def rulings_in(version):
    """Map register input id to its InputRuling in `version` (one query)."""
    if version is None:
        return {}
    return {r.input_id: r for r in InputRuling.select().where(InputRuling.version == version)}


def entry_state(entry, rulings):
    """An entry's state under `rulings`: allowed, restricted, prohibited, or needs_review if unclassified."""
    ruling = rulings.get(entry.input_id) if entry.input_id else None
    return ruling.ruling if ruling else "needs_review"


def household_rulings(household):
    """The rulings of the version in force of the standard the household is judged by."""
    standard = standard_for(household)
    return rulings_in(standards.current_version(standard) if standard else None)


class InputRegistration(Schema):
    """An input of the register: its names, what it is made of, and the ruling on it with its condition."""

    name_th = Text(200, required=True)
    name_en = Text(200)
    trade_names = Text(2000)
    active_ingredients = Text(1000)
    kind = Choice(INPUT_TYPES, required=True)
    notes = Text(2000)
    ruling = Choice(RULINGS)
    condition = Text(1000)


def _input_form(data):
    cleaned = InputRegistration.clean(data)
    cleaned["trade_names"] = "\n".join(t.strip() for t in cleaned["trade_names"].replace(";", "\n").splitlines() if t.strip())
    if cleaned.get("ruling") == "restricted" and not cleaned["condition"]:
        raise ValidationError({"condition": _l("Write the condition under which the input may be used.")})
    return cleaned


def _check_editor(user):
    if user is None or not user.decides_certification:
        raise ValidationError({"user": _l("Only the certification committee can change the input register.")})


def save_input(data, user, version, registered=None):
    """Add an input to the register or change it, with its ruling in `version` (a draft or the one in force)."""
    _check_editor(user)
    cleaned = _input_form(data)
    ruling, condition = cleaned.pop("ruling", None), cleaned.pop("condition")
    for name in [cleaned["name_th"], cleaned["name_en"], *cleaned["trade_names"].splitlines()]:
        same = find_input(name) if name else None
        if same is not None and (registered is None or same.id != registered.id):
            raise ValidationError({"name_th": _l("%(name)s is already in the register.", name=name)})
    with db.atomic():
        registered = audit.create_or_save_with_audit(user, RegisteredInput, registered, "registered_input", cleaned)
        if ruling:
            set_ruling(registered, version, ruling, condition, user)
    return registered


def set_ruling(registered, version, ruling, condition, user):
    """Allow, restrict or prohibit an input in a version; every entry of it shows the new ruling at once."""
    if ruling not in RULINGS:
        raise ValidationError({"ruling": _l("Choose allowed, restricted or prohibited.")})
    with db.atomic():
        InputRuling.delete().where(InputRuling.input == registered, InputRuling.version == version).execute()
        InputRuling.create(input=registered, version=version, ruling=ruling, condition=condition or "")
        audit.record(user, "update", "input_ruling", registered.id,
                     audit.new_values({"version": version.id, "ruling": ruling, "condition": condition or ""}))


def unclassified_names():
    """Names typed in input logs that no register input carries yet: (name, how many entries), most used first."""
    counts = {}
    for entry in InputEntry.select(InputEntry.name).where(InputEntry.input.is_null()):
        key = _key(entry.name)
        name, count = counts.get(key, (entry.name, 0))
        counts[key] = (name, count + 1)
    return sorted(counts.values(), key=lambda item: (-item[1], item[0]))


def classify(name, data, user, version):
    """Settle an unknown name: link it to a register input (or a new one), and every past entry with it."""
    _check_editor(user)
    if not _key(name):
        raise ValidationError({"name": _l("Choose a name to classify.")})
    with db.atomic():
        if data.get("input_id"):
            try:
                registered = RegisteredInput.get_or_none(RegisteredInput.id == int(data["input_id"]))
            except (TypeError, ValueError):
                registered = None
            if registered is None:
                raise ValidationError({"input_id": _l("Choose an input from the register.")})
            if _key(name) not in {_key(n) for n in names_of(registered)}:
                registered.trade_names = "\n".join([*registered.trade_name_list, name.strip()])
                registered.save()
            if data.get("ruling"):
                set_ruling(registered, version, data["ruling"], data.get("condition", ""), user)
        else:
            registered = save_input({**data, "name_th": data.get("name_th") or name}, user, version)
        linked = link_entries(registered)
        audit.record(user, "update", "input_entry", registered.id, audit.new_values({"classified": name, "entries": linked}))
    return registered, linked


def link_entries(registered):
    """Link every unclassified entry carrying one of the input's names to it; return how many."""
    keys = {_key(n) for n in names_of(registered)}
    ids = [e.id for e in InputEntry.select(InputEntry.id, InputEntry.name).where(InputEntry.input.is_null())
           if _key(e.name) in keys]
    if ids:
        InputEntry.update(input=registered).where(InputEntry.id.in_(ids)).execute()
    return len(ids)


def export_csv(version):
    """The register as CSV, with each input's ruling in `version`."""
    rulings = rulings_in(version)
    rows = []
    for registered in RegisteredInput.select().order_by(RegisteredInput.name_th):
        ruling = rulings.get(registered.id)
        rows.append([registered.name_th, registered.name_en, "; ".join(registered.trade_name_list),
                     registered.active_ingredients, registered.kind, ruling.ruling if ruling else "",
                     ruling.condition if ruling else ""])
    return csv_bytes(CSV_HEADER, rows)


def import_csv(raw, user, version):
    """Add or update register inputs from CSV (the export's columns); all rows or none.

    Returns (added, updated). A row's errors are reported with its line number.
    """
    _check_editor(user)
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise ValidationError({"file": _l("Save the file as CSV in UTF-8.")}) from None
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "name_th" not in reader.fieldnames or "kind" not in reader.fieldnames:
        raise ValidationError({"file": _l("The file needs at least the columns name_th and kind.")})
    added = updated = 0
    with db.atomic():
        for line, row in enumerate(reader, start=2):
            data = {key: (row.get(key) or "").strip() for key in CSV_HEADER}
            if not data["name_th"]:
                continue
            existing = RegisteredInput.get_or_none(RegisteredInput.name_th == data["name_th"])
            try:
                save_input(data, user, version, existing)
            except ValidationError as exc:
                message = "; ".join(str(m) for m in exc.errors.values())
                raise ValidationError({"file": _l("Line %(line)s: %(message)s", line=line, message=message)}) from None
            added, updated = (added, updated + 1) if existing else (added + 1, updated)
        for registered in RegisteredInput.select():
            link_entries(registered)
    return added, updated


def load_seed(user, version):
    """Fill the register with common Thai organic inputs and the well-known prohibited chemicals."""
    return import_csv(SEED_CSV.read_bytes(), user, version)


def picker_options():
    """What the input log's name field offers: every name and trade name, labelled with the register's name."""
    options = []
    for registered in RegisteredInput.select().order_by(RegisteredInput.name_th):
        label = registered.name_th + (f" · {registered.name_en}" if registered.name_en else "")
        for name in names_of(registered):
            options.append({"name": name, "label": label if name != registered.name_th else registered.name_en})
    return options
