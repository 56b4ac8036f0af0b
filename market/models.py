"""Tables of the market: settings, market days, sales and their lines, refunds, settlements.

Money is integer satang; quantities are integer thousandths of the batch's unit, as in
traceability. Nothing is ever deleted: a void or a refund is a record of its own.
"""
from flask_babel import lazy_gettext as _l
from peewee import CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from core.db import BaseModel, utcnow
from core.models import Household, User
from traceability.models import Batch

PAYMENT_METHODS = {
    "cash": _l("Cash"),
    "promptpay": _l("PromptPay"),
    "split": _l("Cash and PromptPay"),
}

PAYOUT_METHODS = {
    "cash": _l("Cash"),
    "transfer": _l("Bank transfer"),
    "promptpay": _l("PromptPay"),
}


class Setting(BaseModel):
    """One market setting (PromptPay ID, commission, stock tolerance), edited by admin."""

    key = CharField(max_length=40, unique=True)
    value = CharField(max_length=255)


class MarketDay(BaseModel):
    """One counter's trading day: opened with a cash float, closed with the counted cash."""

    counter = CharField(max_length=40)
    market_date = DateField(index=True)
    opening_float_satang = IntegerField()
    opened_at = DateTimeField(default=utcnow)
    opened_by = ForeignKeyField(User, backref="opened_days", on_delete="RESTRICT")
    closed_at = DateTimeField(null=True)
    closed_by = ForeignKeyField(User, null=True, backref="closed_days", on_delete="RESTRICT")
    counted_cash_satang = IntegerField(null=True)
    notes = TextField(default="")

    @property
    def is_open(self):
        return self.closed_at is None


class Settlement(BaseModel):
    """What the market owes one household for its sales in a period, and whether it was paid."""

    household = ForeignKeyField(Household, backref="settlements", on_delete="RESTRICT")
    period_start = DateField()
    period_end = DateField()
    gross_satang = IntegerField()
    refunds_satang = IntegerField(default=0)
    commission_basis_points = IntegerField()  # 1 % = 100 basis points
    commission_satang = IntegerField()
    net_satang = IntegerField()
    created_at = DateTimeField(default=utcnow)
    created_by = ForeignKeyField(User, backref="settlements_made", on_delete="RESTRICT")
    paid_on = DateField(null=True)
    paid_method = CharField(max_length=20, default="")
    paid_reference = CharField(max_length=120, default="")
    paid_by = ForeignKeyField(User, null=True, backref="settlements_paid", on_delete="RESTRICT")


class Sale(BaseModel):
    """One customer's purchase at a counter, under the id the POS gave it (so a retry is not a second sale)."""

    client_id = CharField(max_length=36, unique=True)
    market_day = ForeignKeyField(MarketDay, backref="sales", on_delete="RESTRICT")
    cashier = ForeignKeyField(User, backref="sales", on_delete="RESTRICT")
    created_at = DateTimeField(default=utcnow, index=True)
    total_satang = IntegerField()
    payment_method = CharField(max_length=20)
    cash_satang = IntegerField(default=0)  # the part paid in cash
    promptpay_satang = IntegerField(default=0)
    tendered_satang = IntegerField(default=0)  # cash handed over; change = tendered - cash
    receipt_token = CharField(max_length=24, unique=True)
    voided_at = DateTimeField(null=True)
    voided_by = ForeignKeyField(User, null=True, backref="voided_sales", on_delete="RESTRICT")
    void_reason = TextField(default="")

    @property
    def change_satang(self):
        return self.tendered_satang - self.cash_satang


class SaleLine(BaseModel):
    """One batch in a sale: how much, at what price, less any discount."""

    sale = ForeignKeyField(Sale, backref="lines", on_delete="RESTRICT")
    batch = ForeignKeyField(Batch, backref="sale_lines", on_delete="RESTRICT")
    household = ForeignKeyField(Household, backref="sale_lines", on_delete="RESTRICT")
    quantity_milli = IntegerField()
    unit_price_satang = IntegerField()
    discount_satang = IntegerField(default=0)
    total_satang = IntegerField()
    certification_state = CharField(max_length=20)  # the claim the batch carried when sold
    settlement = ForeignKeyField(Settlement, null=True, backref="lines", on_delete="RESTRICT")


class Refund(BaseModel):
    """Part or all of a sale line given back: its stock returns and its money leaves the settlement."""

    line = ForeignKeyField(SaleLine, backref="refunds", on_delete="RESTRICT")
    market_day = ForeignKeyField(MarketDay, backref="refunds", on_delete="RESTRICT")
    quantity_milli = IntegerField()
    amount_satang = IntegerField()
    reason = TextField()
    at = DateTimeField(default=utcnow)
    by = ForeignKeyField(User, backref="refunds", on_delete="RESTRICT")
    settlement = ForeignKeyField(Settlement, null=True, backref="refunds", on_delete="RESTRICT")


class SettlementShare(BaseModel):
    """One household's share of a group product's sale line (or of its refund, negative), paid in its settlement.

    The line itself is claimed by one settlement of the same run, so it is counted once; the
    shares say who of the group gets what, in proportion to what each put into the batch.
    """

    settlement = ForeignKeyField(Settlement, backref="shares", on_delete="RESTRICT")
    household = ForeignKeyField(Household, backref="settlement_shares", on_delete="RESTRICT")
    line = ForeignKeyField(SaleLine, backref="shares", on_delete="RESTRICT")
    refund = ForeignKeyField(Refund, null=True, backref="shares", on_delete="RESTRICT")
    amount_satang = IntegerField()
    share_basis_points = IntegerField()  # the household's part of the inputs, 10,000 = all


def _add_settlement_shares(migrator):
    """Step 1: each household's share of a group product's sales in its settlement."""

    class SettlementShareV1(BaseModel):
        settlement = ForeignKeyField(Settlement, on_delete="RESTRICT")
        household = ForeignKeyField(Household, on_delete="RESTRICT")
        line = ForeignKeyField(SaleLine, on_delete="RESTRICT")
        refund = ForeignKeyField(Refund, null=True, on_delete="RESTRICT")
        amount_satang = IntegerField()
        share_basis_points = IntegerField()

        class Meta:
            table_name = "settlement_share"

    migrator.database.create_tables([SettlementShareV1], safe=True)


MODELS = [Setting, MarketDay, Settlement, Sale, SaleLine, Refund, SettlementShare]
MIGRATIONS = [_add_settlement_shares]
