"""Data the browser tests of the market share: certified households, batches, an open counter."""
import datetime

from certificates import certification, inspections, records
from certificates.models import CertifyingBody, Requirement, Standard
from certificates.standards import ensure_default_standards
from core import households, products
from market import sales, settings
from traceability import batches
from traceability.models import Batch

from tests.support import pgs_peers


def certify(household, plot, scope, committee, today):
    standard = Standard.get(Standard.code == "PGS-KH")
    body = CertifyingBody.get(CertifyingBody.kind == "pgs")
    day = (today - datetime.timedelta(days=40)).isoformat()
    records.save_plot_record(plot, {"conversion_start": (today - datetime.timedelta(days=800)).isoformat()}, committee)
    inspection = inspections.schedule_inspection(household, {"standard_id": standard.id, "body_id": body.id,
                                                             "scheduled_for": day}, committee)
    results = {str(r.id): {"result": "pass"} for r in Requirement.select().where(Requirement.standard == standard)}
    inspections.record_inspection(inspection, {"inspected_on": day, "results": results, "inspectors": pgs_peers()}, committee)
    decision = certification.decide(inspection, {"outcome": "approve"}, committee)
    return certification.issue_certificate(decision, {"issued_on": (today - datetime.timedelta(days=30)).isoformat(),
                                                      "product_ids": [p.id for p in scope], "plot_ids": [plot.id]}, committee)


def seed_market(committee):
    """Two certified households (one later suspended), kale by the kilo, morning glory by the bunch,
    a woven basket, a sold-out batch, the PromptPay ID, and counter A open."""
    today = datetime.date.today()
    ensure_default_standards()
    kale = products.create_product({"name_th": "คะน้า", "name_en": "Chinese kale", "unit": "kg", "category": "vegetable",
                                    "is_certifiable": True, "default_price": "60"}, committee)
    glory = products.create_product({"name_th": "ผักบุ้ง", "name_en": "Morning glory", "unit": "bunch",
                                     "category": "vegetable", "is_certifiable": True, "default_price": "15"}, committee)
    basket = products.create_product({"name_th": "ตะกร้าสานใบเตย", "name_en": "Pandan basket", "unit": "piece",
                                      "category": "handicraft", "default_price": "120"}, committee)
    made = {}
    for code, name, village in (("KH-01-001", "สวนป้าศรี", "1"), ("KH-02-001", "สวนลุงหมาด", "2")):
        household = households.create_household({"code": code, "head_name": f"หัวหน้า {code}", "display_name": name,
                                                 "village_no": village, "grower_status": "active",
                                                 "pledge_date": "2024-01-15"}, committee)
        plot = households.create_plot(household, {"name": "แปลงผัก", "area_m2": "1600"}, committee)
        made[code] = (household, plot, certify(household, plot, [kale, glory], committee, today))

    def batch(code, product, quantity, plot=True):
        household, field, _certificate = made[code]
        return batches.create_batch({"household_id": household.id, "product_id": product.id,
                                     "plot_id": field.id if plot else None, "harvest_date": today.isoformat(),
                                     "quantity": quantity}, committee).code

    codes = {
        "kale": batch("KH-01-001", kale, "10"),
        "glory": batch("KH-01-001", glory, "20"),
        "basket": batch("KH-01-001", basket, "3", plot=False),
        "suspended": batch("KH-02-001", kale, "5"),
        "sold_out": batch("KH-01-001", glory, "2"),
    }
    Batch.update(sold_milli=Batch.quantity_milli).where(Batch.code == codes["sold_out"]).execute()
    certification.suspend(made["KH-02-001"][2], {"reason": "พบการใช้ปุ๋ยเคมีในแปลง"}, committee)
    settings.save_settings({"market_name": "ตลาดเขียวคลองแห", "promptpay_id": "0812345678", "commission_percent": "0",
                            "stock_tolerance_percent": "5"}, committee)
    day = sales.open_market_day({"counter": "A", "opening_float": "500"}, committee)
    return codes, day.id
