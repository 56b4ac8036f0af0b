"""What certification puts in the staff menu and on the home page: inspections to record,
decisions waiting for the committee, certificates that end soon."""
import datetime

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from certificates.certification import EXPIRY_WARNING_DAYS, ending_soon, today
from certificates.models import CertifyingBody, Inspection
from core import audit, hooks

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
    audit.add_field_labels({"conversion_start": _l("Conversion to organic began"), "field_history": _l("Field history"),
                            "quantity_milli_per_rai": _l("Per rai per season"), "season_days": _l("Season (days)")})


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
