"""What the reports put in the staff menu and on the home page, and the pages they offer to lower
layers' links."""
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import hooks
from reports import massbalance


def register(app):
    """Add the dashboard, mass balance and impact to the menu and the mass-balance alerts to the home page;
    offer the recall and impact pages to lower layers."""
    hooks.add_menu_entry(app, "reports", "reports.dashboard_page", _l("Dashboard"), ("admin",))
    hooks.add_menu_entry(app, "reports", "reports.mass_balance", _l("Mass balance"), ("admin", "inspector"))
    hooks.add_menu_entry(app, "reports", "reports.programme_impact", _l("Income impact"), ("admin",))
    hooks.add_page(app, "household_impact", lambda household: url_for("reports.household_impact", household_id=household.id))
    hooks.add_page(app, "batch_sales", lambda code: url_for("reports.recall_report", code=code))
    hooks.add_page(app, "recall_sales", lambda filters: url_for("reports.recall_report_many", **filters))
    hooks.add_home_tasks(app, tasks)


def tasks(user):
    """Households the mass balance flags this season, for the inspector (and the secretariat) to follow up."""
    if user.role not in ("admin", "inspector"):
        return []
    flagged = len(massbalance.alerts(*massbalance.period({})))
    if not flagged:
        return []
    return [hooks.Task(_("Harvests or sales beyond what a farm can yield: follow up"), flagged,
                       url_for("reports.mass_balance", alerts="1"), "task-mass-balance")]
