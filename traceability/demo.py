"""Demo harvest batches: a week of harvests from certified, suspended and in-conversion growers.

Builds on the core and certification demos. Every grower household with plots gets a few
batches of what it grows, so the label sheets and trace pages show each certification state;
one woven-handicraft batch shows a product that sells with no claim. Additive: households that
already have batches are left alone.
"""
import datetime
import random
from decimal import Decimal

from certificates.models import Certificate, CertificateProduct
from core.db import db
from core.models import Household, Product, User
from traceability import batches
from traceability.models import Batch

SEED = 2568
BATCHES_PER_HOUSEHOLD = 3
QUANTITIES = {"kg": (3, 25), "bunch": (10, 40), "piece": (5, 30), "bottle": (5, 20), "pack": (10, 30)}


def _products_for(household, rng):
    """What a household harvests: its certificate's scope, or a few vegetables while in conversion."""
    certificate = Certificate.select().where(Certificate.household == household).order_by(Certificate.id.desc()).first()
    if certificate is not None:
        scope = list(Product.select().join(CertificateProduct).where(CertificateProduct.certificate == certificate))
        if scope:
            return scope
    vegetables = list(Product.select().where(Product.category == "vegetable", Product.is_active == True))  # noqa: E712
    return rng.sample(vegetables, k=min(2, len(vegetables)))


def _harvest(household, product, plot, user, rng, day):
    low, high = QUANTITIES.get(product.unit, (5, 20))
    return batches.create_batch({
        "household_id": household.id, "product_id": product.id, "plot_id": plot.id if plot else None,
        "harvest_date": day.isoformat(), "quantity": str(Decimal(rng.randrange(low * 2, high * 2)) / 2),
        "notes": "",
    }, user)


def load_demo_data():
    """Add demo batches; return how many were added."""
    rng = random.Random(SEED)
    today = datetime.date.today()
    admin = User.select().where(User.role == "admin").order_by(User.id).first()
    added = 0
    with db.atomic():
        growers = (Household.select()
                   .where(Household.grower_status.in_(batches.SELLING_GROWER_STATUSES))
                   .order_by(Household.code))
        for household in growers:
            plots = list(household.plots)
            if not plots or Batch.select().where(Batch.household == household).exists():
                continue
            products = _products_for(household, rng)
            for number in range(BATCHES_PER_HOUSEHOLD):
                day = today - datetime.timedelta(days=rng.randrange(0, 7))
                _harvest(household, products[number % len(products)], rng.choice(plots), admin, rng, day)
                added += 1
        handicraft = Product.select().where(Product.category == "handicraft").first()
        weaver = Household.select().where(Household.grower_status == "active").order_by(Household.code.desc()).first()
        if handicraft and weaver and not Batch.select().where(Batch.product == handicraft).exists():
            _harvest(weaver, handicraft, None, admin, rng, today)
            added += 1
    return {"batches": added}
