"""What the market puts in the staff menu and on the home page: market days to close, settlements
to pay; the cashier starts on the POS."""
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit, hooks
from market.models import MarketDay, Settlement


def register(app):
    """Add the market's pages to the menu, its tasks to the home page, the cashier's start."""
    hooks.add_menu_entry(app, "market", "market.pos", _l("POS"), ("admin", "cashier"))
    hooks.add_menu_entry(app, "market", "market.market_days", _l("Market days"), ("admin",))
    hooks.add_menu_entry(app, "market", "market.settlement_list", _l("Settlements"), ("admin",))
    hooks.add_menu_entry(app, "settings", "market.market_settings", _l("Market settings"), ("admin",))
    hooks.add_home_tasks(app, tasks)
    audit.add_field_labels({
        "market_name": _l("Market name (on receipts and reports)"), "promptpay_id": _l("PromptPay ID of the market fund"),
        "commission_percent": _l("Market fund commission, percent"),
        "stock_tolerance_percent": _l("Stock tolerance for weighing, percent"),
        "lines": _l("Sale lines in the settlement"), "refunds": _l("Refunds"), "paid_on": _l("Paid on"),
        "net_satang": _l("Net payout")})
    hooks.set_landing(app, "cashier", "market.pos")


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
