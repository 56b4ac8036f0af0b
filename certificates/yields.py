"""Yield norms: what a rai can plausibly yield of each product in a season, set by the certifying body."""
from decimal import Decimal

from certificates.models import YieldNorm
from core import audit
from core.db import db, utcnow
from core.validation import Integer, Number, Schema, Text

MAX_PER_RAI = Decimal(1_000_000)


class YieldNormInput(Schema):
    """What a rai yields of a product in a season, in the product's unit, and how long the season is."""

    quantity_per_rai = Number(3, minimum=Decimal("0.001"), maximum=MAX_PER_RAI, required=True)
    season_days = Integer(minimum=1, maximum=366, required=True)
    notes = Text(500)


def save_norm(product, data, by_user):
    """Set or change the norm for a product (quantity per rai in the product's unit, season length)."""
    cleaned = YieldNormInput.clean(data)
    milli = int(cleaned["quantity_per_rai"] * 1000)
    with db.atomic():
        norm = YieldNorm.get_or_none(YieldNorm.product == product)
        old = (norm.quantity_milli_per_rai, norm.season_days) if norm else (None, None)
        if norm is None:
            norm = YieldNorm(product=product)
        norm.quantity_milli_per_rai, norm.season_days, norm.notes = milli, cleaned["season_days"], cleaned["notes"]
        norm.updated_at, norm.updated_by = utcnow(), by_user
        norm.save()
        audit.record(by_user, "update", "yield_norm", norm.id, {
            "quantity_milli_per_rai": (old[0], milli), "season_days": (old[1], cleaned["season_days"])})
    return norm
