"""Yield norms: what a rai can plausibly yield of each product in a season, set by the certifying body."""
from decimal import Decimal

from certificates.models import YieldNorm
from core import audit
from core.db import db, utcnow
from core.validation import Form

MAX_PER_RAI = Decimal(1_000_000)


def save_norm(product, data, by_user):
    """Set or change the norm for a product (quantity per rai in the product's unit, season length)."""
    form = Form(data)
    form.decimal("quantity_per_rai", places=3, minimum=Decimal("0.001"), maximum=MAX_PER_RAI, required=True)
    form.integer("season_days", minimum=1, maximum=366, required=True)
    form.text("notes", 500)
    cleaned = form.finish()
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
