"""Reports over the market's records: every sale of the batches a recall reaches.

SQL aggregates and joins only; nothing here loops over sale lines in Python to add them up.
"""
from core.models import Product
from market.models import MarketDay, Sale, SaleLine
from traceability.models import Batch


def sales_of_batches(batch_ids):
    """Every sale line of any of `batch_ids` (a recall and the batches made from it), with each line's batch."""
    return list(
        SaleLine.select(SaleLine.id, SaleLine.quantity_milli, SaleLine.total_satang, Sale.id.alias("sale_id"),
                        Sale.created_at, Sale.voided_at, MarketDay.counter, MarketDay.market_date,
                        Batch.code.alias("batch_code"), Batch.unit, Product.name_th, Product.name_en)
        .join(Sale).join(MarketDay).switch(SaleLine).join(Batch).join(Product)
        .where(SaleLine.batch.in_(list(batch_ids)))
        .order_by(Sale.created_at, SaleLine.id)
        .dicts()
    )
