"""Inspections: schedule a visit, record what the inspectors found, apply the PGS rule of three.

A PGS inspection needs peer inspectors from at least three different households, none of them the
inspected one (two peers of one household count once, a reviewer with no household not at all); a
third-party inspection needs one inspector. Every requirement of the standard gets a result.
"""
import datetime

from flask_babel import lazy_gettext as _l

from certificates import standards
from certificates.models import (
    CERTIFICATION_KINDS,
    CHECK_RESULTS,
    EVIDENCE_VIEWS,
    SCREENING_OUTCOMES,
    SEVERITIES,
    CertifyingBody,
    ChecklistResult,
    Inspection,
    InspectionInspector,
    NonCompliance,
    Requirement,
    Screening,
    Standard,
)
from core.db import LARGEST_ID, db
from core.models import PROGRAMME_START, Household, Member
from core.privacy import ERASED
from core.validation import Choice, Date, Described, Integer, Schema, Text, ValidationError, local_today

MIN_PGS_INSPECTORS = 3
SCHEDULE_AHEAD = datetime.timedelta(days=366)  # an inspection is planned at most a year ahead


# Why an inspection date is refused.
BEFORE_PROGRAMME = _l("The inspection date is before the programme began: check the year (B.E. 2569 is C.E. 2026).")


class InspectionPlan(Schema):
    """An inspection to schedule: against which standard, by which body, on which day."""

    standard_id = Integer(minimum=1, maximum=LARGEST_ID, required=True)
    body_id = Integer(minimum=1, maximum=LARGEST_ID, required=True)
    scheduled_for = Date(
        required=True, earliest=PROGRAMME_START, latest=lambda: local_today() + SCHEDULE_AHEAD,
        too_early=BEFORE_PROGRAMME,
        too_late=_l("The visit date is more than a year ahead: check the year (B.E. 2569 is C.E. 2026)."),
        description="Not before the programme began, nor more than a year ahead")
    kind = Choice(CERTIFICATION_KINDS, description="Defaults to the body's kind")


def schedule_inspection(household, data, user):
    """Plan an inspection of a household against a standard, by a certifying body."""
    cleaned = InspectionPlan.clean(data)
    standard = Standard.get_or_none(Standard.id == cleaned["standard_id"])
    body = CertifyingBody.get_or_none(CertifyingBody.id == cleaned["body_id"])
    errors = {}
    if standard is None:
        errors["standard_id"] = _l("Choose a standard from the list.")
    if body is None:
        errors["body_id"] = _l("Choose a certifying body from the list.")
    version = standards.current_version(standard) if standard is not None else None
    if standard is not None and version is None:
        errors["standard_id"] = _l("This standard has no version in force yet.")
    if household.grower_status not in ("applicant", "active"):
        errors["household"] = _l("Only an applicant or active grower household can be inspected.")
    if errors:
        raise ValidationError(errors)
    return Inspection.create(
        household=household,
        standard=standard,
        version=version,
        body=body,
        kind=cleaned.get("kind") or body.kind,
        scheduled_for=cleaned["scheduled_for"],
        created_by=user,
    )


def _clean_inspectors(inspection, raw):
    """Check the inspectors: names given, no duplicates, none from the inspected household."""
    household = inspection.household
    own_names = {household.head_name.strip()} | {m.full_name.strip() for m in Member.select().where(Member.household == household)}
    people, seen = [], set()
    if raw is not None and (not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw)):
        raise ValidationError({"inspectors": _l("List the inspectors, each with a name.")})
    for item in raw or []:
        person = InspectorInput.form(item)
        if person.errors:
            message = person.errors.get("name") or _l("Choose the inspector's household from the list.")
            raise ValidationError({"inspectors": message})
        name = person.cleaned["name"]
        if not name:
            continue
        if name in seen:
            raise ValidationError({"inspectors": _l("%(name)s is listed twice.", name=name)})
        seen.add(name)
        peer_household = None
        if person.cleaned.get("household_id"):
            peer_household = Household.get_or_none(Household.id == person.cleaned["household_id"])
            if peer_household is None:
                raise ValidationError({"inspectors": _l("Choose the inspector's household from the list.")})
        if (peer_household is not None and peer_household.id == household.id) or name in own_names:
            raise ValidationError({"inspectors": _l("%(name)s belongs to the inspected household and cannot inspect it.", name=name)})
        people.append({"name": name, "household": peer_household, "organisation": person.cleaned["organisation"]})
    if inspection.kind == "pgs":
        if _households_counted(people) < MIN_PGS_INSPECTORS:
            raise ValidationError({"inspectors": _l(
                "A PGS inspection needs peers from at least three different households, none of them the inspected one: "
                "choose each peer's household (two peers of one household count once; a reviewer with no household "
                "does not count).")})
    elif not people:
        raise ValidationError({"inspectors": _l("Name the inspector.")})
    return people


def _households_counted(people):
    """How many different households the peers come from. A reviewer named without a household (an
    officer, a visitor) may take part but is no household: counting them would let three names from
    nowhere stand in for the community's guarantee."""
    return len({person["household"].id for person in people if person["household"] is not None})


def _clean_results(inspection, raw):
    requirements = checklist(inspection)
    results, missing = [], []
    if raw is not None and not isinstance(raw, dict):
        raise ValidationError({"results": _l("Give a result for every checklist item.")})
    raw = raw or {}
    for requirement in requirements:
        item = raw.get(str(requirement.id)) or raw.get(requirement.id) or {}
        result = item.get("result") if isinstance(item, dict) else None
        if result not in CHECK_RESULTS:
            missing.append(requirement.position)
            continue
        note = ResultInput.form(item, omit=("result",))
        if note.errors:
            raise ValidationError({"results": note.errors["note"]})
        results.append({"requirement": requirement, "result": result, "note": note.cleaned["note"]})
    if missing:
        raise ValidationError({"results": _l("Give a result for every checklist item (missing: %(items)s).",
                                             items=", ".join(map(str, missing)))})
    return results


def _clean_non_compliances(raw):
    found = []
    if raw is not None and (not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw)):
        raise ValidationError({"non_compliances": _l("List the non-compliances, each with a description.")})
    for index, item in enumerate(raw or [], start=1):
        form = NonComplianceInput.form(item)
        if not form.cleaned.get("description") and "description" not in form.errors:
            continue  # an empty row of the form
        if form.errors:
            raise ValidationError({f"non_compliance_{index}_{field}": message for field, message in form.errors.items()})
        found.append(form.cleaned)
    return found


class InspectorInput(Schema):
    """One inspector: a peer (with the household they come from) or a certifier's staff."""

    name = Text(120)
    organisation = Text(200)
    household_id = Integer(minimum=1, maximum=LARGEST_ID, nullable=True)


class ResultInput(Schema):
    """The result of one checklist item, with a note."""

    result = Choice(CHECK_RESULTS, required=True)
    note = Text(500)


class NonComplianceInput(Schema):
    """A non-compliance found, with its corrective action and when it is due; a row without a description is skipped."""

    description = Text(500)
    severity = Choice(SEVERITIES, required=True)
    corrective_action = Text(500, required=True)
    due_on = Date(required=True)


class InspectionRecord(Schema):
    """What an inspection found: when, who inspected, each checklist result, findings, non-compliances."""

    inspected_on = Date(required=True, earliest=PROGRAMME_START, latest=local_today, too_early=BEFORE_PROGRAMME,
                        too_late=_l("The date cannot be in the future."))
    findings = Text(4000)
    inspectors = Described({"type": "array", "items": InspectorInput.openapi()}, required=True,
                           description="PGS: peers from at least three other households")
    results = Described({"type": "object", "additionalProperties": ResultInput.openapi()}, required=True,
                        description="requirement id -> {result: pass|fail|na, note}, for every checklist item")
    non_compliances = Described({"type": "array", "items": NonComplianceInput.openapi()},
                                description="Required when a checklist item fails")


def record_inspection(inspection, data, user):
    """Record a scheduled inspection: who inspected, each checklist result, findings, non-compliances."""
    if inspection.status not in ("scheduled", "returned"):
        raise ValidationError({"status": _l("This inspection is already recorded.")})
    cleaned = InspectionRecord.clean(data)
    people = _clean_inspectors(inspection, data.get("inspectors"))
    results = _clean_results(inspection, data.get("results"))
    non_compliances = _clean_non_compliances(data.get("non_compliances"))
    if any(r["result"] == "fail" for r in results) and not non_compliances:
        raise ValidationError({"non_compliances": _l("A failed checklist item needs a non-compliance with its corrective action.")})
    with db.atomic():
        if inspection.status == "returned":  # sent back by screening: the new record replaces the old one
            for table in (InspectionInspector, ChecklistResult, NonCompliance):
                table.delete().where(table.inspection == inspection).execute()
        for person in people:
            InspectionInspector.create(inspection=inspection, **person)
        for result in results:
            ChecklistResult.create(inspection=inspection, **result)
        for item in non_compliances:
            NonCompliance.create(inspection=inspection, **item)
        inspection.inspected_on = cleaned["inspected_on"]
        inspection.findings = cleaned["findings"]
        inspection.status = "completed"
        inspection.recorded_by = user
        inspection.save()
    return inspection


def _is_an_inspector(inspection, user):
    """Whether `user` took part in the inspection: recorded it, or is named among its inspectors."""
    if inspection.recorded_by_id == user.id:
        return True
    names = {name for name in (user.full_name.strip(), user.username.strip()) if name}
    return InspectionInspector.select().where(InspectionInspector.inspection == inspection,
                                              InspectionInspector.name.in_(list(names) or [""])).exists()


class ScreeningInput(Schema):
    """A reviewer's word on a recorded inspection: passed to the committee, or sent back with notes."""

    outcome = Choice(SCREENING_OUTCOMES, required=True)
    notes = Text(4000)


def screen(inspection, data, user):
    """A reviewer other than the inspectors passes a recorded file to the committee, or sends it back with notes.

    A file passes only when every required view of the plot is photographed.
    """
    from certificates import evidence

    cleaned = ScreeningInput.clean(data)
    if inspection.status != "completed":
        raise ValidationError({"outcome": _l("Only a recorded inspection waiting for screening can be screened.")})
    if user is None or user.role not in ("admin", "inspector"):
        raise ValidationError({"outcome": _l("Only the certifying body screens inspections.")})
    if _is_an_inspector(inspection, user):
        raise ValidationError({"outcome": _l("A reviewer other than the inspectors must screen this file.")})
    if cleaned["outcome"] == "sent_back" and not cleaned["notes"]:
        raise ValidationError({"notes": _l("Write what the inspectors must complete.")})
    missing = evidence.missing_views(inspection)
    if cleaned["outcome"] == "passed" and missing:
        raise ValidationError({"outcome": _l("The file is not complete: photos of %(views)s are missing.",
                                             views=", ".join(str(EVIDENCE_VIEWS[v]) for v in missing))})
    status = "screened" if cleaned["outcome"] == "passed" else "returned"
    with db.atomic():
        moved = (Inspection.update(status=status)
                 .where(Inspection.id == inspection.id, Inspection.status == "completed").execute())
        if not moved:
            raise ValidationError({"outcome": _l("Someone screened this file meanwhile. Reload it.")})
        screening = Screening.create(inspection=inspection, reviewer=user, **cleaned)
        inspection.status = status
    return screening


def screenings(inspection):
    """The inspection's screening steps, oldest first: who, when, what and why."""
    return list(Screening.select().where(Screening.inspection == inspection).order_by(Screening.at, Screening.id))


def checklist(inspection):
    """The criteria of the version the inspection was scheduled under, in order."""
    return standards.criteria(inspection.version_id)


def failed_critical(inspection):
    """The critical criteria this inspection failed: any one of them blocks approval."""
    return list(Requirement.select().join(ChecklistResult)
                .where(ChecklistResult.inspection == inspection, ChecklistResult.result == "fail",
                       Requirement.critical == True)  # noqa: E712
                .order_by(Requirement.position))


def inspections_for(household=None, status=None):
    """Inspections, newest first, optionally of one household or in one status."""
    query = Inspection.select(Inspection, Household).join(Household).order_by(Inspection.scheduled_for.desc(), Inspection.id.desc())
    if household is not None:
        query = query.where(Inspection.household == household)
    if status:
        query = query.where(Inspection.status == status)
    return query


def erase_inspector(household, names):
    """A person erased under the PDPA who inspected as a PGS peer stays in those records as their household."""
    InspectionInspector.update(name=f"{ERASED} {household.code}").where(
        InspectionInspector.household == household, InspectionInspector.name.in_(list(names))).execute()
