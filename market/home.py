"""What the market puts in the staff menu and on the home page: market days to close, settlements
to pay; the cashier starts on the POS."""
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit, hooks
from market.models import MarketDay, Settlement


def register(app):
    """Add the market's pages and reports to the menu, its tasks to the home page, the cashier's start."""
    hooks.add_menu_entry(app, "market", "market.pos", _l("POS"), ("admin", "cashier"))
    hooks.add_menu_entry(app, "market", "market.market_days", _l("Market days"), ("admin",))
    hooks.add_menu_entry(app, "market", "market.settlement_list", _l("Settlements"), ("admin",))
    hooks.add_menu_entry(app, "reports", "market.market_dashboard", _l("Dashboard"), ("admin",))
    hooks.add_menu_entry(app, "reports", "market.mass_balance", _l("Mass balance"), ("admin", "inspector"))
    hooks.add_menu_entry(app, "reports", "market.programme_impact", _l("Income impact"), ("admin",))
    hooks.add_menu_entry(app, "settings", "market.market_settings", _l("Market settings"), ("admin",))
    hooks.add_home_tasks(app, tasks)
    audit.add_field_labels({
        "market_name": _l("Market name (on receipts and reports)"), "promptpay_id": _l("PromptPay ID of the market fund"),
        "commission_percent": _l("Market fund commission, percent"),
        "stock_tolerance_percent": _l("Stock tolerance for weighing, percent"),
        "lines": _l("Sale lines in the settlement"), "refunds": _l("Refunds"), "paid_on": _l("Paid on")})
    hooks.set_landing(app, "cashier", "market.pos")
    hooks.add_page(app, "household_impact", lambda household: url_for("market.household_impact", household_id=household.id))
    hooks.add_page(app, "batch_sales", lambda code: url_for("market.recall_report", code=code))
    hooks.add_page(app, "recall_sales", lambda filters: url_for("market.recall_report_many", **filters))


def tasks(user):
    """Open market days to close and settlements not yet paid, for the secretariat."""
    if user.role != "admin":
        return []
    found = []
    open_days = MarketDay.select().where(MarketDay.closed_at.is_null()).count()
    if open_days:
        found.append(hooks.Task(_("Market days still open: count the cash and close them"), open_days,
                                url_for("market.market_days"), "task-open-days"))
    unpaid = Settlement.select().where(Settlement.paid_on.is_null()).count()
    if unpaid:
        found.append(hooks.Task(_("Settlements not yet paid"), unpaid, url_for("market.settlement_list"),
                                "task-unpaid"))
    return found
