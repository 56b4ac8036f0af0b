"""Who may do what: every role check is enforced on the server, per route and per role.

The matrix below names every staff page (core, sign-in and certification) with the roles that
may use it. Each case signs in one role, calls the page, checks the answer and, after any
refused POST, that the database is exactly as before. A test walks the app's URL map, so a new
page cannot ship without being classified here.
"""
import io
import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from PIL import Image

from certificates import certification, evidence, inputs, inspections, records, standards
from certificates.models import CertifyingBody, Requirement, Standard
from certificates.standards import ensure_default_standards
from core import accounts, households, products, programme
from core.models import (
    Consent,
    Household,
    HouseholdImport,
    LoginAttempt,
    Member,
    OccupationGroup,
    OccupationSynonym,
    User,
)
from market import sales, settlements
from traceability import batches

from tests.support import PASSWORD, database_rows, days_ago, matrix_roles, peer_form_fields, pgs_peers, sign_in, staff

# A grower (of the household the pages are about) is refused every staff page.
ROLES = matrix_roles(["anonymous", "admin", "inspector", "cashier", "grower"])
STAFF = frozenset({"admin", "inspector", "cashier"})
SIGNED_IN = STAFF | {"grower"}  # the start page: each role is sent on to its own
GROWER = frozenset({"grower"})
READERS = frozenset({"admin", "inspector"})
ADMIN = frozenset({"admin"})
COUNTER = frozenset({"admin", "cashier"})
PERSONAL = {"phone": "081-234-5678", "national_id": "1101700230708", "disadvantaged_other": "ผู้ดูแลหลาน"}
# Thai words the page uses for the disadvantaged flags and personal fields.
PERSONAL_WORDS = ["ผู้สูงอายุ", "ผู้มีรายได้น้อย", "เลขประจำตัวประชาชน", "โทรศัพท์"]



HOUSEHOLD_FORM = {
    "code": "KH-01-001", "head_name": "สมศรี ทองคำ", "display_name": "สวนป้าศรี", "village_no": "1",
    "address": "12 หมู่ที่ 1 ต.คลองแห", "phone": PERSONAL["phone"], "national_id": PERSONAL["national_id"],
    "is_elderly": "1", "is_low_income": "1", "disadvantaged_other": PERSONAL["disadvantaged_other"],
    "grower_status": "active", "pledge_date": "2024-01-15", "notes": "", "sensitive_consent": "1",
}


@pytest.fixture
def world(seed, app):
    """Every kind of record a staff page works on, with inspections at each step of certification.

    Built once per worker; each test gets it back in a database of its own.
    """
    return dict(seed(build_world).start(app), imports=os.path.join(app.instance_path, "imports"))


def build_world(app):
    """Make the world's records in `app`'s database and instance folder."""
    council = staff("admin", "council")
    ensure_default_standards()
    standard = Standard.get(Standard.code == "PGS-KH")
    body = CertifyingBody.get(CertifyingBody.kind == "pgs")
    group = OccupationGroup.create(name_th="กลุ่มเพาะเห็ด")
    household = households.create_household(dict(HOUSEHOLD_FORM, occupation_group_ids=[group.id]), council)
    member = households.add_member(household, {"full_name": "มะลิ ทองคำ", "birth_year": "2555"}, council)
    plot = households.create_plot(household, {"name": "แปลงริมคลอง", "area_m2": "1600"}, council)
    records.save_plot_record(plot, {"conversion_start": days_ago(800)}, council)
    product = products.create_product({"name_th": "คะน้า", "unit": "kg", "category": "vegetable",
                                       "is_certifiable": True, "default_price": "60"}, council)
    kaew = staff("cashier", "kaew", full_name="แก้ว")
    requirements = list(Requirement.select().where(Requirement.standard == standard))
    passed = {str(r.id): {"result": "pass"} for r in requirements}

    def inspection(step):
        """An inspection taken to `step`: scheduled, recorded, decided or certified."""
        made = inspections.schedule_inspection(
            household, {"standard_id": standard.id, "body_id": body.id, "scheduled_for": days_ago(40)}, council)
        if step == "scheduled":
            return made, None, None
        inspections.record_inspection(made, {"inspected_on": days_ago(40), "inspectors": pgs_peers(), "results": passed}, council)
        if step == "recorded":
            return made, None, None
        decision = certification.decide(made, {"outcome": "approve"}, council)
        if step == "decided":
            return made, decision, None
        certificate = certification.issue_certificate(decision, {
            "issued_on": days_ago(30), "product_ids": [product.id], "plot_ids": [plot.id]}, council)
        return made, decision, certificate

    certified, _decision, certificate = inspection("certified")
    scheduled, _, _ = inspection("scheduled")
    recorded, _, _ = inspection("recorded")
    _decided, decision, _ = inspection("decided")
    batch = batches.create_batch({"household_id": household.id, "product_id": product.id, "plot_id": plot.id,
                                  "harvest_date": days_ago(1), "quantity": "12.5"}, council)
    grower = staff("grower", "mali", household=household, full_name="มาลี ทองคำ")
    awaiting = batches.create_batch({"household_id": household.id, "product_id": product.id, "plot_id": plot.id,
                                     "harvest_date": days_ago(0), "quantity": "3"}, grower)
    closed_day = sales.open_market_day({"counter": "Z", "opening_float": "100"}, council)
    sale, _created = sales.record_sale({"client_id": "6a1c1b0e-3f7c-4a51-9d3e-0d7a7c1c2b10", "market_day_id": closed_day.id,
                                        "lines": [{"batch_code": batch.code, "quantity": "1"}],
                                        "payment": {"method": "cash"}}, council, "http://market.test")
    sales.close_market_day(closed_day, {"counted_cash": "160"}, council)
    settlement = settlements.create_settlements({"period_start": days_ago(0), "period_end": days_ago(0)}, council)[0]
    open_day = sales.open_market_day({"counter": "A", "opening_float": "500"}, council)
    course = programme.create_course({"curriculum": "3", "name_th": "การเพาะเห็ด"}, council)
    draft = standards.new_draft(standard, council)
    registered = inputs.save_input({"name_th": "พาราควอต", "kind": "pest_control", "ruling": "prohibited"}, council,
                                   standards.current_version(standard))
    entry = records.add_input(household, {"plot_id": plot.id, "used_on": days_ago(3), "input_type": "pest_control",
                                          "name": "ยาฆ่าหญ้าตราม้า"}, council)
    with app.app_context():
        photo = evidence.add(jpeg_bytes(), "north.jpg", {"view": "north"}, council, inspection=certified)
    imports = os.path.join(app.instance_path, "imports")
    os.makedirs(imports, exist_ok=True)
    import_token = "0123456789abcdef0123456789abcdef"
    with open(os.path.join(imports, import_token), "w", encoding="utf-8") as saved:
        saved.write("code,head_name,village_no\nKH-07-001,นางสาย ใจงาม,7\n")
    synonym = OccupationSynonym.create(word="เห็ด", written="เห็ด", group=group)
    HouseholdImport.create(token=import_token, user=council, filename="registry.csv",
                           columns='["code", "head_name", "village_no"]')
    return {
        "council": council, "household": household, "member": member, "plot": plot, "product": product,
        "group": group, "user": kaew, "certificate": certificate, "inspection": certified,
        "scheduled": scheduled, "recorded": recorded, "decision": decision, "requirements": requirements,
        "imports": imports, "import_token": import_token, "synonym": synonym, "batch": batch, "sale": sale,
        "closed_day": closed_day, "open_day": open_day, "settlement": settlement,
        "course": course, "other_standard": Standard.get(Standard.code == "TAS-9000"), "draft": draft,
        "criterion": standards.criteria(draft)[0], "body": body, "registered": registered,
        "entry": entry, "photo": photo, "grower": grower, "awaiting": awaiting,
    }


def ids(world):
    """The values that fill the {placeholders} of the matrix's URLs."""
    return {
        "household": world["household"].id, "member": world["member"].id, "plot": world["plot"].id,
        "product": world["product"].id, "user": world["user"].id, "certificate": world["certificate"].number,
        "inspection": world["inspection"].id, "scheduled": world["scheduled"].id,
        "recorded": world["recorded"].id, "decision": world["decision"].id, "batch": world["batch"].code,
        "sale": world["sale"].id, "line": world["sale"].lines[0].id, "closed_day": world["closed_day"].id,
        "open_day": world["open_day"].id, "settlement": world["settlement"].id, "course": world["course"].id,
        "import": world["import_token"], "synonym": world["synonym"].id,
        "other_standard": world["other_standard"].id, "draft": world["draft"].id, "criterion": world["criterion"].id,
        "body": world["body"].id, "registered": world["registered"].id, "entry": world["entry"].id,
        "photo": world["photo"].id, "grower": world["grower"].id, "awaiting": world["awaiting"].code,
        "consent": Consent.get(Consent.household == world["household"]).id,
    }


def jpeg_bytes():
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 50)).save(out, "JPEG")
    return out.getvalue()


def photo_upload(world):
    return {"view": "water", "file": (io.BytesIO(jpeg_bytes()), "water.jpg")}


def csv_upload(world):
    return {"file": (io.BytesIO("code,head_name,village_no\nKH-08-001,นายดำ ขำคม,8\n".encode()), "registry.csv")}


def batch_form(world):
    return {"household_id": world["household"].id, "product_id": world["product"].id,
            "plot_id": world["plot"].id, "harvest_date": days_ago(0), "quantity": "3"}


def inspection_form(world):
    form = {"inspected_on": days_ago(2), "findings": "แปลงสะอาด", **peer_form_fields()}
    for requirement in world["requirements"]:
        form[f"result_{requirement.id}"] = "pass"
    return form


@dataclass(frozen=True)
class Page:
    """One route and method, the roles that may use it, a valid form, and the allowed answers."""

    method: str
    rule: str
    url: str
    roles: frozenset
    data: object = None
    allowed: dict = field(default_factory=dict)  # role -> status when not the method's usual one

    def status_for(self, role):
        return self.allowed.get(role, 200 if self.method == "GET" else 302)

    def form(self, world):
        return self.data(world) if callable(self.data) else dict(self.data or {})

    def __str__(self):
        return f"{self.method} {self.url}"


COMMITTEE_ONLY = {"inspector": 400}  # an inspector off the committee is refused by the rule itself

PAGES = [
    # core/views.py
    Page("GET", "/", "/", SIGNED_IN, allowed={"cashier": 302, "grower": 302}),  # the POS, the grower's pages
    Page("GET", "/account-ready", "/account-ready", GROWER),
    # growers/views.py: the grower's own phone
    Page("GET", "/me", "/me", GROWER), Page("GET", "/me/diary", "/me/diary", GROWER),
    Page("POST", "/me/diary/<kind>", "/me/diary/activity", GROWER,
         lambda world: {"plot_id": world["plot"].id, "done_on": days_ago(1), "activity": "care"}),
    Page("GET", "/me/evidence/<int:evidence_id>/thumb", "/me/evidence/{photo}/thumb", GROWER,
         allowed={"grower": 404}),  # the world's photo is the inspection's, not the grower's
    Page("GET", "/me/harvests", "/me/harvests", GROWER),
    Page("POST", "/me/harvests", "/me/harvests", GROWER,
         lambda world: {"product_id": world["product"].id, "harvest_date": days_ago(0), "quantity": "2"}),
    Page("POST", "/me/harvests/<code>/labels.pdf", "/me/harvests/{batch}/labels.pdf", GROWER,
         allowed={"grower": 400}),  # the household does not print at home
    Page("GET", "/me/sales", "/me/sales", GROWER),
    Page("GET", "/me/settlements/<int:settlement_id>.pdf", "/me/settlements/{settlement}.pdf", GROWER),
    Page("POST", "/farm-records/<kind>/<int:record_id>/review", "/farm-records/inputs/{entry}/review",
         READERS, {"review_status": "queried", "review_comment": "ขอดูใบเสร็จ"}),
    Page("GET", "/households", "/households", READERS),
    Page("GET", "/households/new", "/households/new", ADMIN),
    Page("POST", "/households/new", "/households/new", ADMIN, dict(HOUSEHOLD_FORM, code="KH-02-001")),
    Page("GET", "/households/<int:household_id>", "/households/{household}", READERS),
    Page("GET", "/households/<int:household_id>/edit", "/households/{household}/edit", ADMIN),
    Page("POST", "/households/<int:household_id>/edit", "/households/{household}/edit", ADMIN,
         dict(HOUSEHOLD_FORM, village_no="4")),
    Page("POST", "/households/<int:household_id>/members", "/households/{household}/members", ADMIN,
         {"full_name": "ด.ช. ต้น ทองคำ", "relationship": "หลาน", "birth_year": "2560"}),
    Page("POST", "/members/<int:member_id>/delete", "/members/{member}/delete", ADMIN),
    Page("GET", "/households/<int:household_id>/history", "/households/{household}/history", ADMIN),
    # grower accounts, from the household page
    Page("POST", "/households/<int:household_id>/accounts", "/households/{household}/accounts", ADMIN,
         {"name": "สมปอง ทองคำ"}),
    Page("POST", "/accounts/<int:user_id>/invitation", "/accounts/{grower}/invitation", ADMIN, allowed={"admin": 200}),
    Page("POST", "/accounts/<int:user_id>/disable", "/accounts/{grower}/disable", ADMIN),
    Page("POST", "/households/<int:household_id>/grower-labels", "/households/{household}/grower-labels", ADMIN,
         {"allowed": "1"}),
    # core/privacy_views.py: consent, a person's export and erasure, the view log (PDPA)
    Page("GET", "/households/<int:household_id>/privacy", "/households/{household}/privacy", ADMIN),
    Page("POST", "/households/<int:household_id>/privacy", "/households/{household}/privacy", ADMIN,
         {"given_on": days_ago(1)}),
    Page("POST", "/consents/<int:consent_id>/withdraw", "/consents/{consent}/withdraw", ADMIN),
    Page("GET", "/households/<int:household_id>/personal-data.<fmt>", "/households/{household}/personal-data.pdf", ADMIN),
    Page("POST", "/households/<int:household_id>/erase", "/households/{household}/erase", ADMIN,
         {"member_id": "", "confirm": "KH-01-001"}),
    Page("GET", "/privacy/views", "/privacy/views", ADMIN),
    Page("GET", "/households/<int:household_id>/plots/new", "/households/{household}/plots/new", ADMIN),
    Page("POST", "/households/<int:household_id>/plots/new", "/households/{household}/plots/new", ADMIN,
         {"name": "แปลงหลังบ้าน", "rai": "0", "ngan": "1", "wa": "0"}),
    Page("GET", "/plots/<int:plot_id>/edit", "/plots/{plot}/edit", ADMIN),
    Page("POST", "/plots/<int:plot_id>/edit", "/plots/{plot}/edit", ADMIN, {"name": "แปลงริมคลอง", "area_m2": "800"}),
    Page("GET", "/occupation-groups", "/occupation-groups", ADMIN),
    Page("POST", "/occupation-groups", "/occupation-groups", ADMIN, {"name_th": "กลุ่มจักสานใบตาล"}),
    Page("GET", "/products", "/products", STAFF),
    Page("GET", "/products/new", "/products/new", ADMIN),
    Page("POST", "/products/new", "/products/new", ADMIN,
         {"name_th": "เห็ดนางฟ้า", "unit": "kg", "category": "mushroom", "is_certifiable": "1", "default_price": "80"}),
    Page("GET", "/products/<int:product_id>/edit", "/products/{product}/edit", ADMIN),
    Page("POST", "/products/<int:product_id>/edit", "/products/{product}/edit", ADMIN,
         {"name_th": "คะน้า", "unit": "kg", "category": "vegetable", "is_certifiable": "1", "default_price": "65"}),
    Page("GET", "/users", "/users", ADMIN),
    Page("GET", "/users/new", "/users/new", ADMIN),
    Page("POST", "/users/new", "/users/new", ADMIN, {"username": "somsak", "role": "inspector", "password": PASSWORD}),
    Page("GET", "/users/<int:user_id>/edit", "/users/{user}/edit", ADMIN),
    Page("POST", "/users/<int:user_id>/edit", "/users/{user}/edit", ADMIN,
         {"full_name": "แก้ว ใจดี", "role": "admin", "is_active": "1"}),
    Page("GET", "/audit", "/audit", ADMIN),
    Page("GET", "/households/import", "/households/import", ADMIN),
    Page("POST", "/households/import", "/households/import", ADMIN, csv_upload, {"admin": 303}),
    Page("GET", "/households/import/<token>", "/households/import/{import}", ADMIN),
    Page("POST", "/households/import/<token>", "/households/import/{import}", ADMIN,
         {"header_line": "1", "column": ["code", "head_name", "address"], "action": "preview"}, {"admin": 303}),
    Page("GET", "/households/import/<token>/preview", "/households/import/{import}/preview", ADMIN),
    Page("POST", "/households/import/<token>/commit", "/households/import/{import}/commit", ADMIN),
    Page("POST", "/households/import/<token>/discard", "/households/import/{import}/discard", ADMIN,
         None, {"admin": 303}),
    Page("POST", "/occupation-synonyms/<int:synonym_id>/delete", "/occupation-synonyms/{synonym}/delete", ADMIN),
    Page("GET", "/households/export.<fmt>", "/households/export.csv", ADMIN),
    Page("GET", "/households/export.<fmt>", "/households/export.xlsx", ADMIN),
    # certificates/views.py
    Page("GET", "/households/<int:household_id>/farm", "/households/{household}/farm", READERS),
    Page("POST", "/households/<int:household_id>/farm/<kind>", "/households/{household}/farm/inputs", ADMIN,
         lambda world: {"plot_id": world["plot"].id, "used_on": days_ago(3), "input_type": "compost",
                        "name": "ปุ๋ยหมักใบไม้", "quantity": "20", "unit": "kg"}),
    Page("POST", "/households/<int:household_id>/farm/<kind>", "/households/{household}/farm/activities", ADMIN,
         lambda world: {"plot_id": world["plot"].id, "done_on": days_ago(3), "activity": "planting"}),
    Page("POST", "/plots/<int:plot_id>/record", "/plots/{plot}/record", READERS,
         {"conversion_start": "2023-06-01", "field_history": "เคยปลูกข้าว"}),
    Page("POST", "/inspections/<int:inspection_id>/evidence", "/inspections/{inspection}/evidence", READERS, photo_upload),
    Page("POST", "/farm-records/<kind>/<int:record_id>/evidence", "/farm-records/inputs/{entry}/evidence", READERS,
         lambda world: {"file": (io.BytesIO(jpeg_bytes()), "bag.jpg")}),
    Page("GET", "/evidence/<int:evidence_id>", "/evidence/{photo}", READERS),
    Page("GET", "/evidence/<int:evidence_id>/thumb", "/evidence/{photo}/thumb", READERS),
    Page("GET", "/standards", "/standards", READERS),
    Page("GET", "/network-register.<fmt>", "/network-register.csv", READERS),
    Page("GET", "/network-register.<fmt>", "/network-register.xlsx", READERS),
    Page("GET", "/households/<int:household_id>/certification-file.pdf", "/households/{household}/certification-file.pdf",
         READERS),
    Page("POST", "/standards/<int:standard_id>/draft", "/standards/{other_standard}/draft", READERS, None, COMMITTEE_ONLY),
    Page("GET", "/standards/versions/<int:version_id>", "/standards/versions/{draft}", READERS),
    Page("POST", "/standards/versions/<int:version_id>/criteria", "/standards/versions/{draft}/criteria", READERS,
         {"text_th": "มีป้ายแสดงแปลงอินทรีย์", "categories": "vegetable"}, COMMITTEE_ONLY),
    Page("POST", "/standards/versions/<int:version_id>/criteria/<int:criterion_id>",
         "/standards/versions/{draft}/criteria/{criterion}", READERS, {"text_th": "มีแผนฟาร์มเป็นลายลักษณ์อักษร"},
         COMMITTEE_ONLY),
    Page("POST", "/standards/versions/<int:version_id>/criteria/<int:criterion_id>/remove",
         "/standards/versions/{draft}/criteria/{criterion}/remove", READERS, None, COMMITTEE_ONLY),
    Page("POST", "/standards/versions/<int:version_id>/conversion", "/standards/versions/{draft}/conversion", READERS,
         {"conversion_months": "24", "months_vegetable": "12"}, COMMITTEE_ONLY),
    Page("POST", "/standards/versions/<int:version_id>/publish", "/standards/versions/{draft}/publish", READERS,
         None, COMMITTEE_ONLY),
    Page("POST", "/bodies", "/bodies", READERS, {"name_th": "สำนักงานมาตรฐานเกษตรอินทรีย์ (มกท.)", "kind": "third_party"},
         COMMITTEE_ONLY),
    Page("POST", "/bodies/<int:body_id>", "/bodies/{body}", READERS,
         {"name_th": "คณะกรรมการ PGS คลองแห", "kind": "pgs"}, COMMITTEE_ONLY),
    Page("GET", "/inputs", "/inputs", READERS),
    Page("POST", "/inputs/new", "/inputs/new", READERS,
         {"name_th": "น้ำส้มควันไม้", "kind": "pest_control", "ruling": "allowed"}, COMMITTEE_ONLY),
    Page("POST", "/inputs/<int:input_id>", "/inputs/{registered}", READERS,
         {"name_th": "พาราควอต", "trade_names": "กรัมม็อกโซน", "kind": "pest_control", "ruling": "prohibited"},
         COMMITTEE_ONLY),
    Page("POST", "/inputs/classify", "/inputs/classify", READERS,
         {"name": "ยาฆ่าหญ้าตราม้า", "kind": "pest_control", "ruling": "prohibited"}, COMMITTEE_ONLY),
    Page("GET", "/inputs.csv", "/inputs.csv", READERS),
    Page("POST", "/inputs/import", "/inputs/import", READERS, lambda world: {"file": (
        io.BytesIO("name_th,kind,ruling\nน้ำหมักปลา,bio_extract,allowed\n".encode()), "inputs.csv")}, COMMITTEE_ONLY),
    Page("GET", "/inspections", "/inspections", READERS),
    Page("GET", "/households/<int:household_id>/inspections/new", "/households/{household}/inspections/new", READERS),
    Page("POST", "/households/<int:household_id>/inspections/new", "/households/{household}/inspections/new", READERS,
         lambda world: {"standard_id": Standard.get(Standard.code == "PGS-KH").id,
                        "body_id": CertifyingBody.get(CertifyingBody.kind == "pgs").id,
                        "scheduled_for": days_ago(-7)}),
    Page("GET", "/inspections/new", "/inspections/new", READERS),
    Page("POST", "/inspections/new", "/inspections/new", READERS,
         lambda world: {"household_id": world["household"].id, "standard_id": Standard.get(Standard.code == "PGS-KH").id,
                        "body_id": CertifyingBody.get(CertifyingBody.kind == "pgs").id,
                        "scheduled_for": days_ago(-7)}),
    Page("GET", "/inspections/<int:inspection_id>", "/inspections/{inspection}", READERS),
    Page("GET", "/inspections/<int:inspection_id>/record", "/inspections/{scheduled}/record", READERS),
    Page("POST", "/inspections/<int:inspection_id>/record", "/inspections/{scheduled}/record", READERS, inspection_form),
    Page("POST", "/inspections/<int:inspection_id>/screen", "/inspections/{recorded}/screen", READERS,
         {"outcome": "sent_back", "notes": "ขาดภาพแหล่งน้ำ"}),
    Page("POST", "/inspections/<int:inspection_id>/decide", "/inspections/{recorded}/decide", READERS,
         {"outcome": "approve"}, COMMITTEE_ONLY),
    Page("GET", "/certificates", "/certificates", READERS),
    Page("GET", "/decisions/<int:decision_id>/certificate", "/decisions/{decision}/certificate", READERS),
    Page("POST", "/decisions/<int:decision_id>/certificate", "/decisions/{decision}/certificate", READERS,
         lambda world: {"product_ids": str(world["product"].id), "plot_ids": str(world["plot"].id)}, COMMITTEE_ONLY),
    Page("GET", "/certificates/<number>", "/certificates/{certificate}", READERS),
    Page("POST", "/certificates/<number>/<action>", "/certificates/{certificate}/suspend", READERS,
         {"reason": "พบการใช้สารเคมีในแปลง"}, COMMITTEE_ONLY),
    # traceability/views.py
    Page("GET", "/batches", "/batches", READERS),
    Page("GET", "/batches/new", "/batches/new", ADMIN),
    Page("POST", "/batches/new", "/batches/new", ADMIN, batch_form),
    Page("GET", "/batches/<code>", "/batches/{batch}", READERS),
    Page("POST", "/batches/<code>/recall", "/batches/{batch}/recall", READERS, {"reason": "สงสัยปนเปื้อน"}),
    Page("GET", "/batches/<code>/check", "/batches/{awaiting}/check", ADMIN),
    Page("POST", "/batches/<code>/check", "/batches/{awaiting}/check", ADMIN, {"quantity": "2.5"}),
    Page("GET", "/batches/make", "/batches/make", ADMIN),
    Page("POST", "/batches/make", "/batches/make", ADMIN, lambda world: {
        "household_id": world["household"].id, "product_id": world["product"].id, "made_on": days_ago(0),
        "quantity": "4", "input-0-code": world["batch"].code, "input-0-quantity": "2"}),
    Page("GET", "/recalls", "/recalls", READERS),
    Page("POST", "/recalls", "/recalls", READERS, lambda world: {
        "household_id": world["household"].id, "reason": "พบสารต้องห้ามในแปลง", "confirm": "1"}),
    # market/views.py
    Page("GET", "/pos", "/pos", COUNTER),
    Page("GET", "/pos/sales/<int:sale_id>/receipt", "/pos/sales/{sale}/receipt", COUNTER),
    Page("GET", "/pos/sales", "/pos/sales", COUNTER),
    Page("GET", "/pos/sales/<int:sale_id>", "/pos/sales/{sale}", COUNTER),
    # the world's sale is settled (no void) and of a closed day (no cashier refund)
    Page("POST", "/pos/sales/<int:sale_id>/void", "/pos/sales/{sale}/void", COUNTER, {"reason": "ผิด", "confirmed": "1"},
         allowed={"admin": 400, "cashier": 400}),
    Page("POST", "/pos/sale-lines/<int:line_id>/refund", "/pos/sale-lines/{line}/refund", COUNTER,
         lambda world: {"quantity": "0.5", "reason": "ช้ำ", "market_day_id": world["open_day"].id, "confirmed": "1"},
         allowed={"cashier": 400}),
    Page("GET", "/pos/refunds/<int:refund_id>/receipt", "/pos/refunds/999999/receipt", COUNTER,
         allowed={"admin": 404, "cashier": 404}),
    Page("GET", "/market/days", "/market/days", ADMIN),
    Page("POST", "/market/days", "/market/days", ADMIN, {"counter": "B", "opening_float": "300"}),
    Page("GET", "/market/days/<int:day_id>", "/market/days/{closed_day}", ADMIN),
    Page("POST", "/market/days/<int:day_id>", "/market/days/{open_day}", ADMIN, {"counted_cash": "500", "confirmed": "1"}),
    Page("GET", "/market/days/<int:day_id>.<fmt>", "/market/days/{closed_day}.pdf", ADMIN),
    Page("GET", "/market/settlements", "/market/settlements", ADMIN),
    Page("POST", "/market/settlements", "/market/settlements", ADMIN,
         {"period_start": days_ago(0), "period_end": days_ago(0)}, {"admin": 400}),
    Page("GET", "/market/settlements/<int:settlement_id>", "/market/settlements/{settlement}", ADMIN),
    Page("POST", "/market/settlements/<int:settlement_id>", "/market/settlements/{settlement}", ADMIN,
         {"paid_on": days_ago(0), "paid_method": "cash"}),
    Page("GET", "/market/settlements.<fmt>", "/market/settlements.csv", ADMIN),
    Page("GET", "/market/settlements/<int:settlement_id>.<fmt>", "/market/settlements/{settlement}.pdf", ADMIN),
    # reports/views.py
    Page("GET", "/market/recalls/<code>", "/market/recalls/{batch}", READERS),
    Page("GET", "/market/recalls", "/market/recalls?household_id={household}", READERS),
    Page("GET", "/market/recalls.<fmt>", "/market/recalls.xlsx?household_id={household}", READERS),
    Page("GET", "/market/recalls/<code>.<fmt>", "/market/recalls/{batch}.csv", READERS),
    Page("GET", "/market/recalls/<code>.<fmt>", "/market/recalls/{batch}.pdf", READERS),
    Page("GET", "/market/dashboard", "/market/dashboard", ADMIN),
    Page("GET", "/market/dashboard.<fmt>", "/market/dashboard.csv", ADMIN),
    Page("GET", "/market/impact", "/market/impact", ADMIN),
    Page("GET", "/market/impact.<fmt>", "/market/impact.pdf", ADMIN),
    Page("GET", "/market/impact/households/<int:household_id>", "/market/impact/households/{household}", ADMIN),
    Page("GET", "/courses", "/courses", ADMIN),
    Page("POST", "/courses", "/courses", ADMIN, {"curriculum": "1", "name_th": "ปลูกผัก รุ่น 3"}),
    Page("GET", "/courses/<int:course_id>", "/courses/{course}", ADMIN),
    Page("POST", "/courses/<int:course_id>", "/courses/{course}", ADMIN, lambda world: {
        "action": "signup", "household_id": world["household"].id}),
    Page("GET", "/households/<int:household_id>/surveys", "/households/{household}/surveys", ADMIN),
    Page("POST", "/households/<int:household_id>/surveys", "/households/{household}/surveys", ADMIN,
         {"surveyed_on": days_ago(3), "farming_income": "3000"}),
    Page("GET", "/market/mass-balance", "/market/mass-balance", READERS),
    Page("GET", "/market/mass-balance.<fmt>", "/market/mass-balance.csv", READERS),
    Page("GET", "/yield-norms", "/yield-norms", READERS),
    Page("POST", "/yield-norms", "/yield-norms", READERS, lambda world: {
        "product_id": world["product"].id, "quantity_per_rai": "300", "season_days": "90"}),
    Page("GET", "/market/settings", "/market/settings", ADMIN),
    Page("POST", "/market/settings", "/market/settings", ADMIN,
         {"market_name": "ตลาดเขียว", "promptpay_id": "0812345678", "commission_percent": "2", "stock_tolerance_percent": "5"}),
]

# Pages anyone may open, and the API (its own matrix is in test_api.py).
PUBLIC_RULES = {"/login", "/logout", "/healthz", "/sw.js", "/manifest.webmanifest", "/language/<code>", "/c/<path:number>",
                "/b/<path:code>", "/r/<token>",
                "/static/<path:filename>", "/invite/<token>"}


def files_in(folder):
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def check(client, world, page, role):
    """Call `page` as `role` and check the answer; after a refusal, check nothing was written."""
    if role != "anonymous":
        extra = {"household": world["household"]} if role == "grower" else {}
        sign_in(client, staff(role, f"{role}-under-test", **extra))
    before, files_before = database_rows(), files_in(world["imports"])
    url = page.url.format(**ids(world))
    if page.method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data=page.form(world), content_type="multipart/form-data")
    if role == "anonymous":
        assert response.status_code == 302, response.status_code
        assert response.headers["Location"].startswith("/login?next="), response.headers["Location"]
    elif role not in page.roles:
        assert response.status_code == 403, response.status_code
        assert "บทบาทของคุณเข้าหน้านี้ไม่ได้" in response.get_data(as_text=True)
    else:
        expected = page.status_for(role)
        assert response.status_code == expected, response.get_data(as_text=True)[:2000]
        if expected < 400:
            if page.method == "POST":  # the form is valid, so a missing role check would show
                assert (database_rows(), files_in(world["imports"])) != (before, files_before)
            return
    assert database_rows() == before
    assert files_in(world["imports"]) == files_before


# Each group of allowed roles has its own test below; a page of any other group would go untested.
MATRIX_GROUPS = (SIGNED_IN, STAFF, READERS, COUNTER, ADMIN, GROWER)


def matrix(allowed):
    """(page, role) cases for the staff roles of the pages whose allowed roles are `allowed`."""
    return [
        pytest.param(page, role, id=f"{page}-{role}")
        for page in PAGES if page.roles == allowed
        for role in ROLES if role != "anonymous"
    ]


@pytest.mark.parametrize("page", PAGES, ids=str)
def test_login_required(client, world, page):
    """Without signing in, every staff page sends to the sign-in page and writes nothing."""
    check(client, world, page, "anonymous")


@pytest.mark.parametrize("page, role", matrix(STAFF))
def test_any_staff_role_allowed(client, world, page, role):
    """The start page and the product catalogue are open to every staff role."""
    check(client, world, page, role)


@pytest.mark.parametrize("page, role", matrix(SIGNED_IN))
def test_any_signed_in_role_allowed(client, world, page, role):
    """The start page takes every role, and sends each on to its own pages."""
    check(client, world, page, role)


@pytest.mark.parametrize("page, role", matrix(GROWER))
def test_grower_required(client, world, page, role):
    """The grower's own pages are refused to every staff role."""
    check(client, world, page, role)


@pytest.mark.parametrize("page, role", matrix(READERS))
def test_admin_or_inspector_required(client, world, page, role):
    """Households, farm records, inspections and certificates are for admin and inspectors only."""
    check(client, world, page, role)


@pytest.mark.parametrize("page, role", matrix(COUNTER))
def test_admin_or_cashier_required(client, world, page, role):
    """The POS and its receipts are for the counter: admin and cashiers, not inspectors."""
    check(client, world, page, role)


@pytest.mark.parametrize("page, role", matrix(ADMIN))
def test_admin_required(client, world, page, role):
    """Changing central data, accounts, import/export and the audit log is for admin only."""
    check(client, world, page, role)


def test_every_page_route_is_classified(app):
    """Each staff route and method of the app is in the matrix, so a new page must be classified."""
    served = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if not rule.rule.startswith("/api/") and rule.rule not in PUBLIC_RULES
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    classified = {(page.rule, page.method) for page in PAGES}
    assert served - classified == set(), "routes missing from PAGES in tests/test_access.py"
    assert classified - served == set(), "PAGES lists routes the app does not have"
    untested = {str(page): sorted(page.roles) for page in PAGES if page.roles not in MATRIX_GROUPS}
    assert not untested, f"pages whose roles no matrix test walks (add a group and its test): {untested}"


def test_public_pages_need_no_sign_in(client, world):
    """The sign-in page, the language switch and certificate verification are open to anyone."""
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").get_data(as_text=True) == "ok\n"
    assert client.get("/language/en?next=/login").status_code == 302
    assert client.get(f"/c/{world['certificate'].number}").status_code == 200
    assert client.get(f"/b/{world['batch'].code}").status_code == 200
    assert client.get("/static/css/app.css").status_code == 200


def test_public_pages_never_show_personal_data(client, world):
    """The trace and verification pages, in both languages, show none of the household's personal data."""
    household = world["household"]
    for language in ("th", "en"):
        client.set_cookie("lang", language)
        for url in (f"/b/{world['batch'].code}", f"/c/{world['certificate'].number}"):
            page = client.get(url).get_data(as_text=True)
            assert household.display_name in page, url
            for value in (*PERSONAL.values(), household.head_name, household.address):
                assert value not in page, (url, value)
            for word in PERSONAL_WORDS:
                assert word not in page, (url, word)


# What each role sees -----------------------------------------------------------------------


def test_inspector_never_sees_personal_data(client, world):
    """An inspector sees the household page, but never its phone, national ID or disadvantaged flags."""
    sign_in(client, staff("inspector", "ploy"))
    household = world["household"]
    for url in (f"/households/{household.id}", "/households", f"/households?q={household.code}",
                f"/households/{household.id}/farm", f"/inspections/{world['inspection'].id}",
                f"/certificates/{world['certificate'].number}"):
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        assert household.code in page, url
        for value in PERSONAL.values():
            assert value not in page, (url, value)
        for word in PERSONAL_WORDS:
            assert word not in page, (url, word)
    assert "สมศรี ทองคำ" in client.get(f"/households/{household.id}").get_data(as_text=True)


def test_admin_sees_personal_data(client, world):
    """The council secretariat sees what the inspector may not (so the test above means something)."""
    sign_in(client, world["council"])
    page = client.get(f"/households/{world['household'].id}").get_data(as_text=True)
    for value in PERSONAL.values():
        assert value in page
    assert "ผู้สูงอายุ" in page and "ผู้มีรายได้น้อย" in page


def test_cashier_cannot_see_households(client, world):
    """A cashier gets 403 for every household page and API answer, and no household data leaks."""
    cashier = staff("cashier", "counter")
    sign_in(client, cashier)
    household = world["household"]
    for url in ("/households", f"/households/{household.id}", f"/households/{household.id}/farm",
                "/households/export.csv", "/api/v1/households", f"/api/v1/households/{household.id}",
                f"/api/v1/households/{household.id}/plots", f"/api/v1/plots/{world['plot'].id}"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "สมศรี" not in response.get_data(as_text=True)
    token = {"Authorization": f"Bearer {accounts.create_token(cashier)}"}
    assert client.get(f"/api/v1/households/{household.id}", headers=token).status_code == 403
    home = client.get("/").get_data(as_text=True)
    assert 'href="/households"' not in home


def test_disabled_account_is_signed_out_and_its_token_stops(client, world):
    """Once an account is disabled, its open session ends on the next request and its token is refused."""
    inspector = staff("inspector", "ploy")
    token = {"Authorization": f"Bearer {accounts.create_token(inspector)}"}
    sign_in(client, inspector)
    assert client.get("/households").status_code == 200
    assert client.get("/api/v1/households", headers=token).status_code == 200
    accounts.update_user(inspector, {"is_active": False}, world["council"])
    response = client.get("/households")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    with client.session_transaction() as session:
        assert "user_id" not in session
    assert client.get("/api/v1/households", headers=token).status_code == 401
    assert client.get("/api/v1/households").status_code == 401


def test_disabled_account_cannot_sign_in(client, world):
    """A disabled account's right password is refused like a wrong one."""
    staff("cashier", "gone", is_active=False)
    response = client.post("/login", data={"username": "gone", "password": PASSWORD})
    assert response.status_code == 401
    assert client.get("/").status_code == 302


def test_admin_cannot_remove_own_admin_role(client, world):
    """An admin cannot demote or disable their own account, so the council never locks itself out."""
    council = world["council"]
    sign_in(client, council)
    for form in ({"full_name": "", "role": "cashier", "is_active": "1"}, {"full_name": "", "role": "admin"}):
        before = database_rows()
        response = client.post(f"/users/{council.id}/edit", data=form)
        assert response.status_code == 400
        assert "คุณไม่สามารถถอดสิทธิ์ผู้ดูแลระบบของตัวเองได้" in response.get_data(as_text=True)
        assert database_rows() == before
    stored = User.get_by_id(council.id)
    assert stored.role == "admin" and stored.is_active
    assert client.get("/users").status_code == 200


def test_another_admin_may_change_an_admin(client, world):
    """The rule is about oneself: a second admin may demote the first."""
    sign_in(client, staff("admin", "deputy"))
    response = client.post(f"/users/{world['council'].id}/edit", data={"full_name": "", "role": "inspector",
                                                                        "is_active": "1"})
    assert response.status_code == 302
    assert User.get_by_id(world["council"].id).role == "inspector"


def test_product_edit_form_shows_the_price_in_baht(client, world):
    """The edit form shows integer satang back as baht with two decimals (6000 satang → 60.00)."""
    sign_in(client, world["council"])
    page = client.get(f"/products/{world['product'].id}/edit").get_data(as_text=True)
    assert 'value="60.00"' in page


# Signing in ---------------------------------------------------------------------------------


def test_sign_in_brake_after_five_wrong_passwords(client, make_user):
    """After five wrong passwords for one name from one device, even the right one waits (429, Thai message)."""
    make_user("admin", "somchai")
    for _ in range(accounts.FREE_FAILURES_PER_PAIR):
        assert client.post("/login", data={"username": "somchai", "password": "guess-again"}).status_code == 401
    response = client.post("/login", data={"username": "somchai", "password": PASSWORD})
    assert response.status_code == 429 and 50 <= int(response.headers["Retry-After"]) <= 60
    assert "เข้าสู่ระบบผิดหลายครั้งเกินไป" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302, "the braked sign-in must not start a session"
    assert LoginAttempt.select().where(LoginAttempt.username == "somchai").count() == 5


def test_sign_in_brake_is_per_username(client, make_user):
    """Five failures for one name do not lock out a colleague signing in on the same device."""
    make_user("admin", "somchai")
    make_user("cashier", "kaew")
    for _ in range(accounts.FREE_FAILURES_PER_PAIR):
        client.post("/login", data={"username": "somchai", "password": "guess-again"})
    assert client.post("/login", data={"username": "kaew", "password": PASSWORD}).status_code == 302


def test_address_brake_cannot_be_dodged_with_a_forwarded_header(client, app):
    """Many failures from one device are braked even if each request claims another X-Forwarded-For."""
    for number in range(accounts.FREE_FAILURES_PER_ADDRESS):
        client.post("/login", data={"username": f"guess{number}", "password": "x"},
                    headers={"X-Forwarded-For": f"10.0.0.{number}"})
    response = client.post("/login", data={"username": "another", "password": "x"},
                           headers={"X-Forwarded-For": "10.0.1.1"})
    assert response.status_code == 429


@pytest.mark.parametrize("target", ["//evil.example", "//evil.example/login", "http://evil.example",
                                    "https://evil.example/x", "/\\evil.example", "\\\\evil.example",
                                    "https:evil.example", "javascript:alert(1)"])
def test_next_never_leaves_the_site(client, make_user, target):
    """After signing in, `next` may only lead to a page of this site, never to another host."""
    make_user("admin", "somchai")
    response = client.post("/login", query_string={"next": target}, data={"username": "somchai", "password": PASSWORD})
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert (parts.scheme, parts.netloc) == ("", ""), location
    assert location.startswith("/") and not location.startswith("//") and "\\" not in location, location


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\n/evil.example", "/\r/evil.example"])
def test_next_with_control_characters_never_leaves_the_site(client, make_user, target):
    """A tab or newline hidden in `next` cannot turn it into a link to another host."""
    make_user("admin", "somchai")
    response = client.post("/login", query_string={"next": target}, data={"username": "somchai", "password": PASSWORD})
    assert not response.headers["Location"].startswith("//"), response.headers["Location"]


def test_next_leads_back_to_the_page_asked_for(client, make_user):
    """Opening a staff page signed out, then signing in, lands on that page."""
    make_user("inspector", "ploy")
    response = client.get("/households?q=KH")
    login_url = response.headers["Location"]
    response = client.post(login_url, data={"username": "ploy", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/households?q=KH"


# Numbers from the address bar ---------------------------------------------------------------


def test_huge_filter_numbers_are_ignored_on_pages(client, world):
    """A village or group number too big for the database is ignored by the list page, not a 500."""
    sign_in(client, world["council"])
    for query in ("village=99999999999999999999999", "group=99999999999999999999999", "village=-1"):
        response = client.get(f"/households?{query}")
        assert response.status_code == 200, query
        assert world["household"].code in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/households/99999999999999999999999", "/plots/99999999999999999999999/edit",
                                 "/api/v1/households/99999999999999999999999"])
def test_huge_id_is_a_404(client, world, url):
    """An id too big for any record is a 404, never a 500 (PostgreSQL already gets this right)."""
    sign_in(client, world["council"])
    assert client.get(url).status_code == 404


def test_huge_occupation_group_id_is_a_400(client, world):
    """An occupation group id too big for the database is an input error, not a 500."""
    sign_in(client, world["council"])
    before = database_rows()
    response = client.post("/households/new", data=dict(HOUSEHOLD_FORM, code="KH-09-001",
                                                        occupation_group_ids="99999999999999999999999"))
    assert response.status_code == 400
    assert database_rows() == before


def test_members_of_a_household_are_kept_when_a_role_is_refused(client, world):
    """A cashier's refused member removal leaves the member in place (the matrix, made concrete)."""
    sign_in(client, staff("cashier", "counter"))
    assert client.post(f"/members/{world['member'].id}/delete").status_code == 403
    assert Member.select().where(Member.id == world["member"].id).exists()
    assert Household.select().where(Household.id == world["household"].id).exists()


def test_no_public_answer_of_the_demo_data_set_holds_personal_data(client, app):
    """Every trace page, certificate check and receipt page of the demo, in Thai and English, is searched
    for every household's phone, national ID and disadvantaged details."""
    import importlib

    from certificates.models import Certificate
    from market.models import Sale
    from traceability.models import Batch

    for name in ("core", "certificates", "traceability", "market"):
        importlib.import_module(f"{name}.demo").load_demo_data()
    secrets = set()
    for household in Household.select():
        secrets |= {value for value in (household.phone, household.national_id, household.disadvantaged_other) if value}
    assert len(secrets) > 40, "the demo has personal data to leak"
    urls = ([f"/b/{b.code}" for b in Batch.select()] + [f"/c/{c.number}" for c in Certificate.select()]
            + [f"/r/{s.receipt_token}" for s in Sale.select()])
    assert len(urls) > 100
    for language in ("th", "en"):
        client.set_cookie("lang", language)
        for url in urls:
            page = client.get(url).get_data(as_text=True)
            leaked = [value for value in secrets if value in page]
            assert not leaked, (url, leaked)
            for word in ("ผู้สูงอายุ", "ผู้มีรายได้น้อย", "ผู้พิการ", "Elderly", "Low income", "disabilit"):
                assert word not in page, (url, word)
