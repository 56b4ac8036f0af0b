"""The scripted week in real Chromium, in Thai: the secretariat imports each of the council's sample
sheets (mapping a column by hand in one, reading the bad rows of another), registers a household,
its plot and the plot's conversion date, and records harvests with B.E. dates typed the Thai way;
an inspector and the committee certify the household,
labels print only for what the counter may sell, the household page shows the certificate; a member
of the household sets up a phone from the invitation card, records a harvest the secretariat checks
and labels, and a diary entry the inspector confirms; a cashier sells both harvests, a shopper reads
the trace page, the phone shows the sale and the settlement, and the mass balance flags only the
planted fault.

Every page the week passes is pictured at 1024x600 and 390x844 into WEEK_SCREENSHOTS (a folder,
when set); GM_SCREENSHOTS=1 also writes the secretariat's home page on the demo data to
docs/screenshots/home-th.png.
"""
import datetime
import importlib
import os
import re

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.py skips every test here, with the reason
    expect = None

from certificates import yields
from certificates.standards import ensure_default_standards
from core import households, products
from core.demo import OCCUPATION_GROUPS
from core.models import Household, Plot, Product, User
from core.validation import local_today
from market import sales, settlements

from tests.browser.test_grower_browser import record_harvest_on_phone
from tests.support import SAMPLES, qr_texts

TABLET = {"width": 1024, "height": 600}
PHONE = {"width": 390, "height": 844}
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TODAY = local_today()  # Thailand's day, as the app counts it (from 17:00 UTC the server's date is a day behind)
BASE_URL = "http://market.test"  # the test app's GREENMARKET_BASE_URL
# Growers of the council's register who were PGS peers before this week (no disadvantaged status to consent to).
PEERS = ("KLH-601", "KLH-703", "KLH-704")


def fill_in(page, **fields):
    """Type each value into the form's field of that name (#f-<name>), in the order given."""
    for name, value in fields.items():
        page.fill(f"#f-{name}", value)


def thai_date(day):
    """A date as the secretariat types it: day/month/B.E. year."""
    return f"{day.day}/{day.month}/{day.year + 543}"


def thai_digits(day):
    """A date as written on a paper form, in Thai digits: ๑๕/๐๖/๒๕๖๙."""
    return f"{day.day:02d}/{day.month:02d}/{day.year + 543}".translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))


def what_the_sheets_do_not_hold():
    """The council's occupation groups, the products and the certifying body's yield norm: set up
    once on their own pages, not in the household sheets."""
    ensure_default_standards()
    for name_th, name_en, description in OCCUPATION_GROUPS:
        households.save_occupation_group({"name_th": name_th, "name_en": name_en, "description": description}, None)
    kale = products.create_product({"name_th": "คะน้า", "name_en": "Chinese kale", "unit": "kg",
                                    "category": "vegetable", "is_certifiable": True, "default_price": "60"}, None)
    products.create_product({"name_th": "ตะกร้าสานใบเตย", "name_en": "Pandan basket", "unit": "piece",
                             "category": "handicraft", "default_price": "120"}, None)
    yields.save_norm(kale, {"quantity_per_rai": "1500", "season_days": "90"}, None)


def upload(week, page, sheet):
    """Upload one of the council's sheets and land on the mapping step."""
    page.goto(f"{week.server.url}/households/import")
    page.get_by_test_id("import-file").set_input_files(os.path.join(SAMPLES, sheet))
    with page.expect_navigation():
        page.get_by_test_id("import-upload").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"จับคู่คอลัมน์ของ {sheet}")


def check_and_import(week, page, households_in_sheet, name):
    """Go from the mapping to the preview, then import; the flash names how many households came in."""
    with page.expect_navigation():
        page.get_by_test_id("import-check").click()
    expect(page.get_by_test_id("import-preview")).to_contain_text(f"พร้อมนำเข้า {households_in_sheet} ครัวเรือน")
    week.look(page, f"{name}-preview")
    with page.expect_navigation():
        page.get_by_test_id("import-commit").click()
    expect(page.locator(".flash")).to_contain_text(f"นำเข้าแล้ว {households_in_sheet} ครัวเรือน")


def households_at_start_of_week(week, council):
    """The registry the week starts from, imported from the council's own sheets through the wizard
    (samples/README.md states what each must give); three of the imported growers, PGS peers since
    last year, are then marked active on their own page. Returns {code: id} of the peers."""
    server = week.server
    server.seed(what_the_sheets_do_not_hold)

    # The register: header on line 4, the application date matched to the pledge date by hand.
    upload(week, council, "register-2568.xlsx")
    expect(council.get_by_test_id("header-line")).to_have_value("4")
    expect(council.get_by_test_id("import-unused")).to_contain_text("วันที่สมัคร")
    date_column = council.get_by_label("นำเข้าเป็น: วันที่สมัคร")
    expect(date_column).to_have_value("")
    week.look(council, "import-mapping")
    date_column.select_option(label="วันที่ให้คำมั่นเกษตรอินทรีย์")
    check_and_import(week, council, 25, "import-register")
    assert server.seed(lambda: {h.pledge_date.year for h in Household.select()}) == {2025}

    # The Windows-Thai CSV with old Mac line ends: the proposal is right as it stands.
    upload(week, council, "households-cp874-mac.csv")
    check_and_import(week, council, 15, "import-cp874")

    # The sheet with planted faults: each bad row by its line in the file, nothing to import.
    upload(week, council, "households-with-errors.xlsx")
    with council.expect_navigation():
        council.get_by_test_id("import-check").click()
    problems = council.get_by_test_id("import-problems")
    expect(problems).to_contain_text("พบปัญหา 5 จุด")
    assert [row.inner_text().split()[0] for row in problems.locator("tr.preview-bad").all()] == ["6", "10", "13", "17", "20"]
    expect(problems).to_contain_text("กลุ่มที่ใกล้เคียงที่สุด")
    assert council.get_by_test_id("import-commit").count() == 0
    week.look(council, "import-faults")
    assert server.seed(lambda: Household.select().count()) == 40

    peers = server.seed(lambda: {h.code: h.id for h in Household.select().where(Household.code.in_(PEERS))})
    for code in PEERS:
        council.goto(f"{server.url}/households/{peers[code]}/edit")
        council.select_option("#f-grower_status", "active")
        with council.expect_navigation():
            council.get_by_test_id("household-save").click()
    assert server.seed(lambda: Household.select().where(Household.grower_status == "active").count()) == 3
    return peers


def sell(cashier, code, kilos, cash, before_confirming=lambda: None):
    """Scan a label at the counter, type the weighed kilos, take cash and wait until the sale is recorded."""
    cashier.keyboard.type(f"{BASE_URL}/b/{code}")
    cashier.keyboard.press("Enter")
    cashier.get_by_test_id("cart-line").first.wait_for()
    cashier.get_by_test_id("cart-line").first.locator(".line-quantity").fill(kilos)
    cashier.get_by_test_id("pay-cash").click()
    cashier.get_by_test_id("cash-tendered").fill(cash)
    before_confirming()
    cashier.get_by_test_id("confirm-payment").click()
    cashier.get_by_test_id("sale-done").wait_for()


class Week:
    """The browser pages of one week, each person in their own context, pictured as they go."""

    def __init__(self, server, new_page):
        self.server, self.new_page = server, new_page
        self.folder = os.environ.get("WEEK_SCREENSHOTS")
        self.pictured = []

    def person(self, username, viewport=TABLET):
        page = self.new_page(viewport=viewport)
        self.server.sign_in(page, username)
        return page

    def look(self, page, name):
        """Check the page reads as Thai and fits a tablet and a phone without sideways scrolling (a
        wide list scrolls inside itself); picture it at both sizes when asked."""
        text = page.inner_text("body")
        assert "Traceback" not in text and "quantity_milli" not in text, name
        self.pictured.append(name)
        size = page.viewport_size
        for label, viewport in (("1024", TABLET), ("390", PHONE)):
            page.set_viewport_size(viewport)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), f"{name} at {label}"
            if self.folder:
                os.makedirs(self.folder, exist_ok=True)
                page.screenshot(path=os.path.join(self.folder, f"{len(self.pictured):02d}-{name}-{label}.png"),
                                full_page=label == "390")
        page.set_viewport_size(size)


def test_the_secretariats_first_week(live_server, new_page):
    """One week across every part, through the pages, as the people who do it."""
    server = live_server
    server.make_user("admin", "council")
    server.make_user("inspector", "ploy")
    server.make_user("inspector", "somchai", is_committee="1")
    server.make_user("cashier", "kaew")
    week = Week(server, new_page)

    # Monday: the secretariat imports the council's sheets, then registers a new applicant household and its plot.
    council = week.person("council")
    peers = households_at_start_of_week(week, council)
    council.goto(server.url)
    assert council.get_by_test_id("home-tasks").is_visible()
    menu = council.get_by_test_id("main-menu")
    assert menu.bounding_box()["height"] <= 60, "the menu takes one line at 1024x600"
    week.look(council, "home")
    council.goto(f"{server.url}/households/new")
    fill_in(council, code="KH-01-001", head_name="สมศรี ทองคำ", display_name="สวนป้าศรี", village_no="1")
    council.select_option("#f-grower_status", "applicant")
    week.look(council, "household-new")
    council.get_by_test_id("household-save").click()
    expect(council.locator("h1")).to_contain_text("KH-01-001")
    household_url = council.url
    council.get_by_role("link", name="เพิ่มแปลง").click()
    fill_in(council, name="แปลงผักริมคลอง", rai="0", ngan="1", wa="0")
    week.look(council, "plot-new")
    council.locator("main form button[type=submit]").click()
    expect(council.locator("main")).to_contain_text("1 งาน")
    assert "ตร.ว." in council.inner_text("main") or "งาน" in council.inner_text("main")
    # The household declared on its pledge that the plot has been farmed organically for 14 months:
    # the secretariat dates the conversion on the farm page (Thai digits, B.E.), the inspector verifies it.
    started = TODAY - datetime.timedelta(days=430)
    council.goto(household_url)
    council.get_by_role("link", name="บันทึกฟาร์ม").first.click()
    conversion = council.locator("form[action$='/record']")
    conversion.locator("[name=conversion_start]").fill(thai_digits(started))
    week.look(council, "plot-conversion")
    with council.expect_navigation():
        conversion.locator("button[type=submit]").click()
    expect(council.locator("[data-testid^=conversion-]")).to_contain_text(f"{started.year + 543}")

    # The harvests, opened from the household: only its plot is offered; B.E. dates typed by hand,
    # one in Thai digits as on the paper slip (๑๕/๐๖/๒๕๖๙), one as 15/6/2569.
    for quantity, typed, note in (("12.5", thai_digits(TODAY - datetime.timedelta(days=2)), ""),
                                  ("900", thai_date(TODAY - datetime.timedelta(days=1)), "planted fault")):
        council.goto(household_url)
        council.get_by_role("link", name="บันทึกการเก็บเกี่ยว").first.click()
        plots = council.locator("#f-plot_id option")
        assert plots.all_inner_texts()[0].startswith("แปลงผักริมคลอง · 1 งาน")
        assert all("KLH-" not in text for text in plots.all_inner_texts())
        council.select_option("#f-product_id", label="คะน้า (กก., ฿60.00)")
        fill_in(council, harvest_date=typed, quantity=quantity)
        if not note:
            week.look(council, "harvest-form")
        council.get_by_role("button", name="บันทึกการเก็บเกี่ยว").click()
        expect(council.get_by_test_id("batch-code")).to_be_visible()
    kale_url = council.url
    # A neighbour's harvest, from the batch list: the form asks for the household first.
    council.goto(f"{server.url}/batches/new")
    week.look(council, "harvest-choose-household")
    council.select_option("#f-household_id", str(peers["KLH-601"]))
    council.get_by_role("button", name="ถัดไป").click()
    council.select_option("#f-plot_id", "")
    council.select_option("#f-product_id", label="คะน้า (กก., ฿60.00)")
    fill_in(council, harvest_date=thai_date(TODAY), quantity="5")
    council.get_by_role("button", name="บันทึกการเก็บเกี่ยว").click()
    uncertified_url = council.url
    # Not yet certified: no labels, with the reason, for either household.
    council.goto(kale_url)
    expect(council.get_by_test_id("label-refusal")).to_contain_text("หน้าร้านขาย")
    week.look(council, "batch-refused")

    # Tuesday: the inspector schedules the visit from /inspections and records it with three peers
    # from three households; the decision waits for the committee.
    inspector = week.person("ploy")
    inspector.goto(f"{server.url}/inspections")
    inspector.get_by_test_id("schedule-inspection").click()
    inspector.select_option("#f-household_id", label="KH-01-001 · สวนป้าศรี · หมู่ที่ 1")
    inspector.fill("#f-scheduled_for", TODAY.isoformat())
    week.look(inspector, "inspection-new")
    inspector.get_by_role("button", name="นัดตรวจ").click()
    inspector.get_by_role("link", name="บันทึกผลการตรวจ").click()
    for number, (name, code) in enumerate((("นางสาวสมชาย แก้วมณี", "KLH-601"), ("นายประไพ บุญญา", "KLH-703"),
                                           ("นายสมพร แก้วมณี", "KLH-704")), start=1):
        inspector.fill(f"#f-inspector_name_{number}", name)
        inspector.select_option(f"#f-inspector_household_{number}", str(peers[code]))
    for radio in inspector.locator("input[type=radio][value=pass]").all():
        radio.check()
    week.look(inspector, "inspection-record")
    inspector.get_by_test_id("inspection-form").locator("button[type=submit]").click()
    expect(inspector.get_by_test_id("decision-waits")).to_be_visible()
    assert inspector.get_by_test_id("inspection-report").is_visible()
    inspection_url = inspector.url
    week.look(inspector, "inspection-recorded")

    # Wednesday: the committee approves and issues the certificate.
    committee = week.person("somchai")
    assert committee.get_by_test_id("task-decisions").is_visible()
    week.look(committee, "committee-home")
    committee.goto(inspection_url)
    committee.select_option("#f-outcome", "approve")
    committee.get_by_test_id("decide").click()
    committee.get_by_label("คะน้า").check()
    committee.get_by_label("แปลงผักริมคลอง", exact=False).check()
    week.look(committee, "certificate-new")
    committee.get_by_test_id("issue").click()
    expect(committee.get_by_test_id("certificate-state")).to_be_visible()
    number = committee.url.rstrip("/").split("/")[-1]
    assert number.startswith(f"KH-{TODAY.year + 543}-")

    # The household page shows the certificate at once; the grower is active now.
    council.goto(household_url)
    expect(council.get_by_test_id("certificate-number")).to_have_text(number)
    expect(council.get_by_test_id("certificate-status")).to_have_text("ใช้งาน")
    assert "ผู้ปลูกอินทรีย์" in council.inner_text("main")
    week.look(council, "household-certified")

    # Wednesday afternoon: the secretariat gives a member of the household a grower account and prints
    # its invitation card; the member sets a PIN on their phone from the card's QR code.
    accounts_card = council.locator("[data-testid=grower-accounts]")
    accounts_card.locator("input[name=name]").fill("มาลี ทองคำ")
    with council.expect_navigation():
        accounts_card.locator("[data-testid=add-account]").click()
    print_form = council.locator("[data-testid=account-kh-01-001-1] form").first
    card = council.context.request.post(server.url + print_form.get_attribute("action"), form={
        "csrf_token": print_form.locator("input[name=csrf_token]").input_value()})
    assert card.status == 200 and card.headers["content-type"] == "application/pdf"
    [link] = qr_texts(card.body())
    council.reload()
    week.look(council, "household-accounts")
    phone = week.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto(server.url + re.sub(r"^https?://[^/]+", "", link))
    week.look(phone, "invitation-setup")
    setup = phone.locator("[data-testid=setup-pin]")
    setup.locator("input[name=secret]").fill("480315")
    setup.locator("input[name=secret_again]").fill("480315")
    with phone.expect_navigation():
        setup.locator("button[type=submit]").click()
    assert phone.url.endswith("/me"), phone.url
    expect(phone.get_by_test_id("certificate-status")).to_have_text("ใช้งาน")
    week.look(phone, "grower-today")

    # On the phone: a harvest (it waits for the secretariat's check) and a diary entry for the inspector.
    kale_id, plot_id = server.seed(lambda: (Product.get(Product.name_th == "คะน้า").id,
                                            Plot.get(Plot.name == "แปลงผักริมคลอง").id))
    grower_code = record_harvest_on_phone(phone, str(kale_id), str(plot_id), thai_digits(TODAY), "๕")
    week.look(phone, "grower-harvests")
    phone.get_by_test_id("grower-nav").get_by_text("สมุดบันทึกฟาร์ม").click()
    diary = phone.get_by_test_id("diary-input-form")
    diary.locator("#f-plot_id").select_option(str(plot_id))
    diary.locator("#f-used_on").fill(thai_date(TODAY))
    diary.locator("#f-input_type").select_option("compost")
    diary.locator("#f-name").fill("ปุ๋ยหมักมูลวัว")
    with phone.expect_navigation():
        diary.locator("button[type=submit]").click()
    week.look(phone, "grower-diary")
    inspector.goto(f"{server.url}/households/{server.seed(lambda: Household.get(Household.code == 'KH-01-001').id)}/farm")
    mark = inspector.locator("[data-testid^=grower-entry-inputs-]")
    expect(mark).to_contain_text("บันทึกโดยเกษตรกร")
    mark.locator("summary").click()
    mark.locator("input[value=confirmed]").check()
    with inspector.expect_navigation():
        mark.locator("button[type=submit]").click()
    week.look(inspector, "farm-records-reviewed")
    phone.reload()
    expect(phone.get_by_test_id("diary-input").first.get_by_test_id("diary-review")).to_have_text("ผู้ตรวจยืนยันแล้ว")

    # The secretariat checks the phone's harvest from the home page's task and prints its labels.
    council.goto(server.url)
    council.get_by_test_id("task-harvests-to-check").click()
    council.goto(f"{server.url}/batches/{grower_code}/check")
    week.look(council, "harvest-check")
    with council.expect_navigation():
        council.get_by_test_id("confirm-check").click()
    with council.expect_popup() as popup:
        council.get_by_test_id("print-labels").click()
    assert popup.value.url.split("?")[0].endswith("/labels.pdf")
    phone.get_by_test_id("grower-nav").get_by_text("ผลผลิต").click()
    expect(phone.get_by_test_id("grower-harvest").first.get_by_test_id("harvest-state")).to_have_text(
        "ติดฉลากแล้ว วางขายได้")

    # Labels: the certified harvest prints, the neighbour's uncertified one is refused.
    council.goto(kale_url)
    with council.expect_popup() as popup:
        council.get_by_test_id("print-labels").click()
    assert popup.value.url.split("?")[0].endswith("/labels.pdf")
    pdf = council.request.get(popup.value.url)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    week.look(council, "batch-printable")
    council.goto(uncertified_url)
    expect(council.get_by_test_id("label-refusal")).to_be_visible()
    assert council.get_by_test_id("print-labels").count() == 0
    code = kale_url.rstrip("/").split("/")[-1]

    # Thursday: the market day opens and the cashier, who lands on the POS with no staff menu, sells.
    council.goto(f"{server.url}/market/days")
    fill_in(council, counter="A", opening_float="500")
    council.get_by_test_id("open-day").locator("button[type=submit]").click()
    cashier = week.person("kaew")
    assert cashier.url.endswith("/pos") and cashier.get_by_test_id("main-menu").count() == 0
    sell(cashier, code, "2", "200", lambda: week.look(cashier, "pos"))
    # The next customer buys a kilo of the harvest the grower recorded on the phone.
    cashier.locator("#next-customer").click()
    sell(cashier, grower_code, "1", "100")

    # Friday: a shopper scans the label at home; the trace page says certified.
    shopper = week.new_page(viewport=PHONE)
    shopper.goto(f"{server.url}/b/{code}")
    expect(shopper.get_by_test_id("certification-status")).to_contain_text("รับรอง")
    week.look(shopper, "trace")

    # The grower sees the sale on Today; the day is closed and settled, and the phone shows what is owed.
    phone.get_by_test_id("grower-nav").get_by_text("วันนี้").click()
    expect(phone.get_by_test_id("sale-today").first).to_contain_text("คะน้า")
    week.look(phone, "grower-today-sold")

    def close_and_settle():
        admin = User.get(User.username == "council")
        sales.close_market_day(sales.open_days()[0], {"counted_cash": "680"}, admin)
        return settlements.create_settlements({"period_start": TODAY.isoformat(), "period_end": TODAY.isoformat()}, admin)

    server.seed(close_and_settle)
    phone.get_by_test_id("grower-nav").get_by_text("ยอดขายและเงินที่ได้รับ").click()
    expect(phone.get_by_test_id("grower-settlement")).to_have_count(1)
    expect(phone.get_by_test_id("grower-settlement").get_by_test_id("settlement-status")).to_have_text("ยังไม่จ่าย")
    week.look(phone, "grower-sales")

    # The mass balance flags only the planted fault: 912.5 kg from one ngan.
    inspector.goto(f"{server.url}/market/mass-balance?alerts=1")
    flagged = inspector.locator("[data-testid=mass-balance] tbody tr.flagged")
    expect(flagged).to_have_count(1)
    assert "KH-01-001" in flagged.inner_text()
    assert flagged.get_by_test_id("flag-harvested_over_capacity").is_visible()
    week.look(inspector, "mass-balance")
    inspector.goto(f"{server.url}/households/{peers['KLH-601']}/farm")
    assert inspector.get_by_test_id("harvest-entry").count() == 1
    week.look(inspector, "farm-log")
    assert server.seed(lambda: Household.get(Household.code == "KH-01-001").grower_status) == "active"


def test_each_role_starts_on_its_own_home_on_the_demo_data(live_server, new_page):
    """On the demo data the secretariat sees its tasks, each a link to the page where it is done; the
    inspector sees inspections to record and files to screen (the demo's PGS body screens before the
    committee decides); the cashier lands on the POS."""
    for name in ("core", "certificates", "traceability", "market"):
        live_server.seed(importlib.import_module(f"{name}.demo").load_demo_data)
    live_server.make_user("admin", "council")
    live_server.make_user("inspector", "ploy")
    live_server.make_user("cashier", "kaew")
    council = new_page(viewport=TABLET)
    live_server.sign_in(council, "council")
    for testid in ("task-inspections", "task-screening", "task-expiring", "task-unlabelled", "task-open-days"):
        assert council.get_by_test_id(testid).is_visible(), testid
    assert council.get_by_test_id("main-menu").bounding_box()["height"] <= 60
    if os.environ.get("GM_SCREENSHOTS") == "1":
        council.screenshot(path=os.path.join(ROOT, "docs", "screenshots", "home-th.png"))
    count = int(council.get_by_test_id("task-unlabelled").locator(".task-count").inner_text())
    council.get_by_test_id("task-unlabelled").click()
    expect(council.locator("[data-testid=batch-table] tbody tr")).to_have_count(count)
    council.go_back()
    council.get_by_test_id("task-expiring").click()
    assert "ending=1" in council.url and council.locator("table.list tbody tr").count() == 1
    inspector = new_page(viewport=PHONE)
    live_server.sign_in(inspector, "ploy")
    assert inspector.get_by_test_id("task-inspections").is_visible()
    expect(inspector.get_by_test_id("task-screening")).to_contain_text("กลั่นกรอง")
    assert inspector.get_by_test_id("menu-market").count() == 0 and inspector.get_by_test_id("menu-settings").count() == 0
    cashier = new_page(viewport=TABLET)
    live_server.sign_in(cashier, "kaew")
    assert cashier.url.endswith("/pos") and cashier.get_by_test_id("main-menu").count() == 0
