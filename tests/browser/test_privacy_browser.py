"""The PDPA pages as the council's secretariat uses them, in real Chromium with real CSRF, in Thai:
record a member's consent, fill the disadvantaged status, withdraw, export a person's data as PDF,
erase a person, and read who viewed personal data.
"""
import re

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.py skips every test here, with the reason
    expect = None

from core import households
from core.models import Household, PersonalDataView

from tests.support import contains, pdf_text

TABLET = {"width": 1024, "height": 600}


def test_secretariat_records_consent_exports_erases_and_reads_the_view_log(live_server, new_page):
    """Each PDPA step works through the pages on a tablet, and the database shows it."""
    admin = live_server.make_user("admin", "council")
    household = live_server.seed(households.create_household,
                                 {"code": "KH-04-002", "head_name": "ยุพิน ด้วงทอง", "village_no": "4"}, admin)
    member = live_server.seed(households.add_member, household, {"full_name": "เจริญ ด้วงทอง", "relationship": "บุตร"}, admin)
    page = new_page(TABLET)
    live_server.sign_in(page, "council")

    page.goto(f"{live_server.url}/households/{household.id}")
    page.get_by_test_id("privacy-link").click()
    expect(page.get_by_test_id("consent-state")).to_contain_text("ยังไม่มีความยินยอม")
    form = page.get_by_test_id("consent-form")
    form.locator("#f-member_id").select_option(str(member.id))
    form.locator("#f-given_on").fill("2026-11-30")
    form.get_by_test_id("record-consent").click()
    expect(page.locator(".flash-success")).to_have_text("บันทึกความยินยอมแล้ว")
    expect(page.get_by_test_id("consent-table")).to_contain_text("เจริญ ด้วงทอง")
    expect(page.get_by_test_id("consent-table")).to_contain_text("30 พ.ย. 2569")

    page.goto(f"{live_server.url}/households/{household.id}/edit")
    expect(page.get_by_test_id("consent-on-file")).to_contain_text("เจริญ ด้วงทอง")
    page.get_by_label("ผู้พิการ").check()
    page.get_by_test_id("household-save").click()
    expect(page).to_have_url(re.compile(rf"/households/{household.id}$"))
    assert live_server.seed(Household.get_by_id, household.id).is_disabled is True

    page.goto(f"{live_server.url}/households/{household.id}/privacy")
    href = page.get_by_test_id("export-pdf").get_attribute("href")
    answer = page.request.get(live_server.url + href)  # the link opens the PDF; fetched with the page's session
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    text = pdf_text(answer.body())
    assert contains(text, "ยุพิน ด้วงทอง") and contains(text, "ผู้พิการ")

    page.get_by_test_id("withdraw-consent").click()
    expect(page.locator(".flash-success")).to_contain_text("ถอนความยินยอมแล้ว")
    assert live_server.seed(Household.get_by_id, household.id).is_disabled is False

    erase = page.get_by_test_id("erase-form")
    erase.locator("#f-confirm").fill("KH-04-002")
    erase.get_by_test_id("erase-person").click()
    expect(page.locator(".flash-success")).to_contain_text("ลบข้อมูลส่วนบุคคลของ ยุพิน ด้วงทอง แล้ว")
    assert live_server.seed(Household.get_by_id, household.id).head_name == "(ลบตามคำขอ)"

    page.goto(f"{live_server.url}/privacy/views")
    expect(page.get_by_test_id("view-log")).to_contain_text(f"/households/{household.id}/personal-data.pdf")
    assert live_server.seed(lambda: PersonalDataView.select().count()) >= 4
