"""Demo market: settings, yesterday's closed counter with sales and its Z-report, today's counter open.

Builds on the traceability demo's batches. Additive: if any market day exists, nothing is added.
"""
import datetime
import random
import secrets
import uuid

from core import accounts
from core.db import db
from core.models import User
from core.validation import local_today
from market import sales, settings
from market.models import MarketDay
from market.settlements import z_report
from traceability.models import Batch

SEED = 2569
DEMO_PROMPTPAY_ID = "0812345678"  # a made-up number: replace it on /market/settings
SALES_YESTERDAY = 30
BASE_URL = "http://demo.invalid"
DEMO_USERNAME = "market-demo"


def load_demo_data():
    """Add the demo market; return counts of what was added."""
    if MarketDay.select().exists():
        return {"market_days": 0, "sales": 0}
    rng = random.Random(SEED)
    admin = _demo_secretariat()
    with db.atomic():
        settings.save_settings({**settings.all_settings(), "promptpay_id": DEMO_PROMPTPAY_ID}, admin)
        yesterday = sales.open_market_day({"counter": "A", "opening_float": "500",
                                           "market_date": (local_today() - datetime.timedelta(days=1)).isoformat()}, admin)
        made = 0
        for _ in range(SALES_YESTERDAY):
            made += _one_sale(yesterday, admin, rng)
        expected = z_report(yesterday)["expected_cash"]  # the demo cashier counts right
        sales.close_market_day(yesterday, {"counted_cash": f"{expected // 100}.{expected % 100:02d}"}, admin)
        sales.open_market_day({"counter": "A", "opening_float": "500"}, admin)
    return {"market_days": 2, "sales": made}


def _demo_secretariat():
    """The account the demo's market days and sales are recorded by; it cannot sign in."""
    user = User.get_or_none(User.username == DEMO_USERNAME)
    if user is None:
        user = accounts.create_user({"username": DEMO_USERNAME, "full_name": "เลขานุการตลาด (ตัวอย่าง)",
                                     "role": "admin", "password": secrets.token_urlsafe(24), "is_active": False})
    return user


def _one_sale(day, cashier, rng):
    """One customer's basket of one to three sellable batches; 0 when none is left to sell."""
    basket = []
    for batch in rng.sample(list(Batch.select().where(Batch.sold_milli < Batch.quantity_milli)), k=3):
        if sales.refusal_for(batch, 1000) is None and len(basket) < rng.randrange(1, 4):
            basket.append({"batch_code": batch.code, "quantity": "1" if batch.unit != "kg" else rng.choice(["0.5", "1", "1.5"])})
    if not basket:
        return 0
    method = rng.choice(["cash", "cash", "promptpay"])
    try:
        sales.record_sale({"client_id": str(uuid.UUID(int=rng.getrandbits(128))), "market_day_id": day.id,
                           "lines": basket, "payment": {"method": method}}, cashier, BASE_URL)
    except sales.SaleRefused:
        return 0
    return 1
