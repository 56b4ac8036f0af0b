"""Rules for the council's central data: households, their members, occupation groups and plots.

Each write runs in one transaction with its audit entry, and checks all input before writing
anything. Only admin writes here; callers check the role.
"""
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from peewee import JOIN, fn

from core import audit, privacy
from core.answers import Answer, Bool, Day, Exact, Int, Many, Str
from core.db import LARGEST_ID, db, utcnow
from core.i18n import area_from_parts, format_date
from core.models import (
    GROWER_STATUSES,
    PROGRAMME_START,
    SENSITIVE_HOUSEHOLD_FIELDS,
    Household,
    HouseholdOccupation,
    Member,
    OccupationGroup,
    OccupationSynonym,
    Plot,
)
from core.validation import (
    BUDDHIST_ERA_THRESHOLD,
    THAI_DIGITS,
    Boolean,
    Choice,
    Date,
    Described,
    Integer,
    Number,
    Paging,
    Schema,
    Text,
    ValidationError,
    local_today,
    national_id_is_valid,
    parse_bool,
)

MAX_VILLAGE_NO = 30
MAX_MEMBERS = 99  # people in one household; more is a typing mistake
MAX_PLOT_AREA_M2 = Decimal(10_000_000)  # 6,250 rai: far beyond any household's land


class HouseholdInput(Schema):
    """A household as the secretariat registers it: forms, the API and the import read it so."""

    code = Text(20, required=True, pattern=r"[A-Za-z0-9][A-Za-z0-9-]*",
                pattern_message=_l("Use letters A-Z, digits and dashes."), example="KH-03-012")
    head_name = Text(120, required=True)
    display_name = Text(120, description="The name shown to the public instead of the head's name")
    village_no = Integer(minimum=1, maximum=MAX_VILLAGE_NO, required=True)
    address = Text(255)
    phone = Text(20, pattern=r"\+?[0-9][0-9 -]{7,18}",
                 pattern_message=_l("Enter a phone number of digits, such as 081-234-5678."))
    national_id = Text(17, description="13 digits with a valid check digit (dashes and spaces allowed)")
    is_elderly = Boolean()
    is_disabled = Boolean()
    is_low_income = Boolean()
    disadvantaged_other = Text(255)
    grower_status = Choice(GROWER_STATUSES)
    member_count = Integer(
        minimum=1, maximum=MAX_MEMBERS, nullable=True,
        too_small=_l("Write how many people live in the household: a whole number, at least 1."))
    pledge_date = Date(
        earliest=PROGRAMME_START, latest=local_today, nullable=True,
        too_early=lambda: _l("The organic pledge cannot be before the programme began (%(date)s).",
                             date=format_date(PROGRAMME_START)),
        too_late=_l("The pledge date is in the future: check the year (B.E. 2569 is C.E. 2026)."),
        description="2026-11-24, or day/month/year in B.E. or C.E. (24/11/2569), Thai digits too; not before "
                    "the programme began (2022-10-01) nor in the future; required for an active grower")
    notes = Text(2000)
    sensitive_consent = Described({"type": "boolean"},
                                  description="The head signed the PDPA consent form with this input: without it (or "
                                              "one recorded before) the disadvantaged status is not kept")
    occupation_group_ids = Described({"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": LARGEST_ID}},
                                     description="Ids of existing occupation groups; replaces the household's groups")


class HouseholdFilter(Paging):
    """What a list of households is narrowed to."""

    q = Text(120, description="Part of a code or a name")
    village_no = Integer(minimum=1, maximum=MAX_VILLAGE_NO)
    grower_status = Choice(GROWER_STATUSES)
    occupation_group_id = Integer(minimum=1, maximum=LARGEST_ID)


def clean_household(data, partial=False, known_group_ids=None):
    """Check household input and return the cleaned fields (and `occupation_group_ids`).

    `known_group_ids`, when given, are the occupation group ids that exist (the import reads them
    once for the whole sheet instead of once a row).
    """
    data = dict(data or {})
    if isinstance(data.get("phone"), str):
        data["phone"] = data["phone"].translate(THAI_DIGITS)  # ๐๘๑-... typed on a Thai keyboard
    form = HouseholdInput.form(data, partial=partial)
    cleaned = form.cleaned
    if cleaned.get("code"):
        cleaned["code"] = cleaned["code"].upper()
    national_id = (cleaned.get("national_id") or "").replace("-", "").replace(" ", "")
    if "national_id" in cleaned:
        cleaned["national_id"] = national_id
        if national_id and not national_id_is_valid(national_id):
            form.errors["national_id"] = _l("A national ID has 13 digits with a valid check digit.")
    if "grower_status" in cleaned and cleaned["grower_status"] is None:
        cleaned["grower_status"] = "none"
    pledge_missing = not cleaned.get("pledge_date") and "pledge_date" not in form.errors
    if cleaned.get("grower_status") == "active" and pledge_missing:
        if not partial or "pledge_date" in cleaned:
            form.errors["pledge_date"] = _l("An active grower needs the date of the organic pledge.")
    if "occupation_group_ids" in (data or {}):
        cleaned["occupation_group_ids"] = _clean_group_ids(data["occupation_group_ids"], form, known_group_ids)
    return form.finish()


def _clean_group_ids(raw, form, known=None):
    if isinstance(raw, (str, int)):
        raw = [raw]
    try:
        ids = sorted({int(value) for value in raw or [] if str(value).strip()})
    except (TypeError, ValueError):
        form.errors["occupation_group_ids"] = _l("Choose occupation groups from the list.")
        return []
    if any(not 0 < value <= LARGEST_ID for value in ids):
        form.errors["occupation_group_ids"] = _l("Choose occupation groups from the list.")
        return []
    if known is None:
        known = {g.id for g in OccupationGroup.select(OccupationGroup.id).where(OccupationGroup.id.in_(ids))}
    if not set(ids) <= set(known):
        form.errors["occupation_group_ids"] = _l("Choose occupation groups from the list.")
    return ids


def _check_code_free(code, household_id=None):
    query = Household.select().where(Household.code == code)
    if household_id is not None:
        query = query.where(Household.id != household_id)
    if query.exists():
        raise ValidationError({"code": _l("Household code %(code)s is already used.", code=code)})


def _set_occupations(household, group_ids):
    """Replace the household's occupation groups; return (old ids, new ids) if they changed."""
    old = sorted(m.group_id for m in household.occupations)
    if old == group_ids:
        return None
    HouseholdOccupation.delete().where(HouseholdOccupation.household == household).execute()
    if group_ids:
        HouseholdOccupation.insert_many(
            [{"household": household.id, "group": gid} for gid in group_ids]
        ).execute()
    return old, group_ids


def _consent_now(data):
    """True when the form says the head signed the PDPA consent with it (`sensitive_consent`)."""
    try:
        return parse_bool((data or {}).get("sensitive_consent"))
    except ValueError:
        raise ValidationError({"sensitive_consent": _l("Choose yes or no.")}) from None


def create_household(data, by_user):
    """Register a household; its code must be new. Sensitive fields need the head's consent with them."""
    cleaned = clean_household(data)
    group_ids = cleaned.pop("occupation_group_ids", [])
    consent_now = _consent_now(data)
    privacy.check_sensitive_allowed(None, cleaned, consent_now)
    with db.atomic():
        _check_code_free(cleaned["code"])
        household = Household.create(**cleaned)
        if group_ids:
            _set_occupations(household, group_ids)
        changes = {field: (None, value) for field, value in cleaned.items() if value not in (None, "", False)}
        if group_ids:
            changes["occupation_group_ids"] = (None, group_ids)
        audit.record(by_user, "create", "household", household.id, changes)
        if consent_now:
            privacy.record_consent(household, {}, by_user)
    return household


def update_household(household, data, by_user, partial=False):
    """Change a household's details; only fields that really change are logged."""
    cleaned = clean_household(data, partial=partial)
    group_ids = cleaned.pop("occupation_group_ids", None)
    consent_now = _consent_now(data)
    privacy.check_sensitive_allowed(household, cleaned, consent_now)
    with db.atomic():
        if consent_now:
            privacy.record_consent(household, {}, by_user)
        if "code" in cleaned:
            _check_code_free(cleaned["code"], household.id)
        changes = audit.apply_changes(household, cleaned)
        if household.grower_status == "active" and not household.pledge_date:
            raise ValidationError(
                {"pledge_date": _l("An active grower needs the date of the organic pledge.")}
            )
        if group_ids is not None:
            changed = _set_occupations(household, group_ids)
            if changed:
                changes["occupation_group_ids"] = changed
        if changes:
            household.updated_at = utcnow()
            household.save()
            audit.record(by_user, "update", "household", household.id, changes)
    return household


def search_households(query="", village_no=None, grower_status=None, group_id=None):
    """Households matching a code or name fragment and filters, ordered by village and code."""
    households = Household.select().order_by(Household.village_no, Household.code)
    if query:
        pattern = f"%{query.strip()}%"
        households = households.where(
            Household.code.ilike(pattern)
            | Household.head_name.ilike(pattern)
            | Household.display_name.ilike(pattern)
        )
    if village_no:
        households = households.where(Household.village_no == village_no)
    if grower_status:
        households = households.where(Household.grower_status == grower_status)
    if group_id:
        households = households.where(
            Household.id.in_(
                HouseholdOccupation.select(HouseholdOccupation.household).where(
                    HouseholdOccupation.group == group_id
                )
            )
        )
    return households


def villages():
    """Village numbers that have households, for filters."""
    return [row.village_no for row in Household.select(Household.village_no).distinct().order_by(Household.village_no)]


def _occupation_group_ids(household):
    """The household's occupation group ids: as a list read them for all its rows at once, else queried."""
    known = household.__dict__.get("occupation_group_ids")
    return known if known is not None else sorted(m.group_id for m in household.occupations)


class HouseholdAnswer(Answer):
    """A household as the API and exports answer it; the personal fields are left out unless allowed."""

    schema_name = "Household"
    about = "Personal fields (phone, national_id, disadvantaged flags) only for admin."
    id = Int()
    code = Str(example="KH-03-012")
    head_name = Str()
    display_name = Str(description="The name shown to the public instead of the head's name")
    village_no = Int()
    address = Str()
    grower_status = Str(choices=tuple(GROWER_STATUSES))
    pledge_date = Day(nullable=True)
    member_count = Int(nullable=True)
    notes = Str()
    occupation_group_ids = Many(Int(), _occupation_group_ids)
    phone = Str(optional=True)
    national_id = Str(optional=True)
    is_elderly = Bool(optional=True)
    is_disabled = Bool(optional=True)
    is_low_income = Bool(optional=True)
    disadvantaged_other = Str(optional=True)


def household_record(household, include_sensitive, groups=None):
    """A household as plain data for the API and exports; personal fields only when allowed.

    `groups` are its occupation group ids when a list read them for every row at once."""
    if groups is not None:
        household.occupation_group_ids = groups
    return HouseholdAnswer.dump(household, omit=() if include_sensitive else SENSITIVE_HOUSEHOLD_FIELDS)


def occupation_ids_by_household(households):
    """Map household id to its occupation group ids with one query (no query per row)."""
    ids = [h.id for h in households]
    result = {household_id: [] for household_id in ids}
    if ids:
        for link in HouseholdOccupation.select().where(HouseholdOccupation.household.in_(ids)).order_by(HouseholdOccupation.group):
            result[link.household_id].append(link.group_id)
    return result


def set_grower_prints_labels(household, allowed, by_user):
    """Let the household print the labels of its own checked harvests at home, or stop it (audited)."""
    with db.atomic():
        if household.grower_prints_labels != allowed:
            audit.record(by_user, "update", "household", household.id,
                         {"grower_prints_labels": (household.grower_prints_labels, allowed)})
            household.grower_prints_labels = allowed
            household.save(only=[Household.grower_prints_labels])
    return household


class MemberInput(Schema):
    """A person of a household; the birth year in B.E. (as Thai people write it) or C.E."""

    full_name = Text(120, required=True)
    relationship = Text(60)
    birth_year = Integer(minimum=1900, maximum=lambda: local_today().year + 543)  # B.E. this year at the latest


def add_member(household, data, by_user):
    """Add a person to a household."""
    cleaned = MemberInput.clean(data)
    if cleaned.get("birth_year") and cleaned["birth_year"] > BUDDHIST_ERA_THRESHOLD:
        cleaned["birth_year"] -= 543  # entered in พ.ศ., as Thai people usually do
    with db.atomic():
        member = Member.create(household=household, **cleaned)
        audit.record(by_user, "create", "member", member.id, {
            "household_id": (None, household.id), "full_name": (None, member.full_name)})
    return member


def remove_member(member, by_user):
    """Remove a person who no longer lives in the household; the audit log keeps the name."""
    with db.atomic():
        audit.record(by_user, "delete", "member", member.id, {
            "household_id": (member.household_id, None), "full_name": (member.full_name, None)})
        member.delete_instance()


class PlotAreaInput(Schema):
    """A plot's area the Thai way, ไร่ งาน ตารางวา, instead of square metres."""

    rai = Integer(minimum=0, maximum=6250, description="Alternative to area_m2, with ngan and wa")
    ngan = Integer(minimum=0, maximum=3)
    wa = Number(2, minimum=0, maximum=Decimal("99.99"), description="Square wa")


AREA_OUT_OF_RANGE = _l("The area must be more than zero and at most 6,250 rai.")


class PlotInput(PlotAreaInput):
    """A plot a household farms; its area as area_m2, or as rai, ngan and wa."""

    name = Text(120, required=True)
    area_m2 = Number(2, minimum=Decimal("0.01"), maximum=MAX_PLOT_AREA_M2, required=True,
                     too_small=AREA_OUT_OF_RANGE, too_large=AREA_OUT_OF_RANGE, example="1600.00",
                     description="Square metres; not needed when rai, ngan and wa are given")
    main_crops = Text(255)
    latitude = Number(6, minimum=-90, maximum=90, nullable=True)
    longitude = Number(6, minimum=-180, maximum=180, nullable=True)
    notes = Text(2000)


def clean_plot(data, partial=False):
    """Check plot input; the area comes as `area_m2` or as ไร่/งาน/ตารางวา (`rai`, `ngan`, `wa`)."""
    data = dict(data or {})
    in_rai = any(str(data.get(unit) or "").strip() for unit in PlotAreaInput.fields)
    form = PlotInput.form(data, partial=partial, omit=[*PlotAreaInput.fields, *(["area_m2"] if in_rai else [])])
    if in_rai:
        parts = PlotAreaInput.form(data)
        form.errors.update(parts.errors)
        if not parts.errors:
            area = area_from_parts(parts.cleaned["rai"], parts.cleaned["ngan"], parts.cleaned["wa"])
            form.cleaned["area_m2"] = area
            if not 0 < area <= MAX_PLOT_AREA_M2:
                form.errors["area_m2"] = AREA_OUT_OF_RANGE
    return form.finish()


def create_plot(household, data, by_user):
    """Record a plot the household farms."""
    cleaned = clean_plot(data)
    with db.atomic():
        plot = Plot.create(household=household, **cleaned)
        audit.record(by_user, "create", "plot", plot.id, {
            "household_id": (None, household.id),
            **{field: (None, value) for field, value in cleaned.items() if value not in (None, "")}})
    return plot


def update_plot(plot, data, by_user, partial=False):
    """Change a plot's details."""
    cleaned = clean_plot(data, partial=partial)
    with db.atomic():
        audit.save_with_audit(by_user, plot, "plot", cleaned)
    return plot


class PlotAnswer(Answer):
    """A plot as the API answers it: its area in square metres, exact to two decimals."""

    schema_name = "Plot"
    id = Int()
    household_id = Int()
    name = Str()
    area_m2 = Exact(places=2, example="1600.00")
    main_crops = Str()
    latitude = Exact(nullable=True)
    longitude = Exact(nullable=True)
    notes = Str()



class OccupationGroupInput(Schema):
    """An occupation group that lives from local wisdom; its Thai name is unique."""

    name_th = Text(120, required=True)
    name_en = Text(120)
    description = Text(2000)


def save_occupation_group(data, by_user, group=None):
    """Create or rename an occupation group; Thai names are unique."""
    cleaned = OccupationGroupInput.clean(data)
    with db.atomic():
        clash = OccupationGroup.select().where(OccupationGroup.name_th == cleaned["name_th"])
        if group is not None:
            clash = clash.where(OccupationGroup.id != group.id)
        if clash.exists():
            raise ValidationError({"name_th": _l("This name is already used.")})
        if group is None:
            group = OccupationGroup.create(**cleaned)
            audit.record(by_user, "create", "occupation_group", group.id, {"name_th": (None, group.name_th)})
        else:
            audit.save_with_audit(by_user, group, "occupation_group", cleaned)
    return group


def remove_occupation_synonym(synonym, by_user):
    """Forget a word kept for an occupation group (it was matched to the wrong group)."""
    with db.atomic():
        audit.record(by_user, "delete", "occupation_synonym", synonym.id,
                     {"word": (synonym.written, None), "group_id": (synonym.group_id, None)})
        synonym.delete_instance()


def synonyms_by_group():
    """The words kept for each occupation group, by group id."""
    result = {}
    for synonym in OccupationSynonym.select().order_by(OccupationSynonym.written):
        result.setdefault(synonym.group_id, []).append(synonym)
    return result


def occupation_groups_with_counts():
    """All occupation groups with how many households belong to each."""
    return (
        OccupationGroup.select(OccupationGroup, fn.COUNT(HouseholdOccupation.id).alias("household_count"))
        .join(HouseholdOccupation, JOIN.LEFT_OUTER)
        .group_by(OccupationGroup)
        .order_by(OccupationGroup.name_th)
    )
