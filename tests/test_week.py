"""The secretariat's, the inspector's and the grower's week between the parts: the household page follows
the certification, inspections are scheduled from their own page, the committee's work is named, and
a grower's harvest goes from the phone through the check, the labels and the counter to the payout."""
import datetime
import re
import uuid

from certificates import certification, inspections, records
from certificates.models import CertifyingBody, InputEntry, NonCompliance, Requirement, Standard
from certificates.standards import ensure_default_standards
from core import households
from core.models import AuditEntry, Household, User
from core.validation import local_today
from market import sales
from market.models import MarketDay, Settlement
from traceability import batches
from traceability.models import Batch

from tests.support import bearer, pdf_text, pgs_peers, qr_texts, sign_in

TODAY = local_today()  # Thailand's day, as the app counts it (from 17:00 UTC the server's date is a day behind)


def _through_inspection(household, user, peers):
    """Schedule and record a passing PGS inspection of `household`; return it."""
    ensure_default_standards()
    standard = Standard.get(Standard.code == "PGS-KH")
    body = CertifyingBody.get(CertifyingBody.kind == "pgs")
    inspection = inspections.schedule_inspection(household, {"standard_id": standard.id, "body_id": body.id,
                                                             "scheduled_for": TODAY.isoformat()}, user)
    results = {str(r.id): {"result": "pass"} for r in Requirement.select().where(Requirement.standard == standard)}
    return inspections.record_inspection(inspection, {"inspected_on": TODAY.isoformat(), "results": results,
                                                      "inspectors": peers}, user)


def test_grower_status_follows_the_certificate(app, admin_user, household_data):
    """An applicant becomes an active grower when certified, and an applicant again when its only
    certificate is revoked; each change is in the household's audit trail."""
    applicant = households.create_household(dict(household_data, grower_status="applicant"), admin_user)
    plot = households.create_plot(applicant, {"name": "แปลงหน้าบ้าน", "area_m2": "800"}, admin_user)
    # Only a plot past its conversion can be certified: this one has converted for 400 days.
    records.save_plot_record(plot, {"conversion_start": (TODAY - datetime.timedelta(days=400)).isoformat()}, admin_user)
    from core import products

    kale = products.create_product({"name_th": "คะน้า", "unit": "kg", "category": "vegetable", "is_certifiable": "1"}, admin_user)
    inspection = _through_inspection(applicant, admin_user, pgs_peers())
    decision = certification.decide(inspection, {"outcome": "approve"}, admin_user)
    certificate = certification.issue_certificate(decision, {"product_ids": [kale.id], "plot_ids": [plot.id]}, admin_user)
    assert Household.get_by_id(applicant.id).grower_status == "active"
    certification.suspend(certificate, {"reason": "ตรวจพบปุ๋ยเคมี"}, admin_user)
    assert Household.get_by_id(applicant.id).grower_status == "active"
    certification.revoke(certificate, {"reason": "ใช้สารเคมีซ้ำ"}, admin_user)
    assert Household.get_by_id(applicant.id).grower_status == "applicant"
    changes = [entry.changes for entry in AuditEntry.select().where(AuditEntry.entity == "household",
                                                                     AuditEntry.action == "update").order_by(AuditEntry.id)]
    assert changes == ['{"grower_status": ["applicant", "active"]}', '{"grower_status": ["active", "applicant"]}']


def test_household_page_shows_the_certification_now_and_what_is_due(client, auth, certified_household):
    """Certificate, scope, valid until and status; a corrective action due; a suspension shows at once."""
    setup = certified_household
    NonCompliance.create(inspection=setup["inspection"], description="แนวกันชนไม่พอ", severity="minor",
                         corrective_action="ปลูกแนวกันชนด้านทิศใต้", due_on=TODAY + datetime.timedelta(days=20))
    auth.login("admin")
    page = client.get(f"/households/{setup['household'].id}").get_data(as_text=True)
    number = setup["certificate"].number
    assert 'data-testid="household-certification"' in page and number in page
    assert "คะน้า" in page and "ใช้ได้" in page
    valid_until = setup["certificate"].valid_until
    assert f"{valid_until.day} " in page and str(valid_until.year + 543) in page
    assert "ปลูกแนวกันชนด้านทิศใต้" in page
    assert "ยังไม่ได้นัดตรวจ" in page
    certification.suspend(setup["certificate"], {"reason": "ตรวจพบปุ๋ยเคมี"}, setup["committee"])
    page = client.get(f"/households/{setup['household'].id}").get_data(as_text=True)
    assert "badge-cert-suspended" in page and "ตรวจพบปุ๋ยเคมี" in page


def test_household_page_warns_of_a_certificate_ending_within_60_days(client, auth, certified_household):
    """A certificate that ends in 30 days is named among what is due."""
    setup = certified_household
    setup["certificate"].valid_until = TODAY + datetime.timedelta(days=30)
    setup["certificate"].save()
    auth.login("inspector")
    page = client.get(f"/households/{setup['household'].id}").get_data(as_text=True)
    assert f"{setup['certificate'].number}" in page and "ตรวจอีกครั้งก่อนวันนั้น" in page


def test_inspections_page_schedules_an_inspection_choosing_the_household(client, auth, certified_household):
    """/inspections links to a form that asks for the household; no household is a 400 saying so."""
    setup = certified_household
    auth.login("inspector")
    listing = client.get("/inspections").get_data(as_text=True)
    assert 'data-testid="schedule-inspection"' in listing and "PGS-KH" not in listing
    form = client.get("/inspections/new").get_data(as_text=True)
    assert setup["household"].code in form
    standard = Standard.get(Standard.code == "PGS-KH")
    body = CertifyingBody.get(CertifyingBody.kind == "pgs")
    data = {"standard_id": standard.id, "body_id": body.id, "scheduled_for": (TODAY + datetime.timedelta(days=7)).isoformat()}
    refused = client.post("/inspections/new", data=data)
    assert refused.status_code == 400 and "เลือกครัวเรือนที่จะตรวจ" in refused.get_data(as_text=True)
    answer = client.post("/inspections/new", data=dict(data, household_id=setup["household"].id))
    assert answer.status_code == 302
    page = client.get(f"/households/{setup['household'].id}").get_data(as_text=True)
    assert "ตรวจครั้งต่อไป" in page


def test_inspection_page_links_its_report_and_tells_a_non_committee_inspector_who_decides(client, auth, household_data,
                                                                                          admin_user):
    """A recorded inspection links its report PDF; an inspector without the committee flag is told
    the decision waits for the committee, and gets no decision form."""
    household = households.create_household(household_data, admin_user)
    inspection = _through_inspection(household, admin_user, pgs_peers())
    auth.login("inspector", "field")
    page = client.get(f"/inspections/{inspection.id}").get_data(as_text=True)
    assert f'href="/api/v1/inspections/{inspection.id}/report.pdf"' in page
    assert 'data-testid="decision-waits"' in page and 'data-testid="decide"' not in page
    report = client.get(f"/api/v1/inspections/{inspection.id}/report.pdf")
    assert report.status_code == 200 and report.mimetype == "application/pdf"


def test_audit_log_and_household_history_read_as_words(client, auth, certified_household):
    """Field labels and values in words: group names not ids, a B.E. date, a quantity with no raw
    field name, a grower status by its name."""
    from core.models import OccupationGroup
    from traceability import batches

    setup = certified_household
    weavers = households.save_occupation_group({"name_th": "กลุ่มจักสานใบเตย"}, setup["committee"])
    households.update_household(setup["household"], {"occupation_group_ids": [weavers.id], "grower_status": "applicant",
                                                     "pledge_date": "2025-06-01"}, setup["committee"], partial=True)
    batches.create_batch({"household_id": setup["household"].id, "product_id": setup["product"].id,
                          "harvest_date": TODAY.isoformat(), "quantity": "11"}, setup["committee"])
    auth.login("admin")
    history = client.get(f"/households/{setup['household'].id}/history").get_data(as_text=True)
    assert "กลุ่มอาชีพ" in history and "กลุ่มจักสานใบเตย" in history and "occupation_group_ids" not in history
    assert "ผู้สมัคร" in history and "grower_status" not in history
    assert "1 มิ.ย. 2568" in history and "2025-06-01" not in history
    assert f"ครัวเรือน {setup['household'].code}" in history
    log = client.get("/audit").get_data(as_text=True)
    assert "quantity_milli" not in log and "<code>" not in log
    assert "ปริมาณ</strong>: 11" in log and "หน่วย</strong>: กก." in log
    assert OccupationGroup.select().count() == 1


def test_public_pages_follow_the_phones_language_until_the_visitor_chooses(client, certified_household):
    """A first visit from an English phone reads English; a Thai or unknown one reads Thai; the
    choice (the language link) wins from then on. Staff pages stay Thai."""
    from traceability import batches

    setup = certified_household
    batch = batches.create_batch({"household_id": setup["household"].id, "product_id": setup["product"].id,
                                  "harvest_date": TODAY.isoformat(), "quantity": "3"}, setup["committee"])
    english = client.get(f"/b/{batch.code}", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Chinese kale" in english.get_data(as_text=True) and "Accept-Language" in english.headers.get_all("Vary")
    assert "คะน้า" in client.get(f"/b/{batch.code}", headers={"Accept-Language": "fr-FR,th;q=0.5"}).get_data(as_text=True)
    client.get(f"/language/th?next=/b/{batch.code}")
    chosen = client.get(f"/b/{batch.code}", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="th">' in chosen


def test_the_growers_week_from_the_invitation_card_to_the_payout_on_the_phone(app, certified_household, make_user):
    """The grower's part of the week, each role on its own device: the secretariat prints the card, the
    member sets up the phone and records a harvest, the secretariat checks and labels it, it sells at
    the counter, the phone shows the sale and the settlement; a diary entry is reviewed by the inspector."""
    setup = certified_household
    household, secretariat = setup["household"], setup["committee"]
    office, phone, counter, field = (app.test_client() for _ in range(4))
    sign_in(office, secretariat)

    assert office.post(f"/households/{household.id}/accounts", data={"name": "มาลี ทองคำ"}).status_code == 302
    grower = User.get((User.role == "grower") & (User.household == household))
    card = office.post(f"/accounts/{grower.id}/invitation")
    assert card.mimetype == "application/pdf" and "มาลี" in pdf_text(card.data).replace(" ", "")
    [link] = qr_texts(card.data)
    set_up = phone.post(re.sub(r"^https?://[^/]+", "", link), data={"kind": "pin", "secret": "480315",
                                                                   "secret_again": "480315"})
    assert set_up.status_code == 302
    assert phone.get("/").headers["Location"].endswith("/me")
    be_today = f"{TODAY.day}/{TODAY.month}/{TODAY.year + 543}"
    harvest = {"product_id": setup["product"].id, "plot_id": setup["plot"].id, "harvest_date": be_today,
               "quantity": "5", "price": "60", "client_id": str(uuid.uuid4())}
    assert phone.post("/me/harvests", data=harvest).status_code == 302
    batch = Batch.get(Batch.client_id == harvest["client_id"])
    assert batch.awaiting_check and "รอเลขาฯ ตรวจ" in phone.get("/me/harvests").get_data(as_text=True)

    assert 'data-testid="task-harvests-to-check"' in office.get("/").get_data(as_text=True)
    assert office.post(f"/batches/{batch.code}/check", data=batches.check_values(batch)).status_code == 302
    labels = office.get(f"/api/v1/batches/{batch.code}/labels.pdf?template=a4-3x8&copies=2")
    assert labels.status_code == 200 and all(text.endswith(f"/b/{batch.code}") for text in qr_texts(labels.data))
    assert office.post("/market/days", data={"counter": "A", "opening_float": "500"}).status_code == 302
    day = MarketDay.get(MarketDay.counter == "A")

    cashier = make_user("cashier", "kaew")
    sale = counter.post("/api/v1/sales", headers=bearer(cashier), json={
        "client_id": str(uuid.uuid4()), "market_day_id": day.id, "payment": {"method": "cash"},
        "lines": [{"batch_code": batch.code, "quantity": "2", "unit_price_satang": 6000}]})
    assert sale.status_code == 201, sale.get_json()
    assert "฿120.00" in phone.get("/me").get_data(as_text=True), "the sale shows on Today"

    sales.close_market_day(MarketDay.get_by_id(day.id), {"counted_cash": "620"}, secretariat)
    period = {"period_start": TODAY.isoformat(), "period_end": TODAY.isoformat()}
    assert office.post("/market/settlements", data=period).status_code == 302
    settlement = Settlement.get(Settlement.household == household)
    owed = phone.get("/me/sales").get_data(as_text=True)
    assert "฿120.00" in owed and "ยังไม่จ่าย" in owed
    statement = phone.get(f"/me/settlements/{settlement.id}.pdf")
    assert statement.mimetype == "application/pdf" and "฿120.00" in pdf_text(statement.data)
    paid = {"paid_on": TODAY.isoformat(), "paid_method": "cash"}
    assert office.post(f"/market/settlements/{settlement.id}", data=paid).status_code == 302
    assert "ยังไม่จ่าย" not in phone.get("/me/sales").get_data(as_text=True)

    diary = {"plot_id": str(setup["plot"].id), "used_on": be_today, "input_type": "compost", "name": "ปุ๋ยหมัก",
             "client_id": str(uuid.uuid4())}
    assert phone.post("/me/diary/input", data=diary).status_code == 302
    entry = InputEntry.get(InputEntry.client_id == diary["client_id"])
    sign_in(field, make_user("inspector", "insp"))
    farm = field.get(f"/households/{household.id}/farm").get_data(as_text=True)
    assert f"grower-entry-inputs-{entry.id}" in farm
    assert field.post(f"/farm-records/inputs/{entry.id}/review", data={"review_status": "confirmed"}).status_code == 302
    assert "ผู้ตรวจยืนยันแล้ว" in phone.get("/me/diary").get_data(as_text=True)
