"""The council's dashboard: what the market sold, where the money went, and how much was certified.

Every figure is one SQL aggregate over valid (not voided) sale lines of market days in the
period; refunds are taken off by the same grouping.
"""

from peewee import fn

from core.models import Household, HouseholdOccupation, OccupationGroup, Product
from core.validation import clean_period, local_today
from market.models import MarketDay, Refund, Sale, SaleLine
from traceability.models import Batch

TOP = 10  # products and households shown in the charts


def period(data, today=None):
    """The period asked for (default: this month up to today)."""
    today = today or local_today()
    return clean_period({"start": today.replace(day=1).isoformat(), "end": today.isoformat(),
                         **{key: value for key, value in (data or {}).items() if value}})


def _lines(start, end):
    return (SaleLine.select().join(Sale).join(MarketDay)
            .where(Sale.voided_at.is_null(), MarketDay.market_date.between(start, end)))


def _refunds(start, end):
    """Refunds paid in the period, except those of voided sales (the void took the whole sale off)."""
    return (Refund.select().join(MarketDay).switch(Refund).join(SaleLine).join(Sale).switch(SaleLine)
            .where(MarketDay.market_date.between(start, end), Sale.voided_at.is_null()))


def _net(sold_rows, refund_rows):
    """Sales minus refunds per key, largest first."""
    totals = dict(sold_rows)
    for key, refunded in refund_rows:
        totals[key] = totals.get(key, 0) - refunded
    return sorted(totals.items(), key=lambda item: -item[1])


def totals(start, end):
    """Number of sales, money taken (less refunds) and the certified part of it."""
    sales_count, gross = (Sale.select(fn.COUNT(Sale.id), fn.COALESCE(fn.SUM(Sale.total_satang), 0))
                          .join(MarketDay).where(Sale.voided_at.is_null(), MarketDay.market_date.between(start, end))
                          .tuples().get())
    refunded = _refunds(start, end).select(fn.COALESCE(fn.SUM(Refund.amount_satang), 0)).scalar()
    certified = (_lines(start, end).select(fn.COALESCE(fn.SUM(SaleLine.total_satang), 0))
                 .where(SaleLine.certification_state == "certified").scalar())
    certified_refunded = (_refunds(start, end).select(fn.COALESCE(fn.SUM(Refund.amount_satang), 0))
                          .where(SaleLine.certification_state == "certified").scalar())
    net = int(gross) - int(refunded)
    certified_net = int(certified) - int(certified_refunded)
    return {"sales": int(sales_count), "net_satang": net, "certified_satang": certified_net,
            "certified_percent": round(certified_net * 100 / net) if net > 0 else 0}


def by_product(start, end):
    sold = _lines(start, end).select(Batch.product, fn.SUM(SaleLine.total_satang)).join_from(SaleLine, Batch) \
        .group_by(Batch.product).tuples()
    refunded = _refunds(start, end).select(Batch.product, fn.SUM(Refund.amount_satang)).join_from(SaleLine, Batch) \
        .group_by(Batch.product).tuples()
    rows = _net(sold, refunded)
    names = {p.id: p for p in Product.select().where(Product.id.in_([key for key, _ in rows]))}
    return [(names[key], amount) for key, amount in rows]


def by_household(start, end):
    sold = _lines(start, end).select(SaleLine.household, fn.SUM(SaleLine.total_satang)).group_by(SaleLine.household).tuples()
    refunded = _refunds(start, end).select(SaleLine.household, fn.SUM(Refund.amount_satang)) \
        .group_by(SaleLine.household).tuples()
    rows = _net(sold, refunded)
    households = {h.id: h for h in Household.select().where(Household.id.in_([key for key, _ in rows]))}
    return [(households[key], amount) for key, amount in rows]


def by_village(start, end):
    sold = _lines(start, end).select(Household.village_no, fn.SUM(SaleLine.total_satang)) \
        .join_from(SaleLine, Household).group_by(Household.village_no).tuples()
    refunded = _refunds(start, end).select(Household.village_no, fn.SUM(Refund.amount_satang)) \
        .join_from(SaleLine, Household).group_by(Household.village_no).tuples()
    return sorted(_net(sold, refunded))


def by_occupation_group(start, end):
    """Sales per occupation group; a household in two groups counts in both."""
    sold = (_lines(start, end).select(HouseholdOccupation.group, fn.SUM(SaleLine.total_satang))
            .join_from(SaleLine, HouseholdOccupation, on=(HouseholdOccupation.household == SaleLine.household))
            .group_by(HouseholdOccupation.group).tuples())
    refunded = (_refunds(start, end).select(HouseholdOccupation.group, fn.SUM(Refund.amount_satang))
                .join_from(SaleLine, HouseholdOccupation, on=(HouseholdOccupation.household == SaleLine.household))
                .group_by(HouseholdOccupation.group).tuples())
    rows = _net(sold, refunded)
    groups = {g.id: g for g in OccupationGroup.select().where(OccupationGroup.id.in_([key for key, _ in rows]))}
    return [(groups[key], amount) for key, amount in rows]


def by_day(start, end):
    """Money taken per market date (less refunds paid that day)."""
    sold = (Sale.select(MarketDay.market_date, fn.SUM(Sale.total_satang)).join(MarketDay)
            .where(Sale.voided_at.is_null(), MarketDay.market_date.between(start, end))
            .group_by(MarketDay.market_date).tuples())
    refunded = (_refunds(start, end).select(MarketDay.market_date, fn.SUM(Refund.amount_satang))
                .group_by(MarketDay.market_date).tuples())
    return sorted(_net(sold, refunded))
