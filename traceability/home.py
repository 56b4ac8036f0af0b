"""What traceability puts in the staff menu and on the home page (harvests waiting for labels), and
the batch pages that core's and certification's pages link to."""
import datetime

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit, hooks
from core.validation import local_today
from traceability.labels import waiting_for_labels
from traceability.models import Batch

# A harvest older than this without labels was sold or used otherwise; it is no longer a task.
UNLABELLED_DAYS = 14


def register(app):
    """Add the harvest pages to the menu and the unlabelled harvests to the home page."""
    hooks.add_menu_entry(app, "harvests", "traceability.batch_list", _l("Harvest batches"), ("admin", "inspector"))
    hooks.add_menu_entry(app, "harvests", "traceability.batch_new", _l("Record a harvest"), ("admin",))
    hooks.add_home_tasks(app, tasks)
    hooks.add_page(app, "household_batches", lambda household: url_for("traceability.batch_list", household=household.id))
    hooks.add_page(app, "record_harvest", lambda household: url_for("traceability.batch_new", household_id=household.id))
    hooks.add_page(app, "batch", lambda code: url_for("traceability.batch_detail", code=code))
    audit.add_field_labels({"product": _l("Product"), "quantity_milli": _l("Quantity"), "recall_reason": _l("Reason for the recall"),
                            "made_from": _l("Made from"), "awaiting_check": _l("Waiting for the secretariat's check")})


def tasks(user):
    """Harvests growers recorded that wait for a check, and recent ones on sale without labels: the secretariat's."""
    if user.role != "admin":
        return []
    found = []
    to_check = Batch.select().where(Batch.awaiting_check == True, Batch.recalled_at.is_null()).count()  # noqa: E712
    if to_check:
        found.append(hooks.Task(_("Harvests to check (recorded by growers)"), to_check,
                                url_for("traceability.batch_list", status="awaiting_check"), "task-harvests-to-check"))
    waiting = len(waiting_for_labels(local_today() - datetime.timedelta(days=UNLABELLED_DAYS)))
    if waiting:
        found.append(hooks.Task(_("Harvests without labels"), waiting,
                                url_for("traceability.batch_list", unlabelled="1"), "task-unlabelled"))
    return found
