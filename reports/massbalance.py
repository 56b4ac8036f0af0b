"""The mass balance: for each household and product in a season, what it harvested (its harvest
batches, which are the farm record's harvests, and any older farm-record harvest never made a
batch), what the market sold, what went into making other batches (honey into jars), and what
its certified land can plausibly yield. A household that sells or uses more than it harvested,
or harvests or sells more than its land can grow, is flagged for the inspector with the evidence.

Every figure is an SQL aggregate grouped by household and product.
"""
import dataclasses
import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from peewee import fn

from certificates.models import Activity, Certificate, CertificatePlot, CertificateProduct, YieldNorm
from core.i18n import SQUARE_METRES_PER_WA, WA_PER_RAI
from core.models import Household, Plot, Product
from core.validation import clean_period, local_today
from market.models import MarketDay, Refund, Sale, SaleLine
from traceability.models import MILLI, Batch, BatchInput

SQUARE_METRES_PER_RAI = SQUARE_METRES_PER_WA * WA_PER_RAI  # 1,600 m²
SEASON_DAYS = 90  # the period shown (and checked for the home page) unless another is asked for
# Farm records and weighing differ a little; flag only what is beyond this share.
RECORD_TOLERANCE = Decimal("0.10")

FLAGS = {
    "sold_over_harvested": _l("Sold more than was harvested"),
    "harvested_over_capacity": _l("Harvested more than the certified land can plausibly yield"),
    "sold_over_capacity": _l("Sold more than the certified land can plausibly yield"),
    "used_over_harvested": _l("Sold and used in making more than the farm records say was harvested"),
    "used_over_capacity": _l("Sold and used in making more than the certified land or hives can plausibly yield"),
}


@dataclasses.dataclass
class Balance:
    """One household's figures for one product over the period, in thousandths of the unit."""

    household: Household
    product: Product
    harvested_milli: int = 0
    sold_milli: int = 0
    used_milli: int = 0  # went into batches made from this household's batches
    certified_area_m2: Decimal = Decimal(0)
    capacity_milli: int = None
    flags: tuple = ()


def period(data, today=None):
    """The season asked for; by default the SEASON_DAYS up to today."""
    today = today or local_today()
    return clean_period({"start": (today - datetime.timedelta(days=SEASON_DAYS - 1)).isoformat(),
                         "end": today.isoformat(), **{key: value for key, value in (data or {}).items() if value}})


def _harvested(start, end):
    """Harvest batches, plus farm-record harvests from before a harvest was recorded once, as a batch."""
    rows = (Batch.select(Batch.household, Batch.product, fn.SUM(Batch.quantity_milli))
            .where(Batch.harvest_date.between(start, end), Batch.kind == "harvest")
            .group_by(Batch.household, Batch.product).tuples())
    harvested = {(household, product): int(total) for household, product, total in rows}
    older = (Activity.select(Activity.household, Activity.product, fn.SUM(Activity.quantity))
             .where(Activity.activity == "harvest", Activity.product.is_null(False), Activity.done_on.between(start, end))
             .group_by(Activity.household, Activity.product).tuples())
    for household, product, total in older:
        key = (household, product)
        harvested[key] = harvested.get(key, 0) + int(Decimal(str(total or 0)) * MILLI)
    return harvested


def _sold(start, end):
    lines = (SaleLine.select(SaleLine.household, Batch.product, fn.SUM(SaleLine.quantity_milli))
             .join(Batch).switch(SaleLine).join(Sale).join(MarketDay)
             .where(Sale.voided_at.is_null(), MarketDay.market_date.between(start, end))
             .group_by(SaleLine.household, Batch.product).tuples())
    sold = {(household, product): int(total) for household, product, total in lines}
    refunds = (Refund.select(SaleLine.household, Batch.product, fn.SUM(Refund.quantity_milli))
               .join(SaleLine).join(Batch).switch(Refund).join(MarketDay)
               .where(MarketDay.market_date.between(start, end))
               .group_by(SaleLine.household, Batch.product).tuples())
    for household, product, total in refunds:
        sold[(household, product)] = sold.get((household, product), 0) - int(total)
    return sold


def _used(start, end):
    """What went into batches made in the period, by the household and product of each input."""
    made = Batch.alias("made")
    rows = (BatchInput.select(Batch.household, Batch.product, fn.SUM(BatchInput.quantity_milli))
            .join(Batch, on=(BatchInput.input == Batch.id))
            .switch(BatchInput).join(made, on=(BatchInput.batch == made.id))
            .where(made.harvest_date.between(start, end))
            .group_by(Batch.household, Batch.product).tuples())
    return {(household, product): int(total) for household, product, total in rows}


def _certified_area(start, end):
    """Square metres of each household's plots in scope of a certificate for each product in the period."""
    scoped = (Certificate.select(Certificate.household, CertificateProduct.product, Plot.id, Plot.area_m2)
              .join(CertificateProduct, on=(CertificateProduct.certificate == Certificate.id))
              .switch(Certificate).join(CertificatePlot, on=(CertificatePlot.certificate == Certificate.id))
              .join(Plot, on=(Plot.id == CertificatePlot.plot))
              .where(Certificate.issued_on <= end, Certificate.valid_until >= start)
              .distinct())
    plots = scoped.alias("scoped")
    rows = (Certificate.select(plots.c.household_id, plots.c.product_id, fn.SUM(plots.c.area_m2))
            .from_(plots).group_by(plots.c.household_id, plots.c.product_id).tuples())
    return {(household, product): Decimal(str(area)) for household, product, area in rows}


def balances(start, end):
    """Every household × product with harvests, batches or sales in the period, with its flags."""
    harvested, sold, used = _harvested(start, end), _sold(start, end), _used(start, end)
    areas = _certified_area(start, end)
    keys = set(harvested) | set(sold) | set(used)
    households = {h.id: h for h in Household.select().where(Household.id.in_([k[0] for k in keys]))}
    products = {p.id: p for p in Product.select().where(Product.id.in_([k[1] for k in keys]))}
    norms = {n.product_id: n for n in YieldNorm.select().where(YieldNorm.product.in_(list(products)))}
    days = (end - start).days + 1
    result = []
    for key in sorted(keys, key=lambda k: (households[k[0]].code, products[k[1]].name_th)):
        balance = Balance(households[key[0]], products[key[1]], harvested.get(key, 0), sold.get(key, 0),
                          used.get(key, 0), areas.get(key, Decimal(0)))
        norm = norms.get(key[1])
        if norm is not None and balance.certified_area_m2:
            seasons = Decimal(days) / norm.season_days
            balance.capacity_milli = int(balance.certified_area_m2 / SQUARE_METRES_PER_RAI * norm.quantity_milli_per_rai * seasons)
        balance.flags = _flags(balance)
        result.append(balance)
    return result


def _flags(balance):
    flags = []
    if balance.sold_milli > balance.harvested_milli * (1 + RECORD_TOLERANCE):
        flags.append("sold_over_harvested")
    if balance.capacity_milli is not None:
        if balance.harvested_milli > balance.capacity_milli:
            flags.append("harvested_over_capacity")
        if balance.sold_milli > balance.capacity_milli:
            flags.append("sold_over_capacity")
    if balance.used_milli:
        out = balance.sold_milli + balance.used_milli
        if balance.harvested_milli and out > balance.harvested_milli * (1 + RECORD_TOLERANCE):
            flags.append("used_over_harvested")
        if balance.capacity_milli is not None and out > balance.capacity_milli >= balance.sold_milli:
            flags.append("used_over_capacity")
    return tuple(flags)


def alerts(start, end):
    """Only the flagged balances, for the inspector's follow-up."""
    return [balance for balance in balances(start, end) if balance.flags]


def evidence(balances_shown, start, end):
    """The batches behind flagged balances, by (household id, product id), in one query."""
    flagged = [b for b in balances_shown if b.flags]
    found = {}
    if not flagged:
        return found
    query = (Batch.select()
             .where(Batch.household.in_({b.household.id for b in flagged}), Batch.harvest_date.between(start, end))
             .order_by(Batch.harvest_date, Batch.id))
    for batch in query:
        found.setdefault((batch.household_id, batch.product_id), []).append(batch)
    return found
