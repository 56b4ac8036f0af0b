"""Versions of a standard, critical criteria, and dated conversion: what the certifying body edits,
and what `certification_status`, labels, the trace page and the POS say because of it."""
import datetime

import pytest

from certificates import certification, inputs, inspections, records, standards
from certificates.models import CertifyingBody, Standard
from certificates.standards import ensure_default_standards
from core import households, products
from core.validation import ValidationError
from traceability import batches

from tests.support import pgs_peers

TODAY = datetime.date.today()
NOT_CERTIFIED = "ยังไม่ได้รับรอง"


def days_ago(n):
    return (TODAY - datetime.timedelta(days=n)).isoformat()


@pytest.fixture
def pgs(app):
    ensure_default_standards()
    return Standard.get(Standard.code == "PGS-KH")


@pytest.fixture
def grower(app, admin_user, household_data, pgs):
    """An active grower with one plot and kale in the catalogue, no conversion dated yet."""
    household = households.create_household(household_data, admin_user)
    plot = households.create_plot(household, {"name": "แปลงหลังบ้าน", "area_m2": "800"}, admin_user)
    kale = products.create_product({"name_th": "คะน้า", "unit": "kg", "category": "vegetable", "is_certifiable": True,
                                    "default_price": "60"}, admin_user)
    return {"household": household, "plot": plot, "product": kale}


def _schedule(household, user, standard):
    body = CertifyingBody.get(CertifyingBody.kind == "pgs")
    return inspections.schedule_inspection(household, {"standard_id": standard.id, "body_id": body.id,
                                                       "scheduled_for": days_ago(5)}, user)


def test_a_new_version_is_edited_and_published_while_old_inspections_keep_theirs(pgs, grower, admin_user):
    """A draft copies the last version; editing it changes nothing of the version in force or of an
    inspection scheduled under it; once published, new inspections use the new text."""
    first = standards.current_version(pgs)
    before = _schedule(grower["household"], admin_user, pgs)
    draft = standards.new_draft(pgs, admin_user)
    assert draft.number == first.number + 1 and draft.status == "draft"
    buffer = next(c for c in standards.criteria(draft) if "แนวกันชน" in c.text_th)
    standards.save_criterion(draft, {"topic_th": buffer.topic_th, "text_th": "มีแนวกันชนกว้างอย่างน้อย 2 เมตรทุกด้าน",
                                     "critical": "1", "categories": ["vegetable"]}, admin_user, buffer)
    with pytest.raises(ValidationError):
        standards.new_draft(pgs, admin_user)  # one draft at a time
    assert standards.current_version(pgs).id == first.id
    standards.publish(draft, admin_user)
    first = first.__class__.get_by_id(first.id)
    assert (first.status, standards.current_version(pgs).id) == ("superseded", draft.id)
    after = _schedule(grower["household"], admin_user, pgs)
    assert "มีแนวกันชนป้องกัน" in " ".join(c.text_th for c in inspections.checklist(before))
    assert "กว้างอย่างน้อย 2 เมตร" in " ".join(c.text_th for c in inspections.checklist(after))
    changed = next(c for c in inspections.checklist(after) if "2 เมตร" in c.text_th)
    assert changed.critical and changed.category_list == ["vegetable"]
    with pytest.raises(ValidationError):  # a version in force is never edited
        standards.save_criterion(draft, {"text_th": "อื่น"}, admin_user, changed)


def test_only_the_committee_edits_a_standard(pgs, make_user):
    """An inspector without the committee flag cannot draft, edit or publish."""
    inspector = make_user("inspector", "peer")
    with pytest.raises(ValidationError):
        standards.new_draft(pgs, inspector)


def test_a_failed_critical_criterion_blocks_approval(pgs, grower, admin_user):
    """Failing a critical criterion allows only a rejection."""
    inspection = _schedule(grower["household"], admin_user, pgs)
    checklist = inspections.checklist(inspection)
    critical = next(c for c in checklist if c.critical)
    results = {str(c.id): {"result": "fail" if c.id == critical.id else "pass"} for c in checklist}
    inspections.record_inspection(inspection, {"inspected_on": days_ago(5), "inspectors": pgs_peers(), "results": results,
                                               "non_compliances": [{"description": "พบขวดพาราควอต", "severity": "critical",
                                                                    "corrective_action": "เลิกใช้", "due_on": days_ago(-30)}]}, admin_user)
    with pytest.raises(ValidationError) as caught:
        certification.decide(inspection, {"outcome": "approve"}, admin_user)
    assert "outcome" in caught.value.errors
    assert certification.decide(inspection, {"outcome": "reject", "reason": "ใช้สารเคมีต้องห้าม"}, admin_user).outcome == "reject"


def test_no_dated_conversion_is_not_certified(grower):
    """An active grower with no conversion dated is 'not certified', never 'in conversion'."""
    status = certification.certification_status(grower["household"], grower["product"])
    assert status.state == "none" and status.conversion_ends is None


def test_a_running_conversion_says_until_when(app, grower, admin_user):
    """A plot converting since 100 days is 'in conversion' until 12 months after its start (vegetables)."""
    start = TODAY - datetime.timedelta(days=100)
    records.save_plot_record(grower["plot"], {"conversion_start": start.isoformat()}, admin_user)
    status = certification.certification_status(grower["household"], grower["product"])
    assert status.state == "in_conversion" and status.conversion_ends == records.add_months(start, 12)
    ends = records.add_months(start, 12)
    with app.test_request_context("/"):
        assert "จนถึง" in str(status.message) and str(ends.year + 543) in str(status.message)
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert f"until {ends.day} " in str(status.message) and str(ends.year) in str(status.message)
    # Past the period and without a certificate: not certified, no longer "in conversion".
    later = records.add_months(start, 12) + datetime.timedelta(days=1)
    assert certification.certification_status(grower["household"], grower["product"], later).state == "none"


def test_the_period_is_the_standards_for_the_category(grower, admin_user):
    """A perennial ('other') product converts 36 months under the PGS standard, vegetables 12."""
    start = TODAY - datetime.timedelta(days=500)
    records.save_plot_record(grower["plot"], {"conversion_start": start.isoformat()}, admin_user)
    fruit = products.create_product({"name_th": "มังคุด", "unit": "kg", "category": "other", "is_certifiable": True}, admin_user)
    assert certification.certification_status(grower["household"], grower["product"]).state == "none"
    status = certification.certification_status(grower["household"], fruit)
    assert status.state == "in_conversion" and status.conversion_ends == records.add_months(start, 36)


def test_a_prohibited_input_restarts_the_conversion(grower, admin_user, pgs):
    """Paraquat put on the plot after the declared start moves the start to the day after it."""
    inputs.load_seed(admin_user, standards.current_version(pgs))
    records.save_plot_record(grower["plot"], {"conversion_start": days_ago(700)}, admin_user)
    records.add_input(grower["household"], {"plot_id": grower["plot"].id, "used_on": days_ago(30),
                                            "input_type": "pest_control", "name": "กรัมม็อกโซน"}, admin_user)
    found = records.conversion(grower["plot"], "vegetable")
    assert (found.basis, found.starts_on) == ("prohibited_input", TODAY - datetime.timedelta(days=29))
    status = certification.certification_status(grower["household"], grower["product"])
    assert status.state == "in_conversion" and status.conversion_ends == records.add_months(found.starts_on, 12)


def test_the_batch_follows_its_own_plot(grower, admin_user):
    """A batch from a converting plot is 'in conversion'; one from a plot without a dated conversion is not."""
    records.save_plot_record(grower["plot"], {"conversion_start": days_ago(60)}, admin_user)
    other = households.create_plot(grower["household"], {"name": "แปลงริมถนน", "area_m2": "400"}, admin_user)
    converting = batches.create_batch({"household_id": grower["household"].id, "product_id": grower["product"].id,
                                       "plot_id": grower["plot"].id, "harvest_date": days_ago(1), "quantity": "3"}, admin_user)
    undated = batches.create_batch({"household_id": grower["household"].id, "product_id": grower["product"].id,
                                    "plot_id": other.id, "harvest_date": days_ago(1), "quantity": "3"}, admin_user)
    assert batches.batch_certification(converting).state == "in_conversion"
    assert batches.batch_certification(undated).state == "none"


def test_a_certificate_covers_only_plots_past_conversion(pgs, grower, admin_user):
    """Issuing refuses a plot still converting, naming it and the end date, and a plot with no dated conversion."""
    records.save_plot_record(grower["plot"], {"conversion_start": days_ago(100)}, admin_user)
    ready = households.create_plot(grower["household"], {"name": "แปลงเก่า", "area_m2": "400"}, admin_user)
    records.save_plot_record(ready, {"conversion_start": days_ago(800), "conversion_verified_on": days_ago(5)}, admin_user)
    inspection = _schedule(grower["household"], admin_user, pgs)
    inspections.record_inspection(inspection, {"inspected_on": days_ago(5), "inspectors": pgs_peers(), "results": {
        str(c.id): {"result": "pass"} for c in inspections.checklist(inspection)}}, admin_user)
    decision = certification.decide(inspection, {"outcome": "approve"}, admin_user)
    with pytest.raises(ValidationError) as caught:
        certification.issue_certificate(decision, {"product_ids": [grower["product"].id],
                                                   "plot_ids": [grower["plot"].id, ready.id]}, admin_user)
    assert "แปลงหลังบ้าน" in str(caught.value.errors["plot_ids"])
    certificate = certification.issue_certificate(decision, {"product_ids": [grower["product"].id], "plot_ids": [ready.id]},
                                                  admin_user)
    assert [link.plot_id for link in certificate.scope_plots] == [ready.id]


def _batch(grower, user, plot=None):
    return batches.create_batch({"household_id": grower["household"].id, "product_id": grower["product"].id,
                                 "plot_id": (plot or grower["plot"]).id, "harvest_date": days_ago(1), "quantity": "3"}, user)


def test_trace_page_says_in_conversion_until_the_date_only_where_true(client, grower, admin_user):
    """The shopper's page says 'in conversion until <B.E. date>' for a converting plot, and plain
    'not certified' for a plot with no dated conversion."""
    start = TODAY - datetime.timedelta(days=100)
    records.save_plot_record(grower["plot"], {"conversion_start": start.isoformat()}, admin_user)
    undated = households.create_plot(grower["household"], {"name": "แปลงใหม่", "area_m2": "400"}, admin_user)
    converting, plain = _batch(grower, admin_user), _batch(grower, admin_user, undated)
    ends = records.add_months(start, 12)
    page = client.get(f"/b/{converting.code}").get_data(as_text=True)
    assert "จนถึง" in page and f" {ends.year + 543}" in page
    page = client.get(f"/b/{plain.code}").get_data(as_text=True)
    assert "ระยะปรับเปลี่ยน" not in page and NOT_CERTIFIED in page


def test_pos_and_the_counters_copy_give_the_end_of_conversion(client, grower, admin_user, token_for):
    """The POS lookup and the offline copy refuse a converting batch with the date its conversion ends."""
    start = TODAY - datetime.timedelta(days=100)
    records.save_plot_record(grower["plot"], {"conversion_start": start.isoformat()}, admin_user)
    batch = _batch(grower, admin_user)
    headers = token_for("cashier")
    ends = records.add_months(start, 12)
    looked_up = client.get(f"/api/v1/pos/lookup?scan={batch.code}", headers=headers).get_json()
    assert looked_up["refusal"]["code"] == "in_conversion"
    assert f"จนถึง {ends.day} " in looked_up["refusal"]["message"] and f"{ends.year + 543}" in looked_up["refusal"]["message"]
    copy = client.get("/api/v1/pos/batches", headers=headers).get_json()
    assert [item["refusal"]["message"] for item in copy["items"] if item["code"] == batch.code] == [
        looked_up["refusal"]["message"]]


def test_the_issue_page_says_which_plots_are_still_converting(client, auth, pgs, grower, admin_user):
    """Before ticking plots, the committee sees each plot's conversion: until when, or none dated."""
    records.save_plot_record(grower["plot"], {"conversion_start": days_ago(100)}, admin_user)
    households.create_plot(grower["household"], {"name": "แปลงใหม่เอี่ยม", "area_m2": "400"}, admin_user)
    inspection = _schedule(grower["household"], admin_user, pgs)
    inspections.record_inspection(inspection, {"inspected_on": days_ago(5), "inspectors": pgs_peers(), "results": {
        str(c.id): {"result": "pass"} for c in inspections.checklist(inspection)}}, admin_user)
    decision = certification.decide(inspection, {"outcome": "approve"}, admin_user)
    auth.login("admin")
    page = client.get(f"/decisions/{decision.id}/certificate").get_data(as_text=True)
    assert "อยู่ในระยะปรับเปลี่ยนจนถึง" in page and "ยังไม่มีวันเริ่มปรับเปลี่ยน" in page
