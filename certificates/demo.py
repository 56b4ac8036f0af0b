"""Demo certification data: inspections, decisions and certificates in every state.

Builds on core's demo households. Dates are relative to today, so the demo always shows
active, suspended, revoked and expired certificates, growers in a dated conversion, a
prohibited input, an input waiting for review, and a realistic input register.
Additive: households that already have an inspection are left alone.
"""
import datetime
import random
import secrets

from certificates import certification, inputs, inspections, records, standards, yields
from certificates.models import CertifyingBody, Inspection, RegisteredInput, Requirement, Standard, YieldNorm
from certificates.standards import ensure_default_standards
from core import accounts
from core.db import db
from core.models import Household, HouseholdOccupation, OccupationGroup, Product, User
from core.validation import local_today

SEED = 2567
COMMITTEE_USERNAME = "pgs-committee"
PEERS = ["สมชาย ใจดี", "อารีย์ ศรีสุข", "ฮาซัน หลีเส็น", "ประไพ นวลศรี", "บุญมี ขุนทอง"]
# Occupation group (Thai name fragment) -> product categories it produces.
GROUP_CATEGORIES = {"ผัก": "vegetable", "เห็ด": "mushroom", "ชันโรง": "honey"}
# What happens to the n-th active demo grower, so every state can be seen; the rest are certified,
# but for the last IN_CONVERSION, which are converting now with a dated start, as newly pledged
# growers are.
FATES = ["active"] * 8 + ["suspended", "revoked", "expired", "conditions"]
IN_CONVERSION = 2
THIRD_PARTY = ("สำนักงานมาตรฐานเกษตรอินทรีย์ (มกท.)", "Organic Agriculture Certification Thailand (ACT)")
# Typed in an input log but not in the register: waits for the committee's review.
UNKNOWN_INPUT = "น้ำหมักหน่อกล้วย"
# What the certifying body says a rai can yield in a 90-day season, per unit (generous: a demo
# household that is flagged by the mass balance is one planted to be).
YIELD_NORMS = {"kg": "2000", "bunch": "4000", "bottle": "1000", "piece": "1000", "pack": "2000"}


def committee_user():
    """The PGS committee's account that demo decisions are signed by; it cannot sign in."""
    user = User.get_or_none(User.username == COMMITTEE_USERNAME)
    if user is None:
        user = accounts.create_user({
            "username": COMMITTEE_USERNAME, "full_name": "คณะกรรมการรับรอง PGS (ตัวอย่าง)",
            "role": "inspector", "is_committee": "1", "password": secrets.token_urlsafe(24)})
    return user


def _scope_products(household, rng):
    categories = set()
    links = (HouseholdOccupation.select(HouseholdOccupation, OccupationGroup).join(OccupationGroup)
             .where(HouseholdOccupation.household == household))
    for link in links:
        categories |= {category for fragment, category in GROUP_CATEGORIES.items() if fragment in link.group.name_th}
    choices = list(Product.select().where(Product.category.in_(categories or {"vegetable"}), Product.is_certifiable == True))  # noqa: E712
    return rng.sample(choices, k=min(len(choices), rng.randrange(2, 5)))


def _peers(household, picks):
    """PGS peers for an inspection of `household`: the demo's peer names, each from another active
    grower household (the rule of three counts households, and a peer with none counts for nothing)."""
    others = list(Household.select().where(Household.grower_status == "active", Household.id != household.id)
                  .order_by(Household.code).limit(len(PEERS)))
    return [{"name": PEERS[pick], "household_id": others[pick].id} for pick in picks]


def _certify(household, user, rng, fate, today):
    standard = Standard.get(Standard.code == "PGS-KH")
    body = CertifyingBody.get(CertifyingBody.kind == "pgs")
    plots = list(household.plots)
    age = {"expired": rng.randrange(400, 500), "conditions": 320}.get(fate) or rng.randrange(30, 300)
    inspected = today - datetime.timedelta(days=age + 7)
    for plot in plots:
        records.save_plot_record(plot, {"conversion_start": (inspected - datetime.timedelta(days=400)).isoformat(),
                                        "conversion_verified_on": inspected.isoformat(),
                                        "field_history": "เดิมปลูกยางพาราและผักใช้สารเคมี เลิกใช้สารเคมีตั้งแต่เริ่มปรับเปลี่ยน"}, user)
        records.add_input(household, {"plot_id": plot.id, "used_on": (inspected - datetime.timedelta(days=30)).isoformat(),
                                      "input_type": "compost", "name": "ปุ๋ยหมักใบไม้และมูลวัว", "quantity": "50", "unit": "kg",
                                      "source": "ผลิตเองในครัวเรือน"}, user)
        records.add_activity(household, {"plot_id": plot.id, "done_on": (inspected - datetime.timedelta(days=60)).isoformat(),
                                         "activity": "soil_preparation", "notes": "ไถพรวนและคลุมฟาง"}, user)
    inspection = inspections.schedule_inspection(household, {"standard_id": standard.id, "body_id": body.id,
                                                             "scheduled_for": inspected.isoformat()}, user)
    results = {str(r.id): {"result": "pass"} for r in Requirement.select().where(Requirement.version == inspection.version_id)}
    inspections.record_inspection(inspection, {
        "inspected_on": inspected.isoformat(),
        "inspectors": _peers(household, rng.sample(range(len(PEERS)), 3)),
        "results": results,
        "findings": "แปลงสะอาด มีแนวกันชน บันทึกการผลิตครบถ้วน",
    }, user)
    outcome = ({"outcome": "approve_with_conditions", "conditions": "ปลูกแนวกันชนเพิ่มด้านทิศตะวันออกภายใน 3 เดือน"}
               if fate == "conditions" else {"outcome": "approve"})
    decision = certification.decide(inspection, outcome, user)
    issued = inspected + datetime.timedelta(days=7)
    certificate = certification.issue_certificate(decision, {
        "issued_on": issued.isoformat(), "valid_until": (issued + datetime.timedelta(days=365)).isoformat(),
        "product_ids": [p.id for p in _scope_products(household, rng)], "plot_ids": [p.id for p in plots]}, user)
    if fate in ("suspended", "revoked"):
        records.add_input(household, {"plot_id": plots[0].id, "used_on": (today - datetime.timedelta(days=10)).isoformat(),
                                      "input_type": "fertilizer", "name": "ปุ๋ยยูเรีย 46-0-0", "quantity": "5", "unit": "kg",
                                      "source": "ร้านค้าในตำบล"}, user)
        certification.suspend(certificate, {"reason": "พบการใช้ปุ๋ยยูเรียในแปลงที่ได้รับรอง"}, user)
    if fate == "revoked":
        certification.revoke(certificate, {"reason": "ไม่แก้ไขตามกำหนดและใช้สารเคมีซ้ำ"}, user)
    return certificate


def _converting(household, rng, today, user):
    """Date a recent conversion start on each plot, and an input the register does not know."""
    started = today - datetime.timedelta(days=rng.randrange(60, 300))
    plots = list(household.plots)
    for plot in plots:
        records.save_plot_record(plot, {"conversion_start": started.isoformat(),
                                        "field_history": "เดิมปลูกผักใช้ปุ๋ยเคมี เริ่มปรับเปลี่ยนเป็นอินทรีย์"}, user)
    records.add_input(household, {"plot_id": plots[0].id, "used_on": (today - datetime.timedelta(days=20)).isoformat(),
                                  "input_type": "bio_extract", "name": UNKNOWN_INPUT, "quantity": "2", "unit": "ลิตร",
                                  "source": "ทำเอง"}, user)


def _register(user):
    """The input register and the third-party certifier, once."""
    if not RegisteredInput.select().exists():
        version = standards.current_version(Standard.get(Standard.code == "PGS-KH"))
        inputs.load_seed(user, version)
        tas = standards.current_version(Standard.get(Standard.code == "TAS-9000"))
        inputs.load_seed(user, tas)
    CertifyingBody.get_or_create(name_th=THIRD_PARTY[0], defaults={"name_en": THIRD_PARTY[1], "kind": "third_party"})


def load_demo_data():
    """Add the demo certification story; return counts of what was added."""
    rng = random.Random(SEED)
    today = local_today()
    added = {"inspections": 0, "certificates": 0}
    with db.atomic():
        ensure_default_standards()
        user = committee_user()
        _register(user)
        for product in Product.select().where(Product.is_certifiable == True):  # noqa: E712
            if not YieldNorm.select().where(YieldNorm.product == product).exists():
                yields.save_norm(product, {"quantity_per_rai": YIELD_NORMS.get(product.unit, "2000"),
                                           "season_days": "90", "notes": "ค่าตัวอย่าง (demo)"}, user)
        growers = list(Household.select().where(Household.grower_status == "active").order_by(Household.code))
        for index, household in enumerate(growers[:len(growers) - IN_CONVERSION]):
            if Inspection.select().where(Inspection.household == household).exists() or not household.plots.exists():
                continue
            _certify(household, user, rng, FATES[index] if index < len(FATES) else "active", today)
            added["inspections"] += 1
            added["certificates"] += 1
        converting = growers[len(growers) - IN_CONVERSION:]
        for household in converting:
            if household.plots.exists() and not records.plot_records(household):
                _converting(household, rng, today, user)
        _inspections_to_come(converting, user, today)
        # From now on a reviewer screens each file before the committee decides.
        CertifyingBody.update(requires_screening=True).where(CertifyingBody.kind == "pgs").execute()
    return added


def _inspections_to_come(in_conversion, user, today):
    """The inspector's week: one grower in conversion to visit in three days, one visited and
    waiting for the committee's decision."""
    standard = Standard.get(Standard.code == "PGS-KH")
    body = CertifyingBody.get(CertifyingBody.kind == "pgs")
    for number, household in enumerate(in_conversion[:2]):
        if Inspection.select().where(Inspection.household == household).exists():
            continue
        when = today + datetime.timedelta(days=3) if number == 0 else today - datetime.timedelta(days=2)
        inspection = inspections.schedule_inspection(household, {"standard_id": standard.id, "body_id": body.id,
                                                                 "scheduled_for": when.isoformat()}, user)
        if number == 1:
            results = {str(r.id): {"result": "pass"} for r in Requirement.select().where(Requirement.standard == standard)}
            inspections.record_inspection(inspection, {
                "inspected_on": when.isoformat(), "results": results, "findings": "แปลงผักปรับเปลี่ยนครบสองปี บันทึกครบ",
                "inspectors": _peers(household, range(3))}, user)
