"""The grower's own phone at 390 x 844, in Thai, against the real app in Chromium.

A grower of สวนป้าศรี records an input with a photo of the bag, records a harvest that the
secretariat checks and labels, sees a sale at the counter appear on Today, sees the settlement and
opens its statement, keeps a diary entry made with no connection and sends it once when the
connection is back; other households' pages and records are refused. GM_SCREENSHOTS=1 also writes
docs/screenshots/grower-today-phone-th.png.
"""
import datetime
import os
from pathlib import Path

from PIL import Image
from playwright.sync_api import expect

from certificates.models import Inspection, NonCompliance
from core import accounts
from core.models import Household
from market import sales, settlements
from market.models import Settlement
from traceability.models import Batch, LabelPrint

from tests.browser.test_pos_browser import BASE_URL, open_pos, scan
from tests.support import PASSWORD, pdf_text

PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("GROWER_SHOTS")  # a folder to keep screenshots of each page in, to look at them
ROOT = Path(__file__).resolve().parents[2]


def look(page, name):
    """Nothing wider than the phone; keep a screenshot where asked."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], f"{name} overflows the phone"
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def be_today():
    today = datetime.date.today()
    return f"{today.day:02d}/{today.month:02d}/{today.year + 543}"


def label_photo(tmp_path):
    path = tmp_path / "bag-label.jpg"
    Image.new("RGB", (1200, 900), (230, 200, 60)).save(path, "JPEG")
    return str(path)


def record_harvest_on_phone(phone, product, plot, harvest_date, quantity):
    """The grower records a harvest on the phone (product and plot by value or label); answers the
    new batch's code, shown as waiting for the secretariat's check."""
    phone.get_by_test_id("grower-nav").get_by_text("ผลผลิต").click()
    harvest = phone.get_by_test_id("harvest-form")
    harvest.locator("#f-product_id").select_option(product)
    harvest.locator("#f-plot_id").select_option(plot)
    harvest.locator("#f-harvest_date").fill(harvest_date)
    harvest.locator("#f-quantity").fill(quantity)
    with phone.expect_navigation():
        harvest.locator("button[type=submit]").click()
    mine = phone.get_by_test_id("grower-harvest").first
    expect(mine.get_by_test_id("harvest-state")).to_have_text("รอเลขาฯ ตรวจ")
    return mine.get_attribute("data-code")

def test_a_grower_keeps_the_diary_records_a_harvest_and_follows_sales_and_payouts(market, new_page, tmp_path):
    server = market["server"]
    household = server.seed(Household.get, Household.code == "KH-01-001")
    other = server.seed(Household.get, Household.code == "KH-02-001")
    server.seed(accounts.create_user, {"username": "somsri", "full_name": "สมศรี", "role": "grower",
                                       "password": PASSWORD}, household=household)
    server.seed(lambda: NonCompliance.create(
        inspection=Inspection.get(Inspection.household == household.id), description="ไม่มีป้ายแบ่งแนวกันชน",
        severity="minor", corrective_action="ปลูกแนวกันชนด้านทิศเหนือ",
        due_on=datetime.date.today() + datetime.timedelta(days=21)))
    phone = new_page(viewport=PHONE)
    server.sign_in(phone, "somsri")
    assert phone.url.endswith("/me")
    expect(phone.get_by_test_id("certificate-status")).to_have_text("ใช้งาน")
    expect(phone.get_by_test_id("grower-due")).to_contain_text("ปลูกแนวกันชนด้านทิศเหนือ")
    look(phone, "today")

    # The diary: an input picked from the register, with a photo of the bag's label.
    phone.get_by_test_id("grower-nav").get_by_text("สมุดบันทึกฟาร์ม").click()
    form = phone.get_by_test_id("diary-input-form")
    form.locator("#f-plot_id").select_option(label="แปลงผัก")
    form.locator("#f-used_on").fill(be_today())
    form.locator("#f-input_type").select_option("compost")
    form.locator("#f-name").fill("ปุ๋ยหมักมูลวัว")
    form.locator("#f-photo").set_input_files(label_photo(tmp_path))
    with phone.expect_navigation():
        form.locator("button[type=submit]").click()
    entry = phone.get_by_test_id("diary-input").first
    expect(entry).to_contain_text("ปุ๋ยหมักมูลวัว")
    expect(entry.get_by_test_id("diary-photo")).to_be_visible()
    assert phone.evaluate("document.querySelector('[data-testid=diary-photo]').naturalWidth") > 0
    expect(entry.get_by_test_id("diary-review")).to_have_text("ผู้ตรวจยังไม่ได้ดู")
    look(phone, "diary")

    # The inspector finds it in the farm records, marked as the grower's, and queries it.
    server.make_user("inspector", "ploy")
    inspector = new_page()
    server.sign_in(inspector, "ploy")
    inspector.goto(f"{server.url}/households/{household.id}/farm")
    mark = inspector.locator("[data-testid^=grower-entry-inputs-]")
    expect(mark).to_contain_text("บันทึกโดยเกษตรกร")
    mark.locator("summary").click()
    mark.locator("input[value=queried]").check()
    mark.locator("input[name=review_comment]").fill("ขอดูใบเสร็จค่าปุ๋ย")
    with inspector.expect_navigation():
        mark.locator("button[type=submit]").click()
    if SHOTS:
        inspector.screenshot(path=os.path.join(SHOTS, "farm-records-inspector.png"), full_page=True)
    phone.reload()
    expect(phone.get_by_test_id("diary-input").first.get_by_test_id("diary-review")).to_have_text(
        "ผู้ตรวจมีคำถาม: ขอดูใบเสร็จค่าปุ๋ย")

    # No connection: the entry is kept on the phone, then sent once when the connection is back.
    phone.context.set_offline(True)
    activity = phone.get_by_test_id("diary-activity-form")
    activity.locator("#f-plot_id").select_option(label="แปลงผัก")
    activity.locator("#f-done_on").fill(be_today())
    activity.locator("#f-activity").select_option("care")
    activity.locator("#f-notes").fill("ถอนหญ้าแปลงคะน้า")
    activity.locator("button[type=submit]").click()
    expect(phone.get_by_test_id("pending-count")).to_have_attribute("data-count", "1")
    expect(phone.get_by_test_id("offline-note")).to_be_visible()
    look(phone, "diary-offline")
    phone.context.set_offline(False)
    expect(phone.get_by_test_id("pending-count")).to_have_attribute("data-count", "0")
    phone.reload()
    expect(phone.get_by_test_id("diary-activity").filter(has_text="ถอนหญ้าแปลงคะน้า")).to_have_count(1)

    # A harvest, typed in B.E. with Thai digits: it waits for the secretariat's check.
    code = record_harvest_on_phone(phone, "ผักบุ้ง", "แปลงผัก", be_today(), "๑๒")
    look(phone, "harvests")

    # The secretariat checks it and prints its labels.
    server.make_user("admin", "council2")
    council = new_page()
    server.sign_in(council, "council2")
    council.goto(f"{server.url}/batches/{code}/check")
    with council.expect_navigation():
        council.get_by_test_id("confirm-check").click()
    with council.expect_popup() as popup:
        council.get_by_test_id("print-labels").click()
    assert popup.value.url.split("?")[0].endswith("/labels.pdf")
    assert server.seed(lambda: LabelPrint.select().join(Batch).where(Batch.code == code).count()) == 1
    phone.reload()
    expect(phone.get_by_test_id("grower-harvest").first.get_by_test_id("harvest-state")).to_have_text("ติดฉลากแล้ว วางขายได้")

    # A sale at the counter appears on Today.
    phone.get_by_test_id("grower-nav").get_by_text("วันนี้").click()
    expect(phone.get_by_test_id("sales-today-total")).to_have_text("฿0.00")
    counter = open_pos(market, new_page)
    scan(counter, f"{BASE_URL}/b/{code}")
    counter.get_by_test_id("cart-line").first.wait_for()
    counter.get_by_test_id("pay-cash").click()
    counter.get_by_test_id("cash-tendered").fill("100")
    counter.get_by_test_id("confirm-payment").click()
    counter.get_by_test_id("sale-done").wait_for()
    phone.reload()
    expect(phone.get_by_test_id("sales-today-total")).to_have_text("฿15.00")
    expect(phone.get_by_test_id("sale-today")).to_contain_text("ผักบุ้ง")
    expect(phone.get_by_test_id("owed-total")).to_have_text("฿15.00")
    look(phone, "today-after-sale")
    if os.environ.get("GM_SCREENSHOTS") == "1":
        phone.screenshot(path=os.path.join(ROOT, "docs", "screenshots", "grower-today-phone-th.png"))

    # The day is closed and settled: the grower sees the settlement and opens its statement.
    admin = server.seed(lambda: accounts.User.get(accounts.User.username == "council"))
    today = datetime.date.today().isoformat()

    def close_and_settle():
        day = sales.open_days()[0]
        sales.close_market_day(day, {"counted_cash": "515"}, admin)
        return settlements.create_settlements({"period_start": today, "period_end": today}, admin)

    made = server.seed(close_and_settle)
    phone.get_by_test_id("grower-nav").get_by_text("ยอดขายและเงินที่ได้รับ").click()
    settlement = phone.get_by_test_id("grower-settlement")
    expect(settlement).to_have_count(1)
    expect(settlement.get_by_test_id("settlement-status")).to_have_text("ยังไม่จ่าย")
    expect(phone.get_by_test_id("grower-sale-row").first).to_contain_text("ผักบุ้ง")
    look(phone, "sales")
    statement = phone.request.get(server.url + settlement.get_by_test_id("statement-link").get_attribute("href"))
    assert statement.status == 200 and statement.headers["content-type"] == "application/pdf"
    assert "฿15.00" in pdf_text(statement.body())

    # Everything of another household, and every staff page, is refused.
    theirs = server.seed(lambda: Settlement.get_or_none(Settlement.household == other.id))
    refused = [f"/households/{other.id}", f"/households/{household.id}", "/batches", "/market/settlements",
               f"/api/v1/households/{other.id}", f"/api/v1/batches/{market['codes']['suspended']}"]
    for path in refused:
        assert phone.request.get(server.url + path, max_redirects=0).status == 403, path
    mine_ids = {s.id for s in made if s.household_id == household.id}
    assert theirs is None or theirs.id not in mine_ids
    for settlement_id in {s.id for s in made} - mine_ids:
        assert phone.request.get(f"{server.url}/me/settlements/{settlement_id}.pdf").status == 404
    assert phone.request.post(f"{server.url}/me/harvests/{market['codes']['suspended']}/labels.pdf").status in (400, 404)
