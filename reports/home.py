"""What the reports put in the staff menu, and the links lower layers' pages show to them."""
from flask import url_for
from flask_babel import lazy_gettext as _l

from core import hooks


def register(app):
    """Add the dashboard, mass balance and impact to the menu; offer the recall and impact pages to lower layers."""
    hooks.add_menu_entry(app, "reports", "reports.dashboard_page", _l("Dashboard"), ("admin",))
    hooks.add_menu_entry(app, "reports", "reports.mass_balance", _l("Mass balance"), ("admin", "inspector"))
    hooks.add_menu_entry(app, "reports", "reports.programme_impact", _l("Income impact"), ("admin",))
    hooks.add_page(app, "household_impact", lambda household: url_for("reports.household_impact", household_id=household.id))
    hooks.add_page(app, "batch_sales", lambda code: url_for("reports.recall_report", code=code))
    hooks.add_page(app, "recall_sales", lambda filters: url_for("reports.recall_report_many", **filters))
