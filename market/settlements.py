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
from core.db import LARGEST_ID, is_sqlite, write_transaction
from core.models import Household, Product
from core.validation import Choice, Date, Schema, Text, ValidationError, clean_period, local_today
from market import settings
from market.models import PAYOUT_METHODS, MarketDay, Refund, Sale, SaleLine, Settlement, SettlementShare
from traceability import making
from traceability.models import Batch


class SettlementPeriod(Schema):
    """The days a settlement run pays for."""

    period_start = Date(required=True)
    period_end = Date(required=True)


def _period(data):
    return clean_period(data, SettlementPeriod)


def _unsettled_lines(start, end):
    """Lines of valid sales on closed market days in the period that no settlement has claimed."""
    return (SaleLine.select()
            .join(Sale).join(MarketDay)
            .where(SaleLine.settlement.is_null(), Sale.voided_at.is_null(), MarketDay.closed_at.is_null(False),
                   MarketDay.market_date.between(start, end)))


def _unsettled_refunds(end):
    """Refunds up to the end of the period not yet taken off a settlement (including those of settled lines)."""
    last = datetime.datetime.combine(end, datetime.time.max)
    return Refund.select().join(SaleLine).join(Sale).switch(Refund).join(MarketDay).where(
        Refund.settlement.is_null(), Sale.voided_at.is_null(), MarketDay.closed_at.is_null(False), Refund.at <= last)


def _group_batches():
    """Batches a group of households made together: their sales are paid out by shares."""
    return Batch.select(Batch.id).where(Batch.occupation_group.is_null(False))


def _shared(start, end, chosen=None):
    """Each unsettled line and refund of a group's product split by the households' shares of its inputs.

    Returns [(line id, refund id or None, {household id: (satang, basis points)})]. With `chosen`
    households, only the lines whose every sharing household is chosen: a line is paid out whole.
    """
    lines = (_unsettled_lines(start, end).where(SaleLine.batch.in_(_group_batches()))
             .select(SaleLine.id, SaleLine.batch, SaleLine.total_satang).tuples())
    refunds = (_unsettled_refunds(end).where(SaleLine.batch.in_(_group_batches()))
               .select(SaleLine.id, Refund.id, SaleLine.batch, Refund.amount_satang).tuples())
    items = ([(line, None, batch, amount) for line, batch, amount in lines]
             + [(line, refund, batch, -amount) for line, refund, batch, amount in refunds])
    weights = making.shares({batch for _line, _refund, batch, _amount in items})
    planned = []
    for line, refund, batch, amount in items:
        parts = making.split_by_share(amount, weights[batch])
        total = sum(weights[batch].values())
        if chosen is not None and not set(parts) <= chosen:
            continue
        planned.append((line, refund, {household: (part, weights[batch][household] * 10_000 // total)
                                       for household, part in parts.items()}))
    return planned


def commission_for(amount_satang, basis_points):
    return int((Decimal(amount_satang) * basis_points / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _chosen_households(data):
    """The households asked for (ids in data["households"]), or None for every household."""
    chosen = data.get("households")
    if chosen is None:
        return None
    values = chosen if isinstance(chosen, list) else [chosen]
    if not values or not all(isinstance(value, (int, str)) and str(value).isdigit() and 0 < int(value) <= LARGEST_ID
                             for value in values):
        raise ValidationError({"households": _l("Choose at least one household to settle.")})
    return {int(value) for value in values}


def preview(data):
    """Per household, what a settlement of the period would hold: gross, refunds, commission, net.

    data["households"], when given, limits it to those households (a list of ids). A group
    product's sales count for each household of the group by its share of the inputs.
    """
    start, end = _period(data)
    chosen = _chosen_households(data)
    basis_points = settings.commission_basis_points()
    gross = {household: (sold, lines) for household, sold, lines in (
        _unsettled_lines(start, end).where(SaleLine.batch.not_in(_group_batches()))
        .select(SaleLine.household, fn.SUM(SaleLine.total_satang), fn.COUNT(SaleLine.id))
        .group_by(SaleLine.household).tuples())}
    refunds = dict(
        _unsettled_refunds(end).where(SaleLine.batch.not_in(_group_batches()))
        .select(SaleLine.household, fn.SUM(Refund.amount_satang))
        .group_by(SaleLine.household).tuples())
    shared_sold, shared_refunds = {}, {}
    for _line, refund, parts in _shared(start, end, chosen):
        into = shared_sold if refund is None else shared_refunds
        for household, (amount, _points) in parts.items():
            into[household] = into.get(household, 0) + abs(amount)
    rows = []
    owed = set(gross) | set(refunds) | set(shared_sold) | set(shared_refunds)
    households = Household.select().where(Household.id.in_(list(owed if chosen is None else owed & chosen)))
    households = households.order_by(Household.code)
    for household in households:
        sold, lines = gross.get(household.id, (0, 0))
        sold = int(sold) + shared_sold.get(household.id, 0)
        refunded = int(refunds.get(household.id, 0)) + shared_refunds.get(household.id, 0)
        commission = commission_for(sold - refunded, basis_points)
        rows.append({"household": household, "lines": lines, "gross_satang": sold, "refunds_satang": refunded,
                     "own_refunds_satang": int(refunds.get(household.id, 0)),
                     "commission_satang": commission, "net_satang": sold - refunded - commission})
    return start, end, basis_points, rows


def _lock_unsettled_sales(start, end):
    """Lock the sales the settlement would claim (PostgreSQL), so a void cannot slip in between.

    A void locks its sale and refuses a settled line; with both taking the same row locks one of
    them waits for the other. SQLite's BEGIN IMMEDIATE holds the whole database already.
    """
    if not is_sqlite():
        claimed = _unsettled_lines(start, end).select(SaleLine.sale)
        list(Sale.select(Sale.id).where(Sale.id.in_(claimed)).for_update())


def create_settlements(data, by_user):
    """Settle the chosen households (default: every one) with unsettled sales in the period; all or nothing."""
    start, end = _period(data)
    made = []
    with write_transaction():
        _lock_unsettled_sales(start, end)
        start, end, basis_points, rows = preview(data)
        if not rows:
            raise ValidationError({"period_start": _l("Nothing to settle in this period: no closed market day has unsettled sales.")})
        shared = _shared(start, end, _chosen_households(data))
        for row in rows:
            household = row["household"]
            settlement = Settlement.create(
                household=household, period_start=start, period_end=end, gross_satang=row["gross_satang"],
                refunds_satang=row["refunds_satang"], commission_basis_points=basis_points,
                commission_satang=row["commission_satang"], net_satang=row["net_satang"], created_by=by_user)
            claimed = (SaleLine.update(settlement=settlement)
                       .where(SaleLine.id.in_(_unsettled_lines(start, end).select(SaleLine.id)
                                              .where(SaleLine.household == household,
                                                     SaleLine.batch.not_in(_group_batches()))))
                       .execute())
            refunds = (Refund.update(settlement=settlement)
                       .where(Refund.id.in_(_unsettled_refunds(end).select(Refund.id)
                                            .where(SaleLine.household == household,
                                                   SaleLine.batch.not_in(_group_batches()))))
                       .execute())
            refunded = Refund.select(fn.COALESCE(fn.SUM(Refund.amount_satang), 0)).where(Refund.settlement == settlement).scalar()
            if claimed != row["lines"] or refunded != row["own_refunds_satang"]:
                raise ValidationError({"period_start": _l("Sales changed while settling. Try again.")})
            audit.record(by_user, "create", "settlement", settlement.id, {
                "household": (None, household.code), "net_satang": (None, settlement.net_satang),
                "lines": (None, claimed), "refunds": (None, refunds)})
            made.append(settlement)
        _settle_shares(shared, {settlement.household_id: settlement for settlement in made})
    return made


def _settle_shares(shared, by_household):
    """Claim each group line or refund once, and write every household's share into its settlement."""
    for line, refund, parts in shared:
        holder = by_household[min(parts)]
        if refund is None:
            claimed = SaleLine.update(settlement=holder).where(SaleLine.id == line, SaleLine.settlement.is_null()).execute()
        else:
            claimed = Refund.update(settlement=holder).where(Refund.id == refund, Refund.settlement.is_null()).execute()
        if not claimed:
            raise ValidationError({"period_start": _l("Sales changed while settling. Try again.")})
        SettlementShare.insert_many([
            {"settlement": by_household[household].id, "household": household, "line": line, "refund": refund,
             "amount_satang": amount, "share_basis_points": points}
            for household, (amount, points) in parts.items()]).execute()


class SettlementPayout(Schema):
    """How and when a household was paid its settlement; the day is checked against the period too."""

    paid_on = Date(required=True, latest=local_today,
                   too_late=_l("The payout date is in the future: record it when the household is paid."))
    paid_method = Choice(PAYOUT_METHODS, required=True)
    paid_reference = Text(120)


def mark_paid(settlement, data, by_user):
    """Record that a household was paid its settlement (date, method, reference)."""
    form = SettlementPayout.form(data)
    if form.cleaned.get("paid_on") and form.cleaned["paid_on"] < settlement.period_start:
        # First, as paid_on is the first field: the messages keep the form's order.
        form.errors = {"paid_on": _l("The payout cannot be before the settled period began."), **form.errors}
    cleaned = form.finish()
    with write_transaction():
        done = (Settlement.update(paid_by=by_user, **cleaned)
                .where(Settlement.id == settlement.id, Settlement.paid_on.is_null()).execute())
        if not done:
            raise ValidationError({"paid_on": _l("This settlement is already marked as paid.")})
        audit.record(by_user, "update", "settlement", settlement.id, {"paid_on": (None, cleaned["paid_on"])})
    return Settlement.get_by_id(settlement.id)


def statement_lines(settlement):
    """Every sale line the settlement pays for, oldest first: when, receipt, product, batch, quantity, amount.

    A group product's line appears with this household's share of its amount and the share in percent.
    """
    fields = (SaleLine.quantity_milli, SaleLine.unit_price_satang, SaleLine.discount_satang,
              Sale.id.alias("sale_id"), Sale.created_at, Batch.code, Batch.unit, Product.name_th, Product.name_en)
    own = (SaleLine.select(SaleLine.total_satang, *fields)
           .join(Sale).switch(SaleLine).join(Batch).join(Product)
           .where(SaleLine.settlement == settlement, SaleLine.batch.not_in(_group_batches())).dicts())
    shared = (SettlementShare.select(SettlementShare.amount_satang.alias("total_satang"),
                                     SettlementShare.share_basis_points, *fields)
              .join(SaleLine).join(Sale).switch(SaleLine).join(Batch).join(Product)
              .where(SettlementShare.settlement == settlement, SettlementShare.refund.is_null()).dicts())
    lines = [dict(row, share_percent=None) for row in own]
    lines += [dict(row, share_percent=row["share_basis_points"] / 100) for row in shared]
    return sorted(lines, key=lambda row: (row["created_at"], row["sale_id"]))


def statement_refunds(settlement):
    """Every refund the settlement takes off, oldest first: when, receipt, product, quantity, amount (a group's by share)."""
    fields = (Refund.id, Refund.at, Refund.quantity_milli, Refund.reason, SaleLine.sale.alias("sale_id"),
              Batch.code, Batch.unit, Product.name_th, Product.name_en)
    own = (Refund.select(Refund.amount_satang, *fields)
           .join(SaleLine).join(Batch).join(Product)
           .where(Refund.settlement == settlement, SaleLine.batch.not_in(_group_batches())).dicts())
    shared = (SettlementShare.select(SettlementShare.amount_satang, *fields)
              .join(Refund, on=SettlementShare.refund == Refund.id).join(SaleLine).join(Batch).join(Product)
              .where(SettlementShare.settlement == settlement).dicts())
    refunds = list(own) + [dict(row, amount_satang=abs(row["amount_satang"])) for row in shared]
    return sorted(refunds, key=lambda row: (row["at"], row["id"]))


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
               .join(SaleLine).join(Sale).where(Refund.market_day == day, Sale.voided_at.is_null()).dicts().get())
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
