"""Demo harvest batches: a week of harvests, mostly sellable, with a few the counter refuses.

Builds on the core and certification demos. Every active grower household with plots gets a few
batches of what it grows (certified ones sell; suspended, revoked, expired and in-conversion ones
show why the counter and the label printer refuse them); one applicant's harvest shows "not
certified", one batch is recalled, one woven-handicraft batch sells with no claim. Two certified
households record far more than their land can yield: the mass balance's planted faults.
Added only to a database with no batch yet.
"""
import datetime
import random
from decimal import Decimal

from certificates.models import Certificate, CertificateProduct, YieldNorm
from core.db import db
from core.models import Household, Product, User
from core.validation import local_today
from traceability import batches, labels
from traceability.models import Batch

SEED = 2568
BATCHES_PER_HOUSEHOLD = 3
# Planted mass-balance faults: (index among certified growers, smallest land first; times what it can yield).
OVER_CAPACITY = ((0, 3), (3, 4))
SQUARE_METRES_PER_RAI = 1600
RECALL_REASON = "ลูกค้าแจ้งพบหนอนในถุง ตรวจสอบแล้วเก็บคืนทั้งล็อต"
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
    today = local_today()
    admin = User.select().where(User.role == "admin").order_by(User.id).first()
    added = 0
    with db.atomic():
        if Batch.select().exists():
            return {"batches": 0}
        growers = list(Household.select().where(Household.grower_status == "active").order_by(Household.code))
        applicant = Household.select().where(Household.grower_status == "applicant").order_by(Household.code).first()
        made = []
        revoked = list(Household.select().join(Certificate).where(Certificate.status == "revoked").distinct())
        for household in growers + revoked + ([applicant] if applicant else []):
            plots = list(household.plots)
            if not plots:
                continue
            products = _products_for(household, rng)
            for number in range(BATCHES_PER_HOUSEHOLD):
                day = today - datetime.timedelta(days=rng.randrange(0, 7))
                made.append(_harvest(household, products[number % len(products)], rng.choice(plots), admin, rng, day))
                added += 1
        certified = sorted((h for h in growers if Certificate.select().where(Certificate.household == h).exists()),
                           key=lambda h: (sum(plot.area_m2 for plot in h.plots), h.code))
        for index, times in OVER_CAPACITY:
            if index < len(certified):
                household = certified[index]
                product = _products_for(household, rng)[0]
                norm = YieldNorm.get_or_none(YieldNorm.product == product)
                per_rai = Decimal(norm.quantity_milli_per_rai) / 1000 if norm else Decimal(2000)
                rai = sum(Decimal(plot.area_m2) for plot in household.plots) / SQUARE_METRES_PER_RAI
                batches.create_batch({
                    "household_id": household.id, "product_id": product.id, "plot_id": household.plots.first().id,
                    "harvest_date": (today - datetime.timedelta(days=2)).isoformat(),
                    "quantity": str(int(rai * per_rai * times) + 1)}, admin)
                added += 1
        for batch in made:
            status = batches.batch_certification(batch)
            if batch.harvest_date < today and labels.label_refusal(batch, status) is None:
                labels.record_print(batch, "a4-3x8", 24, status, admin)  # today's harvests wait for their labels
        if made:
            batches.recall_batch(made[0], {"reason": RECALL_REASON}, admin)
        handicraft = Product.select().where(Product.category == "handicraft").first()
        weaver = Household.select().where(Household.grower_status == "active").order_by(Household.code.desc()).first()
        if handicraft and weaver and not Batch.select().where(Batch.product == handicraft).exists():
            _harvest(weaver, handicraft, None, admin, rng, today)
            added += 1
    return {"batches": added}
