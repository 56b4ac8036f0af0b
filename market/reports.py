"""Reports over the market's records: every sale of a batch, for a recall.

SQL aggregates and joins only; nothing here loops over sale lines in Python to add them up.
"""
from market.models import MarketDay, Sale, SaleLine


def sales_of_batch(batch):
    """Every sale line of `batch`: when, at which counter, how much, for how much, and if voided."""
    return list(
        SaleLine.select(SaleLine.id, SaleLine.quantity_milli, SaleLine.total_satang, Sale.id.alias("sale_id"),
                        Sale.created_at, Sale.voided_at, MarketDay.counter, MarketDay.market_date)
        .join(Sale).join(MarketDay)
        .where(SaleLine.batch == batch)
        .order_by(Sale.created_at, SaleLine.id)
        .dicts()
    )
