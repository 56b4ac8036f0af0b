"""The public verification page /c/<number> and the certification API, as shoppers and staff use them."""
import datetime

import pytest

from certificates import certification
from certificates.models import Certificate
from core.models import Household

from tests.support import peer_form_fields


def test_public_page_shows_live_status_without_login(client, certified_household):
    """Anyone sees 'certified, valid until' with the Buddhist Era year, the public name and scope."""
    certificate = certified_household["certificate"]
    page = client.get(f"/c/{certificate.number}").get_data(as_text=True)
    assert "ได้รับการรับรองเกษตรอินทรีย์" in page
    assert str(certificate.valid_until.year + 543) in page
    assert "สวนป้าศรี" in page and "คะน้า" in page and "หมู่ที่ 1" in page


def test_suspending_flips_the_public_page_at_once(client, certified_household):
    """The page is live: after a suspension the very next view says SUSPENDED."""
    certificate = certified_household["certificate"]
    certification.suspend(certificate, {"reason": "ตรวจพบสารเคมี"}, certified_household["committee"])
    page = client.get(f"/c/{certificate.number}").get_data(as_text=True)
    assert "ระงับชั่วคราว" in page and "ได้รับการรับรองเกษตรอินทรีย์" not in page


@pytest.mark.parametrize("state, word", [("revoked", "ถูกเพิกถอน"), ("expired", "หมดอายุ")])
def test_revoked_and_expired_say_so(client, certified_household, state, word):
    """Revoked and expired certificates say so in large words."""
    certificate = certified_household["certificate"]
    if state == "revoked":
        certification.revoke(certificate, {"reason": "ไม่แก้ไข"}, certified_household["committee"])
    else:
        Certificate.update(valid_until=datetime.date.today() - datetime.timedelta(days=1)).execute()
    page = client.get(f"/c/{certificate.number}").get_data(as_text=True)
    assert word in page


def test_public_page_never_shows_personal_data(client, certified_household):
    """Phone, national ID, the head's name and disadvantaged flags never reach the public page."""
    household = certified_household["household"]
    Household.update(phone="081-999-1234", national_id="1101700203451", head_name="นางสมศรี ทองคำ",
                     is_disabled=True, disadvantaged_other="เลี้ยงหลานตามลำพัง").where(Household.id == household.id).execute()
    page = client.get(f"/c/{certified_household['certificate'].number}").get_data(as_text=True)
    for secret in ("081-999-1234", "1101700203451", "นางสมศรี", "เลี้ยงหลานตามลำพัง", "ผู้พิการ"):
        assert secret not in page


@pytest.mark.parametrize("typed", ["kh-{year}-0001", "KH {year} 0001", "KH{year}0001"])
def test_typed_variants_of_the_number_find_the_certificate(client, certified_household, typed):
    """Lower case, spaces or missing dashes still find a certificate numbered the old, counted way."""
    year = datetime.date.today().year + 543
    Certificate.update(number=f"KH-{year}-0001").where(Certificate.id == certified_household["certificate"].id).execute()
    assert client.get("/c/" + typed.format(year=year)).status_code == 200


@pytest.mark.parametrize("number", ["KH-2569-9999", "nonsense", "<script>alert(1)</script>", "x" * 300])
def test_unknown_number_gets_a_helpful_404(client, certified_household, number):
    """A mistyped or unknown number says not found and how to check, never a 500."""
    response = client.get(f"/c/{number}")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "ไม่พบใบรับรอง" in page and "<script>alert" not in page


def test_public_page_in_english(client, certified_household):
    """One tap to English keeps the page and shows English words."""
    client.set_cookie("lang", "en")
    page = client.get(f"/c/{certified_household['certificate'].number}").get_data(as_text=True)
    assert "Certified organic" in page and "Chinese kale" in page


def test_cashier_reads_status_but_cannot_change_it(client, certified_household, token_for):
    """A cashier's token may ask the certification question, never suspend a certificate."""
    headers = token_for("cashier")
    household, product = certified_household["household"], certified_household["product"]
    answer = client.get(f"/api/v1/households/{household.id}/certification?product_id={product.id}", headers=headers)
    assert answer.status_code == 200 and answer.get_json()["certified"] is True
    number = certified_household["certificate"].number
    refused = client.post(f"/api/v1/certificates/{number}/suspend", json={"reason": "x"}, headers=headers)
    assert refused.status_code == 403
    assert Certificate.get(Certificate.number == number).status == "active"


def test_committee_suspends_through_the_api_and_history_is_kept(client, certified_household, token_for, make_user):
    """A committee inspector's token suspends; a non-committee inspector gets a 400 with the reason."""
    number = certified_household["certificate"].number
    peer = client.post(f"/api/v1/certificates/{number}/suspend", json={"reason": "x"}, headers=token_for("inspector", "peer"))
    assert peer.status_code == 400 and "error" in peer.get_json()
    chair = make_user("inspector", "chair", is_committee="1")
    from core import accounts

    headers = {"Authorization": f"Bearer {accounts.create_token(chair)}"}
    done = client.post(f"/api/v1/certificates/{number}/suspend", json={"reason": "ตรวจพบสารเคมี"}, headers=headers)
    assert done.status_code == 200
    body = done.get_json()
    assert body["status"] == "suspended"
    assert [e["action"] for e in body["history"]] == ["issued", "suspended"]
    assert body["history"][-1]["user"] == "chair"
    assert "phone" not in body["household"] and "national_id" not in body["household"]


def test_certification_answer_explains_why_not(client, certified_household, token_for):
    """After a suspension the API says not certified, state suspended, with a Thai message."""
    certification.suspend(certified_household["certificate"], {"reason": "x"}, certified_household["committee"])
    household, product = certified_household["household"], certified_household["product"]
    body = client.get(f"/api/v1/households/{household.id}/certification?product_id={product.id}",
                      headers=token_for("cashier")).get_json()
    assert body["certified"] is False and body["state"] == "suspended"
    assert body["message"] == "ใบรับรองถูกระงับชั่วคราว"


def test_inspector_takes_a_household_from_schedule_to_certificate_in_the_pages(client, auth, certified_household, make_user):
    """Through the pages: schedule, record with three peers, decide, issue; the new certificate is public."""
    from certificates.models import CertifyingBody, Requirement, Standard
    from core import households

    admin = certified_household["committee"]
    household = households.create_household({"code": "KH-02-001", "head_name": "ฮาซัน หลีเส็น", "village_no": "2",
                                              "grower_status": "applicant"}, admin)
    plot = households.create_plot(household, {"name": "โรงเรือนเห็ด", "area_m2": "80"}, admin)
    auth.login("admin", "chief")
    started = (datetime.date.today() - datetime.timedelta(days=800)).isoformat()
    assert client.post(f"/plots/{plot.id}/record", data={"conversion_start": started}).status_code == 302
    standard = Standard.get(Standard.code == "PGS-KH")
    body = CertifyingBody.get(CertifyingBody.kind == "pgs")
    today = datetime.date.today().isoformat()
    response = client.post(f"/households/{household.id}/inspections/new",
                           data={"standard_id": standard.id, "body_id": body.id, "scheduled_for": today})
    assert response.status_code == 302
    inspection_url = response.headers["Location"]
    inspection_id = int(inspection_url.rstrip("/").rsplit("/", 1)[1])
    form = {"inspected_on": today, **peer_form_fields()}
    form.update({f"result_{r.id}": "pass" for r in Requirement.select().where(Requirement.standard == standard)})
    assert client.post(f"/inspections/{inspection_id}/record", data=form).status_code == 302
    decided = client.post(f"/inspections/{inspection_id}/decide", data={"outcome": "approve"})
    assert decided.status_code == 302
    issue_url = decided.headers["Location"]
    issued = client.post(issue_url, data={"product_ids": [str(certified_household["product"].id)], "plot_ids": [str(plot.id)]})
    assert issued.status_code == 302
    number = issued.headers["Location"].rsplit("/", 1)[1]
    assert client.get(f"/c/{number}").status_code == 200
    assert client.get(f"/certificates/{number}").status_code == 200
