"""The PDPA duties: consent before sensitive data, withdrawing it clears the data, a person's export,
erasure that keeps the market's figures, the log of who viewed personal data, and the retention rule.
"""
import datetime
import json
import os
import subprocess
import sys

from certificates.models import Certificate
from core import accounts, households, privacy, retention
from core.db import utcnow
from core.models import AuditEntry, Consent, Household, LoginAttempt, Member, PersonalDataView
from core.validation import local_today
from market.models import Sale, SaleLine, Settlement

from tests import test_access
from tests.support import contains, database_rows, pdf_text
from tests.test_access import sign_in, staff

world = test_access.world
API = "/api/v1"
BARE = {"code": "KH-05-001", "head_name": "ละออ ชูแก้ว", "village_no": "5"}


def test_sensitive_fields_cannot_be_filled_without_consent(client, world):
    """A household registered without the consent box cannot carry a disadvantaged flag (form and API);
    once the head's consent is recorded, it can."""
    council = world["council"]
    sign_in(client, council)
    before = database_rows()
    response = client.post("/households/new", data=dict(BARE, is_disabled="1", disadvantaged_other="ป่วยติดเตียง"))
    assert response.status_code == 400
    assert "บันทึกความยินยอม" in response.get_data(as_text=True)
    assert database_rows() == before
    household = households.create_household(BARE, council)
    answer = client.patch(f"{API}/households/{household.id}", json={"is_elderly": True},
                          headers={"Authorization": f"Bearer {accounts.create_token(council)}"})
    assert answer.status_code == 400 and "is_elderly" in answer.get_json()["error"]["fields"]
    assert client.post(f"/households/{household.id}/privacy", data={"given_on": "2026-11-30"}).status_code == 302
    households.update_household(household, {"is_elderly": "1"}, council, partial=True)
    assert Household.get_by_id(household.id).is_elderly is True


def test_the_consent_box_on_the_form_records_the_heads_consent(client, world):
    """Ticking the box records who consented, when, for what and on which form version."""
    sign_in(client, world["council"])
    response = client.post("/households/new", data=dict(BARE, is_elderly="1", sensitive_consent="1"))
    assert response.status_code == 302
    household = Household.get(Household.code == "KH-05-001")
    consent = Consent.get(Consent.household == household)
    assert (consent.person_name, consent.purpose, consent.form_version, consent.member_id) == (
        "ละออ ชูแก้ว", privacy.SENSITIVE_PURPOSE, privacy.CURRENT_FORM_VERSION, None)
    assert consent.recorded_by_id == world["council"].id and consent.given_on == local_today()


def test_withdrawing_the_last_consent_clears_the_sensitive_fields(client, world):
    """With a member's consent still on file the flags stay; withdrawing the last clears them, in the audit log."""
    household = world["household"]
    council = world["council"]
    member = world["member"]
    privacy.record_consent(household, {"member_id": member.id}, council)
    head, by_member = list(privacy.active_consents(household))
    sign_in(client, council)
    assert client.post(f"/consents/{head.id}/withdraw").status_code == 302
    assert Household.get_by_id(household.id).is_elderly is True, "the member's consent still holds"
    assert client.post(f"/consents/{by_member.id}/withdraw").status_code == 302
    cleared = Household.get_by_id(household.id)
    assert (cleared.is_elderly, cleared.is_low_income, cleared.disadvantaged_other) == (False, False, "")
    entry = AuditEntry.select().where(AuditEntry.action == "withdraw").order_by(AuditEntry.id.desc()).first()
    assert "is_elderly" in json.loads(entry.changes)
    page = client.get(f"/households/{household.id}/privacy").get_data(as_text=True)
    assert "ยังไม่มีความยินยอม" in page


def test_a_persons_export_holds_everything_and_is_logged(client, world):
    """The head's export (JSON and a Thai PDF) carries their name, phone, ID, flags, consents and history;
    a member's export their own details; each export is in the audit log and the view log."""
    household, member = world["household"], world["member"]
    sign_in(client, world["council"])
    record = client.get(f"/households/{household.id}/personal-data.json").get_json()
    assert record["person"]["full_name"] == "สมศรี ทองคำ"
    assert record["household"]["phone"] == household.phone and record["household"]["national_id"]
    assert record["consents"][0]["form_version"] == privacy.CURRENT_FORM_VERSION
    assert record["history"] and record["history"][0]["action"] == "create"
    pdf = client.get(f"/households/{household.id}/personal-data.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    for expected in ("ข้อมูลส่วนบุคคลที่เก็บไว้เกี่ยวกับ", "สมศรี ทองคำ", household.phone, "ความยินยอม"):
        assert contains(text, expected), expected
    mine = client.get(f"/households/{household.id}/personal-data.json?member_id={member.id}").get_json()
    assert mine["person"] == {"role": "member", "full_name": "มะลิ ทองคำ", "relationship": "", "birth_year": 2012}
    assert "phone" not in mine["household"], "the head's phone is not the member's data"
    assert AuditEntry.select().where(AuditEntry.action == "export").count() == 3
    assert PersonalDataView.select().where(PersonalDataView.what.contains("personal-data")).count() == 3


def test_erasing_the_head_keeps_sales_settlements_and_certificates(client, world):
    """After erasure the head's name, phone, ID, address and flags are gone everywhere, the earlier
    change history included; every sale, settlement and certificate and their figures are unchanged."""
    household = world["household"]
    old_name, old_phone = household.head_name, household.phone
    figures = (Sale.select().count(), [line.total_satang for line in SaleLine.select()],
               [(s.gross_satang, s.net_satang) for s in Settlement.select()], Certificate.select().count())
    sign_in(client, world["council"])
    refused = client.post(f"/households/{household.id}/erase", data={"confirm": "wrong"})
    assert refused.status_code == 400 and Household.get_by_id(household.id).head_name == old_name
    assert client.post(f"/households/{household.id}/erase", data={"confirm": "kh-01-001"}).status_code == 302
    erased = Household.get_by_id(household.id)
    assert erased.code == "KH-01-001" and erased.head_name == privacy.ERASED
    assert (erased.phone, erased.national_id, erased.address, erased.is_elderly, erased.display_name) == ("", "", "", False, "")
    assert not privacy.has_consent(erased)
    history = " ".join(entry.changes for entry in AuditEntry.select())
    assert old_name not in history and old_phone not in history
    assert AuditEntry.select().where(AuditEntry.action == "erase").count() == 1
    assert figures == (Sale.select().count(), [line.total_satang for line in SaleLine.select()],
                       [(s.gross_satang, s.net_satang) for s in Settlement.select()], Certificate.select().count())
    assert client.get(f"/c/{world['certificate'].number}").status_code == 200
    assert client.get(f"/market/settlements/{world['settlement'].id}.pdf").status_code == 200


def test_erasing_a_member_leaves_the_head(client, world):
    """A member's erasure anonymises that member only, through the API."""
    household, member = world["household"], world["member"]
    token = accounts.create_token(world["council"])
    answer = client.post(f"{API}/households/{household.id}/erase", json={"member_id": member.id},
                         headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert Member.get_by_id(member.id).full_name == privacy.ERASED
    assert Household.get_by_id(household.id).head_name == "สมศรี ทองคำ"


def test_views_of_personal_data_are_logged_for_admin(client, world):
    """Opening a household's page or the registry export is logged with who, what and when; admin reads the
    log; other roles cannot, and their pages (without personal data) are not logged."""
    household = world["household"]
    sign_in(client, staff("inspector", "ploy"))
    assert client.get(f"/households/{household.id}").status_code == 200
    assert client.get("/privacy/views").status_code == 403
    assert PersonalDataView.select().count() == 0
    sign_in(client, world["council"])
    client.get(f"/households/{household.id}")
    client.get("/households/export.csv")
    views = list(PersonalDataView.select().order_by(PersonalDataView.id))
    assert [(v.user_id, v.household_id, v.what) for v in views] == [
        (world["council"].id, household.id, f"/households/{household.id}"),
        (world["council"].id, None, "/households/export.csv")]
    page = client.get("/privacy/views").get_data(as_text=True)
    assert "/households/export.csv" in page and "council" in page


def test_retention_removes_old_attempts_views_and_import_files(app, world):
    """The maintenance rule removes sign-in attempts older than 90 days and views older than two years,
    and import files older than a day; newer ones stay."""
    old = utcnow() - datetime.timedelta(days=91)
    LoginAttempt.create(username="x", ip="1", succeeded=False, at=old)
    LoginAttempt.create(username="y", ip="1", succeeded=False)
    PersonalDataView.create(what="/old", at=utcnow() - datetime.timedelta(days=731))
    PersonalDataView.create(what="/new")
    removed = retention.apply_retention(app.instance_path)
    assert removed["login_attempts"] == 1 and removed["personal_data_views"] == 1
    assert [a.username for a in LoginAttempt.select()] == ["y"]
    assert [v.what for v in PersonalDataView.select()] == ["/new"]


def test_maintenance_command_applies_the_rule(tmp_path, database_url):
    """`python run.py maintenance` runs the retention rule and says what it removed."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, SECRET_KEY="k" * 32, DATABASE_URL=database_url)
    result = subprocess.run([sys.executable, "run.py", "maintenance"], cwd=root, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "login_attempts: 0 removed" in result.stdout


def test_the_pdpa_api_is_in_the_openapi_document(client):
    """Consents, export, erasure and the view log are described in /api/v1/openapi.json."""
    paths = client.get(f"{API}/openapi.json").get_json()["paths"]
    for path in ("/households/{household_id}/consents", "/consents/{consent_id}/withdraw",
                 "/households/{household_id}/personal-data", "/households/{household_id}/erase", "/personal-data-views"):
        assert path in paths, path
