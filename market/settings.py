"""The market's own settings, kept in the database and edited by admin on one page."""
from decimal import Decimal

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l

from core import audit
from core.db import Prepared, db
from core.validation import Number, Schema, Text, ValidationError
from market import promptpay
from market.models import Setting

DEFAULTS = {
    "market_name": "ตลาดเขียวคลองแห",
    "promptpay_id": "",  # the market fund's PromptPay number; PromptPay is offered once it is set
    "commission_percent": "0",  # the market fund's share of each household's sales
    "stock_tolerance_percent": "5",  # weighing differences: a batch may sell this much over its quantity
}
MAX_COMMISSION_PERCENT = Decimal(50)
MAX_TOLERANCE_PERCENT = Decimal(50)


_SETTING = Prepared(lambda key: Setting.select().where(Setting.key == key).limit(1))


def get(key):
    """A setting's value as text (its default when never set), read once per request."""
    known = g.setdefault("market_settings", {}) if has_request_context() else {}
    if key not in known:
        row = _SETTING.first(key)
        known[key] = row.value if row is not None else DEFAULTS[key]
    return known[key]


def all_settings():
    return {key: get(key) for key in DEFAULTS}


def commission_basis_points():
    """The commission as whole hundredths of a percent (2.5 % is 250)."""
    return int(Decimal(get("commission_percent")) * 100)


def tolerance_basis_points():
    return int(Decimal(get("stock_tolerance_percent")) * 100)


class MarketSettings(Schema):
    """The market's name, its PromptPay ID, the commission and the stock count's tolerance."""

    market_name = Text(120, required=True)
    promptpay_id = Text(40)
    commission_percent = Number(2, minimum=Decimal(0), maximum=MAX_COMMISSION_PERCENT, required=True)
    stock_tolerance_percent = Number(2, minimum=Decimal(0), maximum=MAX_TOLERANCE_PERCENT, required=True)


def save_settings(data, by_user):
    """Check and store the settings form; the PromptPay ID must be a valid one."""
    cleaned = MarketSettings.clean(data)
    if cleaned["promptpay_id"]:
        try:
            promptpay.payload(cleaned["promptpay_id"])
        except promptpay.InvalidPromptPayId:
            raise ValidationError({"promptpay_id": _l(
                "Enter a PromptPay mobile number (10 digits), national ID or tax ID (13 digits) or e-wallet ID (15 digits).")}) from None
    with db.atomic():
        changes = {}
        for key, value in cleaned.items():
            text = str(value)
            old = get(key)
            if old != text:
                changes[key] = (old, text)
                Setting.insert(key=key, value=text).on_conflict(
                    conflict_target=[Setting.key], update={Setting.value: text}).execute()
        if changes:
            audit.record(by_user, "update", "settings", 0, changes)
    if has_request_context():
        g.pop("market_settings", None)
    return all_settings()
