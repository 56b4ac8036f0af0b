"""The audit log: every change to central data says who made it, when, and what changed.

Entries keep field names and plain values (the record of what happened); `describe` turns them
into the words a person reads: the field's label and each value as shown elsewhere (a date in
B.E., baht, ไร่-งาน-ตารางวา, a status's name, group names instead of ids).
"""
import datetime
import decimal
import json

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.models import CATEGORIES, CURRICULA, GROWER_STATUSES, ROLES, UNITS, AuditEntry, Household, OccupationGroup

ACTIONS = {"create": _l("created"), "update": _l("changed"), "delete": _l("removed"), "publish": _l("put in force"),
           "consent": _l("consent recorded for"), "withdraw": _l("consent withdrawn for"),
           "erase": _l("personal data erased (PDPA) of"), "export": _l("personal data exported (PDPA) of"),
           "check": _l("checked")}
ENTITIES = {
    "household": _l("household"),
    "member": _l("member"),
    "plot": _l("plot"),
    "product": _l("product"),
    "user": _l("staff account"),
    "occupation_group": _l("occupation group"),
    "occupation_synonym": _l("word for an occupation group"),
    "batch": _l("harvest batch"),
    "settlement": _l("settlement"),
    "settings": _l("market settings"),
    "yield_norm": _l("yield norm"),
    "course": _l("course"),
    "course_signup": _l("course sign-up"),
    "attendance": _l("attendance"),
    "income_survey": _l("income survey"),
    "invitation": _l("invitation card"),
}
# A domain names its own record types with add_entity_names.


# Field labels, as the forms name the fields; a domain adds its own with add_field_labels.
FIELD_LABELS = {
    "code": _l("Code"),
    "head_name": _l("Head of household"),
    "display_name": _l("Name shown to shoppers"),
    "village_no": _l("Village"),
    "address": _l("Address"),
    "phone": _l("Phone"),
    "national_id": _l("National ID"),
    "is_elderly": _l("Elderly"),
    "is_disabled": _l("Person with disability"),
    "is_low_income": _l("Low income"),
    "disadvantaged_other": _l("Other disadvantage"),
    "grower_status": _l("Grower status"),
    "pledge_date": _l("Date of the organic pledge"),
    "notes": _l("Notes"),
    "occupation_group_ids": _l("Occupation groups"),
    "member_count": _l("People in the household"),
    "grower_prints_labels": _l("Grower prints labels at home"),
    "uses_pin": _l("Signs in with a PIN"),
    "account": _l("Grower's account"),
    "password": _l("Password"),
    "household_id": _l("Household"),
    "household": _l("Household"),
    "households": _l("Households"),
    "full_name": _l("Name"),
    "relationship": _l("Relationship"),
    "birth_year": _l("Year of birth"),
    "name": _l("Name"),
    "area_m2": _l("Area"),
    "main_crops": _l("Main crops"),
    "latitude": _l("Latitude (optional)"),
    "longitude": _l("Longitude (optional)"),
    "name_th": _l("Name (Thai)"),
    "name_en": _l("Name (English)"),
    "description": _l("Description"),
    "unit": _l("Unit"),
    "category": _l("Category"),
    "is_certifiable": _l("Can be certified organic (produce, not handicrafts)"),
    "default_price_satang": _l("Default price"),
    "is_active": _l("Active"),
    "username": _l("Username"),
    "role": _l("Role"),
    "is_committee": _l("Member of the certification committee (inspectors)"),
    "curriculum": _l("Curriculum"),
    "teacher": _l("Teacher"),
    "starts_on": _l("Starts"),
    "surveyed_on": _l("Date of the survey"),
    "word": _l("Word in the sheet"),
    "group_id": _l("Occupation group"),
    "consent": _l("Consent"),
    "making_certified": _l("Making it from other batches (bottling, packing) is a certified step"),
}
# Values whose stored key has a name people read: {key: name}, or a function of the value (a record's
# id to its name). Keyed "field", or "entity.field" where one field name means two things.
VALUE_NAMES = {"grower_status": GROWER_STATUSES, "role": ROLES, "unit": UNITS, "category": CATEGORIES,
               "curriculum": {str(key): name for key, name in CURRICULA.items()}}


def add_entity_names(names):
    """Name the record types a domain writes to the audit log (entity -> lazy name)."""
    ENTITIES.update(names)


def add_field_labels(labels):
    """Name the fields a domain records in the audit log (field name -> lazy label)."""
    FIELD_LABELS.update(labels)


def add_value_names(names):
    """Name the stored values of a domain's fields ("field" or "entity.field" -> {key: name} or function)."""
    VALUE_NAMES.update(names)


def _plain(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def record(user, action, entity, entity_id, changes=None):
    """Write one audit entry; call inside the transaction that makes the change."""
    plain = {field: [_plain(old), _plain(new)] for field, (old, new) in (changes or {}).items()}
    AuditEntry.create(
        user=user,
        action=action,
        entity=entity,
        entity_id=entity_id,
        changes=json.dumps(plain, ensure_ascii=False, sort_keys=True),
    )


def apply_changes(record_obj, cleaned):
    """Set cleaned values on a model instance and return {field: (old, new)} for what differs."""
    changes = {}
    for field, new in cleaned.items():
        old = getattr(record_obj, field)
        if old != new:
            changes[field] = (old, new)
            setattr(record_obj, field, new)
    return changes


def save_with_audit(user, row, entity, cleaned, entity_id=None):
    """Set `cleaned` on `row`; if anything differs, save it and write one "update" entry of what changed.

    Call inside the transaction that makes the change. Returns {field: (old, new)}, empty when nothing
    changed (then nothing is written). `entity_id` defaults to the row's own id.
    """
    changes = apply_changes(row, cleaned)
    if changes:
        row.save()
        record(user, "update", entity, row.id if entity_id is None else entity_id, changes)
    return changes


def new_values(values):
    """Values as the log's (old, new) pairs, for a record made, deleted or decided."""
    return {field: (None, value) for field, value in values.items()}


def create_or_save_with_audit(user, model, row, entity, cleaned):
    """Make a `model` row of `cleaned` when `row` is None, else change `row`; log either and return the row.

    Call inside the transaction that makes the change. A new row's entry lists every value it was made with.
    """
    if row is None:
        row = model.create(**cleaned)
        record(user, "create", entity, row.id, new_values(cleaned))
    else:
        save_with_audit(user, row, entity, cleaned)
    return row


def entries(entity=None, entity_id=None):
    """Audit entries, newest first, optionally for one record."""
    query = AuditEntry.select().order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if entity:
        query = query.where(AuditEntry.entity == entity)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == entity_id)
    return query


def _date_text(value):
    from core.i18n import format_date

    try:
        return format_date(datetime.date.fromisoformat(value[:10]))
    except ValueError:
        return value


def _group_names(value):
    ids = value if isinstance(value, list) else [value]
    names = {g.id: g.name_th for g in OccupationGroup.select().where(OccupationGroup.id.in_(ids))}
    return ", ".join(names.get(group_id, str(group_id)) for group_id in ids)


def value_text(field, value, entity=None):
    """One stored value as a person reads it ('—' for nothing)."""
    from core.i18n import format_area, format_baht, format_quantity

    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    names = VALUE_NAMES.get(f"{entity}.{field}", VALUE_NAMES.get(field))
    if callable(names):
        return str(names(value))
    if names is not None:
        if isinstance(value, str) and "," in value:
            return ", ".join(str(names.get(key, key)) for key in value.split(","))
        return str(names.get(str(value), value))
    if field in ("occupation_group_ids", "group_id"):
        return _group_names(value)
    if field in ("household_id", "households"):
        ids = value if isinstance(value, list) else [value]
        codes = {h.id: h.code for h in Household.select().where(Household.id.in_(ids))}
        return ", ".join(codes.get(household_id, str(household_id)) for household_id in ids)
    if field.endswith("_satang"):
        return format_baht(value)
    if field.endswith("_milli") or field.startswith("quantity_milli"):
        return format_quantity(value)
    if field == "area_m2":
        return format_area(decimal.Decimal(str(value)))
    if isinstance(value, str) and len(value) >= 10 and value[4] == "-" and value[7] == "-" and value[:4].isdigit():
        return _date_text(value)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def describe(entry):
    """An entry's changes as (label, old, new) in words, in a stable order."""
    changes = json.loads(entry.changes or "{}")
    return [(str(FIELD_LABELS.get(field, field)), value_text(field, old, entry.entity),
             value_text(field, new, entry.entity))
            for field, (old, new) in changes.items()]


def subject(entry):
    """Which record an entry is about, as people name it: a household by its code, others by number."""
    if entry.entity == "household":
        household = Household.get_or_none(Household.id == entry.entity_id)
        if household is not None:
            return household.code
    return f"#{entry.entity_id}"
