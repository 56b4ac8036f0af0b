"""The farm diary a grower keeps on the phone: inputs (with a photo of the bag's label) and work on a plot.

Entries go into the same farm records the inspector reads (certificates.records), marked as the
grower's by who recorded them. Each entry carries the id the phone gave it, so an entry sent
again (a retry after a lost answer, or the offline queue) is kept once.
"""
from flask_babel import lazy_gettext as _l
from peewee import IntegrityError

from certificates import evidence, inputs, records
from certificates.models import ACTIVITIES, INPUT_TYPES, Activity, Evidence, InputEntry
from core.db import db
from core.validation import ClientId, Schema, ValidationError

KINDS = {"input": InputEntry, "activity": Activity}


class DiaryEntryId(Schema):
    """The id the phone gave a diary entry, read first: an entry sent again is answered with the first one."""

    client_id = ClientId(_l("The entry's id must be a UUID made by the phone."))


def _client_id(data):
    return DiaryEntryId.clean(data)["client_id"]


def _sent_before(model, client_id, household):
    """The entry this phone already sent under `client_id`, or None; another household's id is refused."""
    if client_id is None:
        return None
    existing = model.get_or_none(model.client_id == client_id)
    if existing is not None and existing.household_id != household.id:
        raise ValidationError({"client_id": _l("This entry was already sent by another phone. Reload the page.")})
    return existing


def record(kind, household, data, user, photo=None):
    """Record one diary entry of `kind` ("input" or "activity") for the household; returns (entry, created).

    `photo` is (bytes, filename) of the bag's label, kept as the input's evidence in the same
    transaction: a photo that cannot be read leaves no entry behind.
    """
    model = KINDS[kind]
    client_id = _client_id(data)
    existing = _sent_before(model, client_id, household)
    if existing is not None:
        return existing, False
    if photo is not None and kind != "input":
        raise ValidationError({"photo": _l("A photo of the label belongs to an input.")})
    add = records.add_input if kind == "input" else records.add_activity
    try:
        with db.atomic():
            entry = add(household, data, user)
            entry.client_id = client_id
            entry.save()
            if photo is not None:
                raw, filename = photo
                evidence.add(raw, filename, {}, user, input_entry=entry)
    except IntegrityError:  # the same entry sent twice at once: the unique id let one in
        existing = _sent_before(model, client_id, household)
        if existing is None:
            raise
        return existing, False
    except ValidationError as exc:
        raise ValidationError({("photo" if key == "file" else key): message for key, message in exc.errors.items()}) from None
    return entry, True


def diary(household):
    """The household's inputs and activities (harvests included), newest first, with their photos."""
    return {"inputs": records.input_log(household), "activities": records.activity_log(household),
            "evidence": evidence.of_farm(household)}


def own_evidence(household, evidence_id):
    """A photo of the household's own farm records, or None."""
    item = Evidence.get_or_none(Evidence.id == evidence_id)
    if item is None or item.inspection_id is not None or evidence.household_of(item).id != household.id:
        return None
    return item


def picker():
    """What the diary's forms offer: input types, activities a grower records, and the register's names."""
    return {"input_types": INPUT_TYPES, "recordable": records.RECORDABLE_ACTIVITIES,
            "register": inputs.picker_options(), "all_activities": ACTIVITIES}
