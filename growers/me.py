"""What one household sees of itself: its certificate and what is due, its harvests, sales and payouts.

Every function takes the household and reads only its rows; the views and `/api/v1/me/...` call
these, so the page and the API cannot disagree. Nothing here returns another household's data or
any personal field (phone, national ID, disadvantaged status).
"""
import dataclasses
import datetime

from flask_babel import lazy_gettext as _l
from peewee import JOIN, fn

from certificates import certification
from core import report
from core.i18n import start_of_local_day
from core.models import Product
from core.validation import NotFound, ValidationError, clean_period, local_today
from market import documents, settings, settlements
from market.models import MarketDay, Refund, Sale, SaleLine, Settlement
from traceability import batches, labels
from traceability.models import Batch, LabelPrint

# How far back the harvest list and the sales page look by default: a season.
RECENT_DAYS = 90
HARVEST_LIST_LIMIT = 100
LABELS_ON_A_SHEET = 24  # the A4 3 x 8 template

HARVEST_STATES = {
    "awaiting_check": _l("Waiting for the secretariat's check"),
    "checked": _l("Checked: waiting for labels"),
    "labelled": _l("Labelled: on sale"),
    "selling": _l("Selling"),
    "sold_out": _l("Sold out"),
    "recalled": _l("Recalled"),
}


@dataclasses.dataclass
class Owed:
    """What the market owes the household: sold and not yet settled, and settlements not yet paid."""

    unsettled_satang: int
    unpaid_satang: int
    unpaid_settlements: list

    @property
    def total_satang(self):
        return self.unsettled_satang + self.unpaid_satang


@dataclasses.dataclass
class Today:
    """The grower's first page: certification and what is due, today's sales, what is owed."""

    certification: certification.HouseholdCertification
    sales: list  # [{"at", "product", "quantity_milli", "unit", "total_satang"}], newest first
    sales_total_satang: int
    owed: Owed
    on: datetime.date


def _own_lines(household):
    """The household's lines of sales that were not voided (a group product's lines are its maker's)."""
    return (SaleLine.select().join(Sale).switch(SaleLine).join(MarketDay, on=(Sale.market_day == MarketDay.id))
            .where(SaleLine.household == household, Sale.voided_at.is_null()))


def owed(household):
    """Sold and not yet in a settlement (less its refunds), plus the settlements not yet paid out."""
    sold = (SaleLine.select(fn.COALESCE(fn.SUM(SaleLine.total_satang), 0)).join(Sale)
            .where(SaleLine.household == household, SaleLine.settlement.is_null(), Sale.voided_at.is_null()).scalar())
    refunded = (Refund.select(fn.COALESCE(fn.SUM(Refund.amount_satang), 0)).join(SaleLine).join(Sale)
                .where(SaleLine.household == household, Refund.settlement.is_null(), Sale.voided_at.is_null())
                .scalar())
    unpaid = list(Settlement.select().where(Settlement.household == household, Settlement.paid_on.is_null())
                  .order_by(Settlement.period_end))
    return Owed(int(sold) - int(refunded), sum(s.net_satang for s in unpaid), unpaid)


def today(household, on=None):
    """Everything the Today page shows, for the Thai date `on` (today)."""
    on = on or local_today()
    start = start_of_local_day(on)  # a market day opened at 6 in the morning there is still yesterday in UTC
    end = start + datetime.timedelta(days=1)
    rows = list(_own_lines(household).select(Sale.created_at.alias("at"), SaleLine.quantity_milli, SaleLine.total_satang,
                                             Batch.unit, Product.name_th, Product.name_en)
                .switch(SaleLine).join(Batch).join(Product)
                .where(Sale.created_at >= start, Sale.created_at < end)
                .order_by(Sale.created_at.desc(), SaleLine.id.desc()).dicts())
    return Today(certification.household_certification(household, on), rows,
                 sum(row["total_satang"] for row in rows), owed(household), on)


def harvest_state(batch, labelled):
    """Where a harvest stands for the grower: waiting for the check, checked, labelled, selling, sold out, recalled."""
    if batch.status != "available":  # recalled, awaiting the check or sold out, as the batch list says
        return batch.status
    if batch.sold_milli > 0:
        return "selling"
    return "labelled" if labelled else "checked"


def harvests(household, limit=HARVEST_LIST_LIMIT):
    """The household's batches, newest harvest first, each with `state` (see HARVEST_STATES)."""
    rows = list(batches.search_batches(household_id=household.id).limit(limit))
    labelled = {row.batch_id for row in LabelPrint.select(LabelPrint.batch).where(
        LabelPrint.batch.in_([batch.id for batch in rows])).distinct()}
    for batch in rows:
        batch.state = harvest_state(batch, batch.id in labelled)
    return rows


def record_harvest(household, data, user):
    """Record a harvest of the household as a batch waiting for the secretariat's check; returns (batch, created).

    The household is always the grower's own, whatever the form says; a retry with the same
    `client_id` returns the first batch.
    """
    fields = dict(data or {}, household_id=household.id)
    batch, created = batches.record_batch(fields, user, recorded_by=user)
    if batch.household_id != household.id:  # a client_id another household's phone already used
        raise ValidationError({"client_id": _l("This entry was already sent by another phone. Reload the page.")})
    return batch, created


def own_batch(household, code):
    """The household's batch with this code, or NotFound (another household's batch is not found either)."""
    batch = batches.find_batch(code)
    if batch.household_id != household.id:
        raise NotFound()
    return batch


def may_print_labels(user, batch):
    """A household the secretariat allows prints its checked batches' labels at home."""
    return labels.grower_label_refusal(batch, user) is None


def labels_at_home(user, batch, data, base_url):
    """An A4 sheet of the batch's labels (data["copies"], default a sheet) for the grower's own printer.

    Refused where the secretariat has not allowed the household, and for a harvest not yet checked.
    """
    copies = labels.LabelOptions.clean(data, omit=("template", "skip"))["copies"] or LABELS_ON_A_SHEET
    refusal = labels.grower_label_refusal(batch, user)
    if refusal is not None:
        raise ValidationError({"labels": refusal})
    pdf, _statuses = labels.print_labels([batch], "a4-3x8", copies, base_url, user)
    return pdf


def sales_by_day(household, data=None):
    """The household's sales by market day and product in a period (default: the last RECENT_DAYS days).

    Returns (start, end, rows, total): rows are {"day", "name_th", "name_en", "unit", "quantity_milli",
    "total_satang", "refunded_satang"}, newest day first.
    """
    data = dict(data or {})
    end = local_today()
    data.setdefault("start", (end - datetime.timedelta(days=RECENT_DAYS)).isoformat())
    data.setdefault("end", end.isoformat())
    start, end = clean_period(data)
    period = MarketDay.market_date.between(start, end)
    refunded = (Refund.select(Refund.line, fn.SUM(Refund.amount_satang).alias("amount")).group_by(Refund.line))
    query = (_own_lines(household)
             .select(MarketDay.market_date.alias("day"), Product.name_th, Product.name_en, Batch.unit,
                     fn.SUM(SaleLine.quantity_milli).alias("quantity_milli"),
                     fn.SUM(SaleLine.total_satang).alias("total_satang"),
                     fn.COALESCE(fn.SUM(refunded.c.amount), 0).alias("refunded_satang"))
             .switch(SaleLine).join(Batch).join(Product)
             .switch(SaleLine).join(refunded, JOIN.LEFT_OUTER, on=(refunded.c.line_id == SaleLine.id))
             .where(period)
             .group_by(MarketDay.market_date, Product.id, Product.name_th, Product.name_en, Batch.unit)
             .order_by(MarketDay.market_date.desc(), Product.name_th))
    rows = [dict(row, quantity_milli=int(row["quantity_milli"]), total_satang=int(row["total_satang"]),
                 refunded_satang=int(row["refunded_satang"])) for row in query.dicts()]
    return start, end, rows, sum(row["total_satang"] - row["refunded_satang"] for row in rows)


def settlement_list(household):
    """The household's settlements, newest period first."""
    return list(Settlement.select().where(Settlement.household == household)
                .order_by(Settlement.period_end.desc(), Settlement.id.desc()))


def own_settlement(household, settlement_id):
    """The household's settlement with this id, or NotFound (another household's is not found either)."""
    settlement = Settlement.get_or_none(Settlement.id == settlement_id, Settlement.household == household)
    if settlement is None:
        raise NotFound()
    return settlement


def statement_pdf(settlement):
    """The settlement's statement, the same PDF the secretariat prints."""
    return report.to_pdf(documents.settlement_statement(settlement, settlements.statement_lines(settlement),
                                                        settlements.statement_refunds(settlement),
                                                        settings.get("market_name")))
