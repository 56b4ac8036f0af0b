"""What certification puts in the staff menu and on the home page (inspections to record,
decisions waiting for the committee, certificates that end soon), and the words its records take
in the audit log."""
import datetime

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from certificates.certification import EXPIRY_WARNING_DAYS, ending_soon, today
from certificates.models import (
    CERTIFICATION_KINDS,
    INPUT_TYPES,
    RULINGS,
    CertifyingBody,
    Inspection,
    Standard,
    StandardVersion,
)
from core import audit, hooks
from core.i18n import local_name

# An inspection scheduled this many days ahead is already on the list of what to do.
INSPECTIONS_AHEAD_DAYS = 7


def register(app):
    """Add the certification pages to the menu and its tasks to the home page."""
    readers = ("admin", "inspector")
    hooks.add_menu_entry(app, "certification", "certificates.inspection_list", _l("Inspections"), readers)
    hooks.add_menu_entry(app, "certification", "certificates.certificate_list", _l("Certificates"), readers)
    hooks.add_menu_entry(app, "certification", "certificates.standard_list", _l("Standards and inputs"), readers)
    hooks.add_menu_entry(app, "certification", "certificates.yield_norms", _l("Yield norms"), readers)
    hooks.add_home_tasks(app, tasks)
    audit.add_entity_names({
        "plot_record": _l("farm record of a plot"), "registered_input": _l("input in the register"),
        "input_ruling": _l("ruling on an input"), "input_entry": _l("inputs named in the farm records"),
        "standard_version": _l("version of a standard"), "criterion": _l("criterion of a standard"),
        "certifying_body": _l("certifying body")})
    audit.add_field_labels({
        "conversion_start": _l("Conversion to organic began"), "field_history": _l("Field history"),
        "conversion_verified_on": _l("Verified at the inspection of"),
        "quantity_milli_per_rai": _l("Per rai per season"), "season_days": _l("Season (days)"),
        "trade_names": _l("Trade names"), "active_ingredients": _l("Active ingredients"), "kind": _l("Kind"),
        "ruling": _l("Ruling"), "condition": _l("Condition or reason"), "version": _l("Standard and version"),
        "classified": _l("Name as recorded"), "entries": _l("Entries"),
        "standard": _l("Standard"), "number": _l("Version"), "conversion_months": _l("Conversion period (months)"),
        "topic_th": _l("Topic (Thai)"), "topic_en": _l("Topic (English)"),
        "text_th": _l("Criterion (Thai)"), "text_en": _l("Criterion (English)"),
        "guidance_th": _l("Guidance for the inspectors (Thai)"), "guidance_en": _l("Guidance for the inspectors (English)"),
        "critical": _l("Critical: a failure blocks approval"), "categories": _l("Applies to (none ticked: every product)"),
        "requires_screening": _l("Screening before the decision"), "plot": _l("Plot"), "position": _l("No.")})
    audit.add_value_names({"registered_input.kind": INPUT_TYPES, "certifying_body.kind": CERTIFICATION_KINDS,
                           "ruling": RULINGS, "version": _version_name, "standard": _standard_name})


def _version_name(version_id):
    """A standard's version as the audit log names it: the standard's name and the version's number."""
    version = StandardVersion.get_or_none(StandardVersion.id == version_id)
    if version is None:
        return version_id
    return _("%(standard)s, version %(number)s", standard=local_name(version.standard), number=version.number)


def _standard_name(code):
    """A standard by its name rather than its code."""
    standard = Standard.get_or_none(Standard.code == code)
    return local_name(standard) if standard is not None else code


def tasks(user):
    """Inspections due, decisions waiting, certificates ending within EXPIRY_WARNING_DAYS."""
    if user.role not in ("admin", "inspector"):
        return []
    now = today()
    due = (Inspection.select().where(Inspection.status == "scheduled",
                                     Inspection.scheduled_for <= now + datetime.timedelta(days=INSPECTIONS_AHEAD_DAYS))
           .count())
    recorded = Inspection.select().join(CertifyingBody).where(Inspection.status == "completed")
    to_screen = recorded.where(CertifyingBody.requires_screening == True).count()  # noqa: E712
    waiting = (recorded.where(CertifyingBody.requires_screening == False).count()  # noqa: E712
               + Inspection.select().where(Inspection.status == "screened").count())
    ending = ending_soon(now).count()
    found = []
    if due:
        found.append(hooks.Task(_("Inspections to record (due within a week)"), due,
                                url_for("certificates.inspection_list", status="scheduled"), "task-inspections"))
    if to_screen:
        found.append(hooks.Task(_("Inspection files to screen before the committee decides"), to_screen,
                                url_for("certificates.inspection_list", status="completed"), "task-screening"))
    if waiting:
        label = (_("Inspections waiting for your decision") if user.decides_certification
                 else _("Inspections waiting for the committee's decision"))
        found.append(hooks.Task(label, waiting, url_for("certificates.inspection_list"),
                                "task-decisions"))
    if ending:
        found.append(hooks.Task(_("Certificates ending within %(days)d days", days=EXPIRY_WARNING_DAYS), ending,
                                url_for("certificates.certificate_list", ending="1"), "task-expiring"))
    return found
