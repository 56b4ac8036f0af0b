"""The duties of Thailand's Personal Data Protection Act (PDPA) toward each person in the registry.

Sensitive data (disadvantaged status: old age, disability, illness, low income) is kept only
with a person's explicit consent, recorded with who gave it, when, for what and on which form;
withdrawing the last consent of a household clears those fields. Each person may have everything
held about them exported, or be erased: names, phone, ID, address and flags go, while the
household's code, sales, settlements and certificates stay, so the market's figures still add up.
Every such act is in the audit log, and every view of personal data is in the view log that
admin reads. Never call these for anyone but admin (callers check the role).
"""
import datetime
import json

from flask_babel import lazy_gettext as _l

from core import audit
from core.db import LARGEST_ID, db, utcnow
from core.models import (
    GROWER_STATUSES,
    SENSITIVE_HOUSEHOLD_FIELDS,
    AuditEntry,
    Consent,
    IncomeSurvey,
    Member,
    PersonalDataView,
)
from core.validation import Date, Integer, Schema, Text, ValidationError, local_today

# What the consent is for, in the words of the council's form.
SENSITIVE_PURPOSE = "disadvantaged_status"
PURPOSES = {
    SENSITIVE_PURPOSE: _l("Keeping the household's disadvantaged status (old age, disability, illness, low income) "
                          "to plan the council's quality-of-life programme"),
}
# The consent form in use now; an older version stays on the consents given with it.
CURRENT_FORM_VERSION = "KH-PDPA-2569-1"
# Sensitive fields and the value each takes when cleared.
SENSITIVE_FLAGS = {"is_elderly": False, "is_disabled": False, "is_low_income": False, "disadvantaged_other": ""}
ERASED = "(ลบตามคำขอ)"  # what an erased name reads, in the registry's own language
# Functions(household, names) by which domains built on core erase a person from their own records;
# certificates adds the inspectors' names of PGS inspections (core never imports a domain).
ERASERS = []
# Personal fields of a household (the head's), and their value after erasure.
HOUSEHOLD_PERSONAL = {"head_name": ERASED, "display_name": "", "address": "", "phone": "", "national_id": "",
                      "notes": "", **SENSITIVE_FLAGS}


def active_consents(household):
    """The household's consents not withdrawn, head first."""
    return (Consent.select().where(Consent.household == household, Consent.withdrawn_at.is_null())
            .order_by(Consent.member.is_null(False), Consent.id))


def has_consent(household):
    return household is not None and household.id is not None and active_consents(household).exists()


def check_sensitive_allowed(household, cleaned, consent_now):
    """Refuse to fill a sensitive field of a household without consent (unless it is recorded with it).

    Only a value that is new counts: an edit that re-posts the flags a household already has
    (kept from before consent was asked) is not a new filling.
    """
    filled = [field for field in SENSITIVE_FLAGS
              if cleaned.get(field) and (household is None or cleaned[field] != getattr(household, field))]
    if filled and not consent_now and not has_consent(household):
        message = _l("Record the person's consent to keeping this (PDPA) before filling it in.")
        raise ValidationError({field: message for field in filled})


def _person(household, member_id):
    """The member `member_id` of the household, or None for the head (member_id empty)."""
    if member_id in (None, "", 0):
        return None
    member = Member.get_or_none(Member.id == member_id, Member.household == household)
    if member is None:
        raise ValidationError({"member_id": _l("Choose a person of this household.")})
    return member


class PersonInput(Schema):
    """Whose personal data a request is about: a member of the household, or without one its head."""

    member_id = Integer(minimum=1, maximum=LARGEST_ID, nullable=True, description="A member; without it, the head")


class ConsentInput(PersonInput):
    """A person's consent, from the signed form."""

    form_version = Text(40, description=f"The consent form's version; default {CURRENT_FORM_VERSION}")
    given_on = Date(description="When the form was signed; default today")


def record_consent(household, data, by_user):
    """Record a person's consent to keeping the household's sensitive data, from the signed form."""
    cleaned = ConsentInput.clean(data)
    member = _person(household, cleaned.get("member_id"))
    today = local_today()
    given_on = cleaned.get("given_on") or today
    if given_on > today or given_on < today - datetime.timedelta(days=3650):
        raise ValidationError({"given_on": _l("Enter the date the form was signed (not in the future).")})
    with db.atomic():
        consent = Consent.create(
            household=household, member=member, person_name=member.full_name if member else household.head_name,
            purpose=SENSITIVE_PURPOSE, form_version=cleaned.get("form_version") or CURRENT_FORM_VERSION,
            given_on=given_on, recorded_by=by_user)
        audit.record(by_user, "consent", "household", household.id, {
            "consent": (None, f"{consent.person_name} · {consent.purpose} · {consent.form_version} · {given_on}")})
    return consent


def consent_text(value):
    """A consent as the audit log stores it (person · purpose · form · date), in words: the purpose's
    name and the date in B.E."""
    from core.i18n import format_date

    parts = []
    for part in str(value).split(" · "):
        try:
            parts.append(format_date(datetime.date.fromisoformat(part)))
        except ValueError:
            parts.append(str(PURPOSES.get(part, part)))
    return " · ".join(parts)


audit.add_value_names({"consent": consent_text})


def withdraw_consent(consent, by_user):
    """Withdraw a consent; when none is left, the household's sensitive fields are cleared."""
    if consent.withdrawn_at is not None:
        raise ValidationError({"consent": _l("This consent was already withdrawn.")})
    household = consent.household
    with db.atomic():
        Consent.update(withdrawn_at=utcnow(), withdrawn_by=by_user).where(Consent.id == consent.id).execute()
        changes = {"consent": (f"{consent.person_name} · {consent.purpose}", None)}
        if not has_consent(household):
            changes.update(audit.apply_changes(household, SENSITIVE_FLAGS))
            household.updated_at = utcnow()
            household.save()
        audit.record(by_user, "withdraw", "household", household.id, changes)
    return Consent.get_by_id(consent.id)


def log_view(user, household, what):
    """Note that `user` saw personal data of `household` (None: of many) at page or export `what`."""
    PersonalDataView.create(user=user, household=household, what=what[:200])


def views(household=None, limit=500):
    """The newest views of personal data, of one household or all."""
    query = PersonalDataView.select().order_by(PersonalDataView.at.desc(), PersonalDataView.id.desc())
    if household is not None:
        query = query.where(PersonalDataView.household == household)
    return query.limit(limit)


def _iso(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def person_data(household, member_id=None):
    """Everything held about one person (the head, or a member) as plain data, for the PDPA export."""
    member = _person(household, member_id)
    household_fields = {field: _iso(getattr(household, field)) for field in (
        "code", "village_no", "grower_status", "pledge_date", "created_at", "updated_at")}
    if member is None:
        person = {"role": "head", "full_name": household.head_name}
        household_fields.update({field: _iso(getattr(household, field)) for field in (
            "head_name", "display_name", "address", "phone", "national_id", "notes", *SENSITIVE_HOUSEHOLD_FIELDS)})
    else:
        person = {"role": "member", "full_name": member.full_name, "relationship": member.relationship,
                  "birth_year": member.birth_year}
        # The household's disadvantaged status is about its people; the head's phone and ID are not.
        household_fields.update({field: getattr(household, field) for field in SENSITIVE_FLAGS})
    consents = [{"person_name": c.person_name, "purpose": c.purpose, "form_version": c.form_version,
                 "given_on": _iso(c.given_on), "recorded_at": _iso(c.recorded_at), "withdrawn_at": _iso(c.withdrawn_at)}
                for c in Consent.select().where(Consent.household == household, Consent.member == member).order_by(Consent.id)]
    surveys = [{"surveyed_on": _iso(s.surveyed_on), "is_baseline": s.is_baseline, "income_satang": s.income_satang,
                "expenses_satang": s.expenses_satang, "home_produced_satang": s.home_produced_satang, "notes": s.notes}
               for s in IncomeSurvey.select().where(IncomeSurvey.household == household).order_by(IncomeSurvey.surveyed_on)]
    entity, entity_id = ("member", member.id) if member else ("household", household.id)
    history = [{"at": _iso(e.at), "action": e.action, "by": e.user.username if e.user else None,
                "changes": json.loads(e.changes)}
               for e in AuditEntry.select().where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
               .order_by(AuditEntry.at, AuditEntry.id)]
    seen = [{"at": _iso(v.at), "by": v.user.username if v.user else None, "what": v.what}
            for v in views(household)]
    return {"exported_at": _iso(utcnow()), "person": person, "household": household_fields, "consents": consents,
            "income_surveys": surveys, "history": history, "viewed": seen}


def erase_person(household, member_id, by_user):
    """Erase one person: their names, phone, ID, address and the household's flags go; the household
    code, plots, sales, settlements and certificates stay, so every figure still adds up."""
    member = _person(household, member_id)
    with db.atomic():
        if member is None:
            names = {household.head_name}
            changes = audit.apply_changes(household, HOUSEHOLD_PERSONAL)
            household.updated_at = utcnow()
            household.save()
            entity, entity_id = "household", household.id
        else:
            names = {member.full_name}
            changes = audit.apply_changes(member, {"full_name": ERASED, "relationship": "", "birth_year": None})
            member.save()
            changes.update(audit.apply_changes(household, SENSITIVE_FLAGS))
            household.save()
            entity, entity_id = "member", member.id
        Consent.update(withdrawn_at=utcnow(), withdrawn_by=by_user).where(
            Consent.household == household, Consent.member == member, Consent.withdrawn_at.is_null()).execute()
        Consent.update(person_name=ERASED).where(Consent.household == household, Consent.member == member).execute()
        _scrub_history(entity, entity_id, names)
        for erase in ERASERS:
            erase(household, names)
        # The act itself is logged without the values it removed.
        audit.record(by_user, "erase", entity, entity_id, {field: ("***", ERASED) for field in changes})
    return household


def _scrub_history(entity, entity_id, names):
    """Replace the erased values inside earlier audit entries of the person, keeping who changed what when."""
    personal = set(HOUSEHOLD_PERSONAL) | {"full_name", "relationship", "birth_year", "consent"}
    for entry in AuditEntry.select().where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id):
        changes = json.loads(entry.changes)
        scrubbed = {field: ([ERASED if value not in (None, "", False) else value for value in values]
                            if field in personal else values) for field, values in changes.items()}
        if scrubbed != changes:
            AuditEntry.update(changes=json.dumps(scrubbed, ensure_ascii=False)).where(AuditEntry.id == entry.id).execute()




# Words for the export's fields and the history's actions, so the PDF reads without field names.
VALUE_WORDS = ("head", "member", "disadvantaged_status", "create", "update", "delete", "consent", "withdraw", "erase",
               "export")
FIELD_LABELS = {
    "role": _l("Role in the household"), "head": _l("head of household"), "member": _l("member"),
    "full_name": _l("Full name"), "relationship": _l("Relationship"), "birth_year": _l("Year of birth"),
    "code": _l("Household code"), "village_no": _l("Village"), "grower_status": _l("Grower status"),
    "pledge_date": _l("Organic pledge"), "created_at": _l("Registered"), "updated_at": _l("Last changed"),
    "head_name": _l("Head of household"), "display_name": _l("Name shown to shoppers"), "address": _l("Address"),
    "phone": _l("Phone"), "national_id": _l("National ID"), "notes": _l("Notes"), "is_elderly": _l("Elderly"),
    "is_disabled": _l("Person with disability"), "is_low_income": _l("Low income"),
    "disadvantaged_other": _l("Other disadvantage"), "person_name": _l("Who"), "purpose": _l("For what"),
    "form_version": _l("Form version"), "given_on": _l("Signed on"), "withdrawn_at": _l("Consent withdrawn"),
    "surveyed_on": _l("Surveyed on"), "income_satang": _l("Income a month"),
    "expenses_satang": _l("Expenses a month"), "at": _l("When"), "action": _l("What"), "by": _l("Who"),
    "changes": _l("Changes"), "what": _l("Page or export"), "consent": _l("Consent"),
    SENSITIVE_PURPOSE: _l("disadvantaged status"), "create": _l("created"), "update": _l("changed"), "delete": _l("removed"),
    "withdraw": _l("consent withdrawn for"), "erase": _l("personal data erased (PDPA) of"),
    "export": _l("personal data exported (PDPA) of"),
}


def export_logged(household, member_id, by_user):
    """Put a person's export in the audit log (the view log also has it, with its address)."""
    entity, entity_id = ("member", member_id) if member_id else ("household", household.id)
    with db.atomic():
        audit.record(by_user, "export", entity, entity_id, {})


def person_pdf(record):
    """A person's export as a readable A4 PDF in the current language: the same data as the JSON."""
    import io

    from flask_babel import gettext as _
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate, Spacer, Table

    from core.i18n import format_baht, format_date, format_datetime
    from core.pdf import FONT_BOLD, TABLE_STYLE, paragraph_style, plain_paragraph, wrapped_paragraph

    margin, width = 16 * mm, A4[0] - 32 * mm
    title_style, heading, body, cell = (paragraph_style("title", 16, font=FONT_BOLD),
                                        paragraph_style("heading", 12, font=FONT_BOLD, spaceBefore=8, spaceAfter=3),
                                        paragraph_style("body", 10), paragraph_style("cell", 9.5))

    labels = {key: str(label) for key, label in FIELD_LABELS.items()}
    labels.update({key: str(label) for key, label in GROWER_STATUSES.items()})

    def text(value):
        if value is None or value == "":
            return "—"
        if value is True:
            return _("yes")
        if value is False:
            return _("no")
        if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
            try:  # an ISO date or time from the JSON: shown as people read it (B.E. in Thai)
                moment = datetime.datetime.fromisoformat(value)
                return format_datetime(moment) if len(value) > 10 else format_date(moment.date())
            except ValueError:
                pass
        if isinstance(value, dict):
            return "; ".join(f"{labels.get(key, key)}: {' → '.join(text(v) for v in pair) if isinstance(pair, list) else text(pair)}"
                             for key, pair in value.items())
        known = isinstance(value, str) and (value in VALUE_WORDS or value in GROWER_STATUSES)
        return labels.get(value, value) if known else str(value)

    def table(rows, widths):
        data = [[wrapped_paragraph(text(value), cell, w - 8) for value, w in zip(row, widths)] for row in rows]
        result = Table(data, colWidths=widths, repeatRows=1)
        result.setStyle(TABLE_STYLE)
        return result

    title = _("Personal data held about %(name)s", name=record["person"]["full_name"])
    story = [plain_paragraph(title, title_style),
             plain_paragraph(_("Exported %(when)s under the Personal Data Protection Act (PDPA).",
                               when=format_datetime(datetime.datetime.fromisoformat(record["exported_at"]))), body),
             plain_paragraph(_("The person"), heading),
             table([[_("Field"), _("Value")]] + [[labels.get(key, key), value] for key, value in record["person"].items()],
                   [width * 0.35, width * 0.65]),
             plain_paragraph(_("The household"), heading),
             table([[_("Field"), _("Value")]] + [[labels.get(key, key), value] for key, value in record["household"].items()],
                   [width * 0.35, width * 0.65])]
    sections = [
        (_("Consents"), ["person_name", "purpose", "form_version", "given_on", "withdrawn_at"], record["consents"]),
        (_("Income surveys"), ["surveyed_on", "income_satang", "expenses_satang", "notes"], record["income_surveys"]),
        (_("Changes to the record"), ["at", "action", "by", "changes"], record["history"]),
        (_("Who viewed the household's personal data"), ["at", "by", "what"], record["viewed"]),
    ]
    for name, columns, rows in sections:
        story.append(plain_paragraph(name, heading))
        if not rows:
            story.append(plain_paragraph(_("None."), body))
            continue
        widths = [width / len(columns)] * len(columns)
        story.append(table([[labels.get(column, column) for column in columns]]
                           + [[format_baht(row[column]) if column.endswith("_satang") else row.get(column)
                               for column in columns] for row in rows], widths))
    story.append(Spacer(1, 8))
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=margin,
                      bottomMargin=margin, title=title, creator="Khlong Hae Green Market").build(story)
    return buffer.getvalue()
