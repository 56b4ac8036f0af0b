"""What the market owes each household: settlements for a period, the Z-report of a market day.

Every figure is an SQL aggregate. A sale line belongs to at most one settlement: lines are
claimed with `UPDATE ... WHERE settlement IS NULL` inside the transaction that creates the
settlement, so running two settlements at once cannot count a line twice.
"""
import datetime
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from peewee import JOIN, fn

from core import audit
from core.db import write_transaction
from core.models import Household, Product
from core.validation import Form, ValidationError, clean_period
from market import settings
from market.models import PAYOUT_METHODS, MarketDay, Refund, Sale, SaleLine, Settlement
from traceability.models import Batch


def _period(data):
    return clean_period(data, "period_start", "period_end")


def _unsettled_lines(start, end):
    """Lines of valid sales on closed market days in the period that no settlement has claimed."""
    return (SaleLine.select()
            .join(Sale).join(MarketDay)
            .where(SaleLine.settlement.is_null(), Sale.voided_at.is_null(), MarketDay.closed_at.is_null(False),
                   MarketDay.market_date.between(start, end)))


def _unsettled_refunds(end):
    """Refunds up to the end of the period not yet taken off a settlement (including those of settled lines)."""
    last = datetime.datetime.combine(end, datetime.time.max)
    return Refund.select().join(SaleLine).switch(Refund).join(MarketDay).where(
        Refund.settlement.is_null(), MarketDay.closed_at.is_null(False), Refund.at <= last)


def commission_for(amount_satang, basis_points):
    return int((Decimal(amount_satang) * basis_points / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def preview(data):
    """Per household, what a settlement of the period would hold: gross, refunds, commission, net."""
    start, end = _period(data)
    basis_points = settings.commission_basis_points()
    gross = {household: (sold, lines) for household, sold, lines in (
        _unsettled_lines(start, end)
        .select(SaleLine.household, fn.SUM(SaleLine.total_satang), fn.COUNT(SaleLine.id))
        .group_by(SaleLine.household).tuples())}
    refunds = dict(
        _unsettled_refunds(end)
        .select(SaleLine.household, fn.SUM(Refund.amount_satang))
        .group_by(SaleLine.household).tuples())
    rows = []
    households = Household.select().where(Household.id.in_(list(set(gross) | set(refunds)))).order_by(Household.code)
    for household in households:
        sold, lines = gross.get(household.id, (0, 0))
        refunded = refunds.get(household.id, 0)
        commission = commission_for(sold - refunded, basis_points)
        rows.append({"household": household, "lines": lines, "gross_satang": int(sold), "refunds_satang": int(refunded),
                     "commission_satang": commission, "net_satang": int(sold - refunded - commission)})
    return start, end, basis_points, rows


def create_settlements(data, by_user):
    """Settle every household with unsettled sales in the period; all or nothing."""
    start, end, basis_points, rows = preview(data)
    if not rows:
        raise ValidationError({"period_start": _l("Nothing to settle in this period: no closed market day has unsettled sales.")})
    made = []
    with write_transaction():
        for row in rows:
            household = row["household"]
            settlement = Settlement.create(
                household=household, period_start=start, period_end=end, gross_satang=row["gross_satang"],
                refunds_satang=row["refunds_satang"], commission_basis_points=basis_points,
                commission_satang=row["commission_satang"], net_satang=row["net_satang"], created_by=by_user)
            claimed = (SaleLine.update(settlement=settlement)
                       .where(SaleLine.id.in_(_unsettled_lines(start, end).select(SaleLine.id)
                                              .where(SaleLine.household == household)))
                       .execute())
            refunds = (Refund.update(settlement=settlement)
                       .where(Refund.id.in_(_unsettled_refunds(end).select(Refund.id)
                                            .where(SaleLine.household == household)))
                       .execute())
            if claimed != row["lines"]:
                raise ValidationError({"period_start": _l("Sales changed while settling. Try again.")})
            audit.record(by_user, "create", "settlement", settlement.id, {
                "household": (None, household.code), "net_satang": (None, settlement.net_satang),
                "lines": (None, claimed), "refunds": (None, refunds)})
            made.append(settlement)
    return made


def mark_paid(settlement, data, by_user):
    """Record that a household was paid its settlement (date, method, reference)."""
    form = Form(data)
    form.date("paid_on", required=True)
    form.choice("paid_method", PAYOUT_METHODS, required=True)
    form.text("paid_reference", 120)
    cleaned = form.finish()
    with write_transaction():
        done = (Settlement.update(paid_by=by_user, **cleaned)
                .where(Settlement.id == settlement.id, Settlement.paid_on.is_null()).execute())
        if not done:
            raise ValidationError({"paid_on": _l("This settlement is already marked as paid.")})
        audit.record(by_user, "update", "settlement", settlement.id, {"paid_on": (None, cleaned["paid_on"])})
    return Settlement.get_by_id(settlement.id)


def statement_lines(settlement):
    """The settlement's sales by batch: product, harvest, quantity and amount."""
    return (SaleLine.select(Batch.code, Product.name_th, Product.name_en, Batch.unit, Batch.harvest_date,
                            fn.SUM(SaleLine.quantity_milli).alias("quantity_milli"),
                            fn.SUM(SaleLine.total_satang).alias("total_satang"))
            .join(Batch).join(Product)
            .where(SaleLine.settlement == settlement)
            .group_by(Batch.code, Product.name_th, Product.name_en, Batch.unit, Batch.harvest_date)
            .order_by(Batch.harvest_date, Batch.code).dicts())


def z_report(day):
    """The figures of a market day: by payment method, household and product; voids, refunds, cash."""
    valid = Sale.select().where(Sale.market_day == day, Sale.voided_at.is_null())
    by_method = list(valid.select(Sale.payment_method, fn.COUNT(Sale.id).alias("sales"),
                                  fn.SUM(Sale.total_satang).alias("total_satang"),
                                  fn.SUM(Sale.cash_satang).alias("cash_satang"),
                                  fn.SUM(Sale.promptpay_satang).alias("promptpay_satang"))
                     .group_by(Sale.payment_method).order_by(Sale.payment_method).dicts())
    lines = (SaleLine.select().join(Sale).where(Sale.market_day == day, Sale.voided_at.is_null()))
    by_household = list(lines.select(Household.code, Household.display_name,
                                     fn.SUM(SaleLine.total_satang).alias("total_satang"))
                        .switch(SaleLine).join(Household)
                        .group_by(Household.code, Household.display_name)
                        .order_by(Household.code).dicts())
    by_product = list(lines.select(Product.name_th, Product.name_en, Batch.unit,
                                   fn.SUM(SaleLine.quantity_milli).alias("quantity_milli"),
                                   fn.SUM(SaleLine.total_satang).alias("total_satang"))
                      .switch(SaleLine).join(Batch).join(Product, JOIN.INNER)
                      .group_by(Product.name_th, Product.name_en, Batch.unit)
                      .order_by(Product.name_th).dicts())
    voided = (Sale.select(fn.COUNT(Sale.id).alias("count"), fn.COALESCE(fn.SUM(Sale.total_satang), 0).alias("total"))
              .where(Sale.market_day == day, Sale.voided_at.is_null(False)).dicts().get())
    refunds = (Refund.select(fn.COUNT(Refund.id).alias("count"), fn.COALESCE(fn.SUM(Refund.amount_satang), 0).alias("total"))
               .where(Refund.market_day == day).dicts().get())
    cash_in = sum(row["cash_satang"] or 0 for row in by_method)
    expected = day.opening_float_satang + cash_in - refunds["total"]
    counted = day.counted_cash_satang
    return {
        "day": day,
        "by_method": by_method,
        "by_household": by_household,
        "by_product": by_product,
        "sales_count": sum(row["sales"] for row in by_method),
        "sales_total": sum(row["total_satang"] or 0 for row in by_method),
        "voided": voided,
        "refunds": refunds,
        "expected_cash": expected,
        "counted_cash": counted,
        "difference": None if counted is None else counted - expected,
    }
