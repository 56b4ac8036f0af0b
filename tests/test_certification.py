"""Certification rules: the PGS rule of three, prohibited inputs, the certificate state machine,
expiry by date, the one status function, and who may change what."""
import datetime
import re

import pytest

from certificates import certification, inputs, inspections, records, standards
from certificates.models import Certificate, CertificateEvent, CertifyingBody, Requirement, Standard
from certificates.standards import ensure_default_standards
from core import households, products
from core.validation import ValidationError

from tests.support import pgs_peers

TODAY = datetime.date.today()


def _scheduled(household, user, kind="pgs"):
    standard = Standard.get(Standard.code == "PGS-KH")
    if kind == "third_party":
        standards.save_body({"name_th": "สำนักงานมาตรฐานเกษตรอินทรีย์ (มกท.)", "kind": "third_party"}, user)
    body = CertifyingBody.get(CertifyingBody.kind == kind)
    return inspections.schedule_inspection(
        household, {"standard_id": standard.id, "body_id": body.id, "scheduled_for": TODAY.isoformat()}, user)


def _all_pass(inspection):
    return {str(r.id): {"result": "pass"} for r in Requirement.select().where(Requirement.standard == inspection.standard)}


@pytest.fixture
def applicant(app, admin_user, household_data):
    ensure_default_standards()
    household = households.create_household(dict(household_data, grower_status="applicant"), admin_user)
    households.add_member(household, {"full_name": "มะลิ ทองคำ", "relationship": "บุตร"}, admin_user)
    return household


@pytest.mark.parametrize(
    "names, message",
    [
        (["สมชาย ใจดี", "อารีย์ ศรีสุข"], "at least three"),
        (["สมชาย ใจดี", "อารีย์ ศรีสุข", "สมศรี ทองคำ"], "belongs to the inspected household"),
        (["สมชาย ใจดี", "อารีย์ ศรีสุข", "มะลิ ทองคำ"], "belongs to the inspected household"),
        (["สมชาย ใจดี", "สมชาย ใจดี", "อารีย์ ศรีสุข"], "listed twice"),
    ],
)
def test_pgs_needs_three_independent_inspectors(app, applicant, admin_user, names, message):
    """Fewer than three peers, the head of household, a member, or a repeated name are refused."""
    inspection = _scheduled(applicant, admin_user)
    with pytest.raises(ValidationError) as caught:
        inspections.record_inspection(inspection, {
            "inspected_on": TODAY.isoformat(), "inspectors": [{"name": n} for n in names],
            "results": _all_pass(inspection)}, admin_user)
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert message in str(caught.value.errors["inspectors"])
    assert inspection.status == "scheduled"
    assert not inspection.inspectors.exists()


def test_pgs_peers_count_by_household(app, applicant, admin_user, household_data):
    """Three peers of whom two come from one household are two households: refused; three households pass."""
    peers = [households.create_household(dict(household_data, code=f"KH-03-00{n}", head_name=f"เพื่อน {n}",
                                              national_id="", grower_status="active"), admin_user) for n in (1, 2, 3)]
    inspection = _scheduled(applicant, admin_user)
    same_two = [{"name": "ก ก", "household_id": peers[0].id}, {"name": "ข ข", "household_id": peers[0].id},
                {"name": "ค ค", "household_id": peers[1].id}]
    with pytest.raises(ValidationError) as caught:
        inspections.record_inspection(inspection, {"inspected_on": TODAY.isoformat(), "inspectors": same_two,
                                                   "results": _all_pass(inspection)}, admin_user)
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert "three different households" in str(caught.value.errors["inspectors"])
    three = [dict(same_two[0]), dict(same_two[1], household_id=peers[1].id), dict(same_two[2], household_id=peers[2].id)]
    inspections.record_inspection(inspection, {"inspected_on": TODAY.isoformat(), "inspectors": three,
                                               "results": _all_pass(inspection)}, admin_user)
    assert sorted(p.household_id for p in inspection.inspectors) == sorted(p.id for p in peers)


def test_a_peer_with_no_household_is_not_a_household(app, applicant, admin_user):
    """Three named reviewers with no household, or two households and a reviewer with none, are not
    three households: refused, and nothing is written; the same with a third household passes."""
    inspection = _scheduled(applicant, admin_user)
    peers = pgs_peers()
    for people in ([{"name": "ก ก"}, {"name": "ข ข"}, {"name": "ค ค"}],
                   peers[:2] + [{"name": "เจ้าหน้าที่ สภาฯ", "organisation": "สภาองค์กรชุมชนตำบลคลองแห"}]):
        with pytest.raises(ValidationError) as caught:
            inspections.record_inspection(inspection, {"inspected_on": TODAY.isoformat(), "inspectors": people,
                                                       "results": _all_pass(inspection)}, admin_user)
        with app.test_request_context("/", headers={"Cookie": "lang=en"}):
            assert "three different households" in str(caught.value.errors["inspectors"])
        assert inspection.status == "scheduled" and not inspection.inspectors.exists()
    observer = {"name": "เจ้าหน้าที่ สภาฯ", "organisation": "สภาองค์กรชุมชนตำบลคลองแห"}
    inspections.record_inspection(inspection, {"inspected_on": TODAY.isoformat(), "inspectors": peers + [observer],
                                               "results": _all_pass(inspection)}, admin_user)
    assert inspection.inspectors.count() == 4


def test_peer_from_the_inspected_household_is_refused(app, applicant, admin_user):
    """Naming the inspected household as an inspector's household is refused, whatever the name."""
    inspection = _scheduled(applicant, admin_user)
    with pytest.raises(ValidationError):
        inspections.record_inspection(inspection, {
            "inspected_on": TODAY.isoformat(),
            "inspectors": [{"name": "ก"}, {"name": "ข"}, {"name": "ค", "household_id": applicant.id}],
            "results": _all_pass(inspection)}, admin_user)


def test_third_party_inspection_needs_one_inspector(app, applicant, admin_user):
    """A third-party certifier's single inspector is enough."""
    inspection = _scheduled(applicant, admin_user, kind="third_party")
    inspections.record_inspection(inspection, {
        "inspected_on": TODAY.isoformat(), "inspectors": [{"name": "Inspector A", "organisation": "Agency"}],
        "results": _all_pass(inspection)}, admin_user)
    assert inspection.status == "completed"


def test_every_checklist_item_needs_a_result_and_a_fail_needs_a_corrective_action(app, applicant, admin_user):
    """A missing result or an unexplained fail is refused and nothing is written."""
    inspection = _scheduled(applicant, admin_user)
    people = pgs_peers()
    results = _all_pass(inspection)
    missing = dict(results)
    missing.pop(next(iter(missing)))
    with pytest.raises(ValidationError) as caught:
        inspections.record_inspection(inspection, {"inspected_on": TODAY.isoformat(), "inspectors": people, "results": missing}, admin_user)
    assert "results" in caught.value.errors
    failed = dict(results, **{next(iter(results)): {"result": "fail"}})
    with pytest.raises(ValidationError) as caught:
        inspections.record_inspection(inspection, {"inspected_on": TODAY.isoformat(), "inspectors": people, "results": failed}, admin_user)
    assert "non_compliances" in caught.value.errors
    inspections.record_inspection(inspection, {
        "inspected_on": TODAY.isoformat(), "inspectors": people, "results": failed,
        "non_compliances": [{"description": "ไม่มีแนวกันชน", "severity": "major",
                             "corrective_action": "ปลูกแนวกันชน", "due_on": (TODAY + datetime.timedelta(days=60)).isoformat()}]}, admin_user)
    assert inspection.non_compliances.count() == 1


def _seeded_register(user):
    ensure_default_standards()
    version = standards.current_version(Standard.get(Standard.code == "PGS-KH"))
    inputs.load_seed(user, version)
    return version


def test_prohibited_input_is_found_by_trade_name_and_flagged(app, applicant, admin_user):
    """Paraquat typed as its Thai trade name is linked to the register and flagged; compost is allowed."""
    _seeded_register(admin_user)
    plot = households.create_plot(applicant, {"name": "แปลง 1", "area_m2": "400"}, admin_user)
    for name in ["ปุ๋ยหมักใบไม้", "กรัมม็อกโซน", "ฟูราดาน", "ราวด์อัพ"]:
        records.add_input(applicant, {"plot_id": plot.id, "used_on": TODAY.isoformat(), "input_type": "other", "name": name}, admin_user)
    states = {e.name: (e.state, e.input.name_th) for e in records.input_log(applicant)}
    assert states == {"ปุ๋ยหมักใบไม้": ("allowed", "ปุ๋ยหมัก"), "กรัมม็อกโซน": ("prohibited", "พาราควอต"),
                      "ฟูราดาน": ("prohibited", "คาร์โบฟูราน"), "ราวด์อัพ": ("prohibited", "ไกลโฟเซต")}


def test_unknown_input_needs_review_until_classified_and_the_ruling_applies_to_past_entries(app, applicant, admin_user):
    """An input the register lacks is 'needs review'; classifying it as prohibited flags the past entries too."""
    version = _seeded_register(admin_user)
    plot = households.create_plot(applicant, {"name": "แปลง 1", "area_m2": "400"}, admin_user)
    for day in (30, 10):
        records.add_input(applicant, {"plot_id": plot.id, "used_on": (TODAY - datetime.timedelta(days=day)).isoformat(),
                                      "input_type": "pest_control", "name": "ยาฆ่าหญ้าตราม้า"}, admin_user)
    assert [e.state for e in records.input_log(applicant)] == ["needs_review", "needs_review"]
    assert inputs.unclassified_names() == [("ยาฆ่าหญ้าตราม้า", 2)]
    glyphosate = inputs.find_input("glyphosate")
    registered, linked = inputs.classify("ยาฆ่าหญ้าตราม้า", {"input_id": str(glyphosate.id), "ruling": "prohibited",
                                                            "condition": "สารกำจัดวัชพืชสังเคราะห์"}, admin_user, version)
    assert (registered.id, linked) == (glyphosate.id, 2)
    assert [e.state for e in records.input_log(applicant)] == ["prohibited", "prohibited"]
    assert inputs.unclassified_names() == []
    # A later change of the ruling applies to the same past entries at once.
    inputs.set_ruling(glyphosate, version, "restricted", "ทดลอง", admin_user)
    assert [e.state for e in records.input_log(applicant)] == ["restricted", "restricted"]


def test_register_csv_round_trip(app, admin_user):
    """The register exported as CSV imports into an empty register with the same names, trade names and rulings."""
    version = _seeded_register(admin_user)
    exported = inputs.export_csv(version)
    assert "กรัมม็อกโซน" in exported.decode("utf-8-sig")
    before = {(r.name_th, r.trade_names, inputs.rulings_in(version)[r.id].ruling) for r in inputs.search()}
    from certificates.models import InputRuling, RegisteredInput
    InputRuling.delete().execute()
    RegisteredInput.delete().execute()
    added, updated = inputs.import_csv(exported, admin_user, version)
    assert (added, updated) == (len(before), 0)
    assert {(r.name_th, r.trade_names, inputs.rulings_in(version)[r.id].ruling) for r in inputs.search()} == before


def test_register_import_refuses_a_bad_row_whole(app, admin_user):
    """A row with an unknown kind is reported by line and nothing of the file is saved."""
    version = _seeded_register(admin_user)
    count = len(inputs.search())
    bad = "name_th,kind,ruling\nน้ำส้มควันไม้,bio_extract,allowed\nสารลึกลับ,rocket,allowed\n".encode()
    with pytest.raises(ValidationError) as caught:
        inputs.import_csv(bad, admin_user, version)
    assert "3" in str(caught.value.errors["file"])
    assert len(inputs.search()) == count


def test_farm_page_shows_the_prohibited_and_review_flags(client, auth, applicant, admin_user):
    """The farm records page marks a prohibited input and an unknown one, and offers the register's trade names."""
    _seeded_register(admin_user)
    plot = households.create_plot(applicant, {"name": "แปลง 1", "area_m2": "400"}, admin_user)
    records.add_input(applicant, {"plot_id": plot.id, "used_on": TODAY.isoformat(), "input_type": "pest_control",
                                  "name": "Roundup"}, admin_user)
    records.add_input(applicant, {"plot_id": plot.id, "used_on": TODAY.isoformat(), "input_type": "other", "name": "ของไม่รู้จัก"}, admin_user)
    auth.login("admin")
    page = client.get(f"/households/{applicant.id}/farm").get_data(as_text=True)
    assert 'data-testid="prohibited-flag"' in page and 'data-testid="review-flag"' in page
    assert '<option value="กรัมม็อกโซน">' in page


def test_a_harvest_is_recorded_once_as_a_batch_and_read_by_the_farm_log(client, auth, applicant, admin_user):
    """The activity form refuses a harvest (it is a batch); the batch shows in the farm log, the API's
    activity log and the batch list, as the one record of that harvest."""
    from traceability import batches

    plot = households.create_plot(applicant, {"name": "แปลง 1", "area_m2": "400"}, admin_user)
    with pytest.raises(ValidationError) as caught:
        records.add_activity(applicant, {"plot_id": plot.id, "done_on": TODAY.isoformat(), "activity": "harvest"}, admin_user)
    assert set(caught.value.errors) == {"activity"}
    records.add_activity(applicant, {"plot_id": plot.id, "done_on": TODAY.isoformat(), "activity": "soil_preparation"}, admin_user)
    kale = products.create_product({"name_th": "คะน้า", "unit": "kg", "category": "vegetable", "is_certifiable": "1"}, admin_user)
    batch = batches.create_batch({"household_id": applicant.id, "product_id": kale.id, "plot_id": plot.id,
                                  "harvest_date": TODAY.isoformat(), "quantity": "12.5"}, admin_user)
    auth.login("inspector")
    page = client.get(f"/households/{applicant.id}/farm").get_data(as_text=True)
    assert page.count('data-testid="harvest-entry"') == 1 and f"{batch.code[:4]}-{batch.code[4:]}" in page
    assert "12.5 กก." in page
    log = client.get(f"/api/v1/households/{applicant.id}/activities").json["items"]
    harvests = [item for item in log if item["activity"] == "harvest"]
    assert [(h["batch_code"], h["quantity"], h["plot_id"]) for h in harvests] == [(batch.code, "12.500", plot.id)]
    assert len(log) == 2


def test_certified_household_is_certified_for_its_scope_only(certified_household, admin_user):
    """The status function says certified for the product in scope, not for another product."""
    household, product = certified_household["household"], certified_household["product"]
    status = certification.certification_status(household, product)
    assert status.certified and status.certificate.number.startswith(f"KH-{TODAY.year + 543}-")
    other = products.create_product({"name_th": "เห็ดฟาง", "unit": "kg", "category": "mushroom", "is_certifiable": "1"}, admin_user)
    assert certification.certification_status(household, other).state == "not_in_scope"
    craft = products.create_product({"name_th": "ตะกร้าสาน", "unit": "piece", "category": "handicraft"}, admin_user)
    assert certification.certification_status(household, craft).state == "not_certifiable"


def test_certificate_expires_by_date_alone(certified_household):
    """Past its end date a certificate is expired without anyone touching it."""
    certificate = certified_household["certificate"]
    after = certificate.valid_until + datetime.timedelta(days=1)
    assert certification.effective_status(certificate, certificate.valid_until) == "active"
    assert certification.effective_status(certificate, after) == "expired"
    status = certification.certification_status(certified_household["household"], certified_household["product"], after)
    assert status.state == "expired" and not status.certified


def test_state_machine_allowed_transitions(certified_household):
    """active → suspended → active → suspended → revoked, appeal granted restores; history keeps every step."""
    certificate, user = certified_household["certificate"], certified_household["committee"]
    certification.suspend(certificate, {"reason": "พบการใช้สารเคมี"}, user)
    assert certification.effective_status(certificate) == "suspended"
    assert not certification.certification_status(certified_household["household"], certified_household["product"]).certified
    certification.reinstate(certificate, {"reason": "แก้ไขแล้ว"}, user)
    assert certification.effective_status(certificate) == "active"
    certification.suspend(certificate, {"reason": "ตรวจซ้ำ"}, user)
    certification.revoke(certificate, {"reason": "ไม่แก้ไข"}, user)
    assert certification.effective_status(certificate) == "revoked"
    certification.file_appeal(certificate, {"reason": "ขอตรวจใหม่"}, user)
    certification.decide_appeal(certificate, {"outcome": "granted", "reason": "ตรวจใหม่ผ่าน"}, user)
    assert certification.effective_status(certificate) == "active"
    actions = [e.action for e in certification.history(certificate)]
    assert actions == ["issued", "suspended", "reinstated", "suspended", "revoked", "appeal_filed", "appeal_granted"]
    assert all(e.user_id == user.id for e in CertificateEvent.select())


@pytest.mark.parametrize(
    "setup, action",
    [
        ([], "reinstate"),
        ([("revoke", {"reason": "x"})], "suspend"),
        ([("revoke", {"reason": "x"})], "reinstate"),
        ([("revoke", {"reason": "x"})], "revoke"),
        ([], "file_appeal"),
        ([("suspend", {"reason": "x"})], "suspend"),
        ([("suspend", {"reason": "x"})], "decide_appeal"),
    ],
)
def test_state_machine_refused_transitions(certified_household, setup, action):
    """Transitions the current state does not allow are refused and leave no trace."""
    certificate, user = certified_household["certificate"], certified_household["committee"]
    for step, data in setup:
        getattr(certification, step)(certificate, data, user)
    before = (certificate.status, CertificateEvent.select().count())
    with pytest.raises(ValidationError):
        getattr(certification, action)(certificate, {"reason": "y", "outcome": "granted"}, user)
    certificate = Certificate.get_by_id(certificate.id)
    assert (certificate.status, CertificateEvent.select().count()) == before


def test_expired_certificate_cannot_be_suspended(certified_household):
    """Once past its end date, a certificate's status can no longer change."""
    certificate, user = certified_household["certificate"], certified_household["committee"]
    Certificate.update(valid_until=TODAY - datetime.timedelta(days=1), issued_on=TODAY - datetime.timedelta(days=366)).execute()
    certificate = Certificate.get_by_id(certificate.id)
    with pytest.raises(ValidationError):
        certification.suspend(certificate, {"reason": "x"}, user)


def test_suspension_with_an_end_date_lapses_by_itself(certified_household):
    """A suspension 'until' a date holds through that date and lifts the day after."""
    certificate, user = certified_household["certificate"], certified_household["committee"]
    until = TODAY + datetime.timedelta(days=10)
    certification.suspend(certificate, {"reason": "รอแก้ไข", "until": until.isoformat()}, user)
    assert certification.effective_status(certificate, until) == "suspended"
    assert certification.effective_status(certificate, until + datetime.timedelta(days=1)) == "active"


def test_only_the_committee_decides(certified_household, make_user):
    """An inspector outside the committee, or a cashier, cannot suspend; a committee inspector can."""
    certificate = certified_household["certificate"]
    for user in (make_user("inspector", "peer"), make_user("cashier", "till")):
        with pytest.raises(ValidationError):
            certification.suspend(certificate, {"reason": "x"}, user)
    member = make_user("inspector", "chair", is_committee="1")
    certification.suspend(certificate, {"reason": "x"}, member)
    assert certificate.status == "suspended"


def test_certificate_numbers_cannot_be_guessed_by_counting(certified_household, client):
    """Numbers read KH-<พ.ศ.>-XXXXXX with a random tail, not -0001, -0002; typed variants and
    numbers issued before in the counted format keep working."""
    certificate = certified_household["certificate"]
    year = TODAY.year + 543
    assert re.fullmatch(rf"KH-{year}-[{certification.NUMBER_ALPHABET}]{{6}}", certificate.number)
    numbers = {certification.next_number(TODAY) for _ in range(50)}
    assert len(numbers) == 50 and f"KH-{year}-0002" not in numbers
    typed = certificate.number.lower().replace("-", " ")
    assert certification.normalise_number(typed) == certificate.number
    assert client.get(f"/c/{typed.replace(' ', '')}").status_code == 200
    Certificate.update(number=f"KH-{year}-0001").where(Certificate.id == certificate.id).execute()
    assert certification.normalise_number(f"kh {year} 0001") == f"KH-{year}-0001"
    assert client.get(f"/c/KH-{year}-0001").status_code == 200


def test_rejection_needs_a_reason_and_gets_no_certificate(app, applicant, admin_user):
    """A rejected application is explained and cannot be issued a certificate."""
    inspection = _scheduled(applicant, admin_user)
    inspections.record_inspection(inspection, {
        "inspected_on": TODAY.isoformat(), "inspectors": pgs_peers(),
        "results": _all_pass(inspection)}, admin_user)
    with pytest.raises(ValidationError):
        certification.decide(inspection, {"outcome": "reject"}, admin_user)
    decision = certification.decide(inspection, {"outcome": "reject", "reason": "ยังไม่พร้อม"}, admin_user)
    with pytest.raises(ValidationError):
        certification.issue_certificate(decision, {"product_ids": [], "plot_ids": []}, admin_user)
    assert Certificate.select().count() == 0


def test_two_committee_members_acting_at_once_change_a_certificate_once(certified_household):
    """A member who read the certificate before another suspended it is refused, not written a second time."""
    setup = certified_household
    seen_by_second = Certificate.get_by_id(setup["certificate"].id)
    certification.suspend(setup["certificate"], {"reason": "พบการใช้ปุ๋ยเคมี"}, setup["committee"])
    with pytest.raises(certification.TransitionRefused):
        certification.suspend(seen_by_second, {"reason": "ซ้ำ"}, setup["committee"])
    events = [e.action for e in CertificateEvent.select().where(CertificateEvent.certificate == setup["certificate"])]
    assert events == ["issued", "suspended"]
    assert Certificate.get_by_id(setup["certificate"].id).status_reason == "พบการใช้ปุ๋ยเคมี"


def test_a_decision_gets_one_certificate_however_often_it_is_sent(certified_household):
    """Issuing again for a decision that has its certificate is refused and adds nothing."""
    setup = certified_household
    with pytest.raises(ValidationError) as refused:
        certification.issue_certificate(setup["decision"], {"product_ids": [setup["product"].id],
                                                            "plot_ids": [setup["plot"].id]}, setup["committee"])
    assert "decision" in refused.value.errors
    assert Certificate.select().count() == 1
