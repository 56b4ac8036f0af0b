"""The counter and its money in real Chromium at 1024 x 600: lines that cannot be sold marked before
payment, a refused sale shown in front, void and refund from the browser, weighed goods typed or read
from a (simulated) Web Serial scale, the counter a tablet remembers."""
import uuid

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.py skips every test here, with the reason
    expect = None

from market import sales
from market.models import MarketDay, Refund, Sale, SaleLine
from traceability import batches
from traceability.models import Batch

from tests.browser.test_pos_browser import TABLET, open_pos, recorded_sales, scan

# A test double of navigator.serial: one port whose "scale" speaks a real protocol. The test puts
# goods on it with window.scale.put(grams); a continuous scale sends a line every 100 ms (unstable
# for the first two after a change), an MT-SICS scale answers S (weigh) and T (tare).
FAKE_SERIAL = """
(() => {
  const protocol = "%s";
  const encoder = new TextEncoder();
  let controller = null, gross = 0, tare = 0, settling = 0;
  const kg = (grams) => (grams / 1000).toFixed(3);
  const send = (text) => { if (controller) controller.enqueue(encoder.encode(text)); };
  window.scale = {put(grams) { gross = grams; settling = 2; }, written: []};
  const port = {
    readable: null, writable: null,
    async open(options) {
      window.scale.baudRate = options.baudRate;
      this.readable = new ReadableStream({start(c) { controller = c; }});
      this.writable = new WritableStream({write(chunk) {
        const command = new TextDecoder().decode(chunk).trim();
        window.scale.written.push(command);
        if (command === "S") send(`S S ${kg(gross - tare).padStart(10)} kg\\r\\n`);
        if (command === "T") { tare = gross; send(`T S ${kg(tare).padStart(10)} kg\\r\\n`); }
      }});
      if (protocol === "continuous") {
        setInterval(() => {
          const head = settling > 0 ? "US" : "ST";
          settling = Math.max(0, settling - 1);
          // split across two chunks, as a serial line arrives
          const line = `${head},GS,+${kg(gross).padStart(9, "0")}kg\\r\\n`;
          send(line.slice(0, 7));
          send(line.slice(7));
        }, 100);
      }
    },
    async close() {},
  };
  Object.defineProperty(navigator, "serial", {configurable: true,
    value: {requestPort: async () => port, getPorts: async () => [port]}});
})();
"""


def test_an_over_stock_line_is_marked_in_the_basket_before_payment(market, new_page):
    """25 bunches of a 20-bunch batch (5 % tolerance: 21 at most) are marked on the line, with the
    reason, and Pay stays off saying why; 21 can be paid."""
    page = open_pos(market, new_page)
    scan(page, market["codes"]["glory"])
    line = page.get_by_test_id("cart-line")
    expect(line).to_have_count(1)
    line.locator(".line-quantity").fill("25")
    marked = line.get_by_test_id("line-refusal")
    expect(marked).to_be_visible()
    expect(marked).to_contain_text("เหลือไม่พอ: ล็อตนี้ขายได้อีกเพียง 21 กำ")
    expect(page.get_by_test_id("pay-cash")).to_be_disabled()
    expect(page.get_by_test_id("refusal-reason")).to_contain_text("ผักบุ้ง")
    page.keyboard.press("F2")
    expect(page.get_by_test_id("confirm-payment")).to_be_hidden()
    line.locator(".line-quantity").fill("21")
    expect(marked).to_be_hidden()
    expect(page.get_by_test_id("refusal-reason")).to_be_hidden()
    expect(page.get_by_test_id("pay-cash")).to_be_enabled()
    assert recorded_sales(market["server"]) == []


def test_a_refused_sale_shows_its_reason_and_no_receipt_and_keeps_the_basket(market, new_page):
    """The basket's batch is recalled on the server after it was scanned: 'Payment received' shows the
    reason in front, no change and no receipt; the line is marked, the basket kept, and once the
    line is removed the rest is paid."""
    server = market["server"]
    page = open_pos(market, new_page)
    scan(page, market["codes"]["basket"])
    scan(page, market["codes"]["glory"])
    expect(page.get_by_test_id("cart-line")).to_have_count(2)
    server.seed(lambda: batches.recall_batch(Batch.get(Batch.code == market["codes"]["basket"]),
                                             {"reason": "ด้ายขึ้นรา"}, None))
    page.get_by_test_id("pay-cash").click()
    page.get_by_test_id("cash-tendered").fill("500")
    page.get_by_test_id("confirm-payment").click()
    refusal = page.get_by_test_id("refusal-reason")
    expect(refusal).to_contain_text("ไม่ได้บันทึก")
    expect(refusal).to_contain_text("เรียกคืน")
    expect(page.get_by_test_id("sale-done")).to_be_hidden()
    expect(page.get_by_test_id("print-receipt")).to_be_hidden()
    expect(page.get_by_test_id("needs-attention")).to_be_hidden()
    lines = page.get_by_test_id("cart-line")
    expect(lines).to_have_count(2)
    expect(lines.nth(0).get_by_test_id("line-refusal")).to_contain_text("เรียกคืน")
    expect(page.get_by_test_id("pay-cash")).to_be_disabled()
    assert recorded_sales(server) == []
    lines.nth(0).locator(".line-remove").click()
    expect(page.get_by_test_id("pay-cash")).to_be_enabled()
    page.get_by_test_id("pay-cash").click()
    page.get_by_test_id("confirm-payment").click()
    expect(page.get_by_test_id("sale-done")).to_be_visible()
    assert [total for total, *_rest in recorded_sales(server)] == [1500]


def _sell(server, day_id, *lines):
    """Record a cash sale the way the POS does, from the test's thread."""
    from market.models import Sale as SaleModel
    cashier = server.seed(lambda: __import__("core.models", fromlist=["User"]).User.get(username="kaew"))
    data = {"client_id": str(uuid.uuid4()), "market_day_id": day_id, "payment": {"method": "cash"},
            "lines": [{"batch_code": code, "quantity": quantity} for code, quantity in lines]}
    sale, _created = server.seed(sales.record_sale, data, cashier, "http://market.test")
    return server.seed(SaleModel.get_by_id, sale.id)


def test_a_cashier_voids_one_sale_and_refunds_half_a_line_from_the_browser(market, new_page):
    """Signed in, the cashier lands on the POS; from 'Sales today' she voids one sale (reason, then a
    confirmation saying what to give back) and refunds half a line of another, which prints a refund
    slip. Every change goes through the page's CSRF-protected forms; the Z-report agrees."""
    server, codes = market["server"], market["codes"]
    wrong = _sell(server, market["day_id"], (codes["basket"], "1"))
    kept = _sell(server, market["day_id"], (codes["glory"], "4"), (codes["basket"], "1"))  # ฿60 + ฿120
    page = new_page(viewport=TABLET)
    server.sign_in(page, "kaew")
    assert page.url.endswith("/pos"), "a cashier signs in to the POS"
    page.get_by_test_id("sales-today").click()
    expect(page.get_by_test_id("sales-list")).to_contain_text(str(wrong.id))

    page.fill("#f-number", str(wrong.id))
    page.get_by_role("button", name="เปิดรายการขาย").click()
    page.get_by_test_id("void-reason").fill("คีย์ผิด ลูกค้ายังไม่ได้จ่าย")
    page.get_by_test_id("void-sale").click()
    expect(page.get_by_test_id("undo-amount")).to_have_text("฿120.00")
    assert server.seed(lambda: Sale.get_by_id(wrong.id).voided_at) is None, "nothing happens before the confirmation"
    page.get_by_test_id("confirm-undo").click()
    expect(page.get_by_test_id("sale-void")).to_contain_text("คีย์ผิด")
    expect(page.get_by_test_id("void-sale")).to_have_count(0)

    page.goto(f"{server.url}/pos/sales/{kept.id}")
    glory_line = page.get_by_test_id("sale-line").nth(0)
    expect(glory_line.get_by_test_id("refund-quantity")).to_have_value("4")
    glory_line.get_by_test_id("refund-quantity").fill("2")
    glory_line.get_by_test_id("refund-reason").fill("ผักเหี่ยว")
    glory_line.get_by_test_id("refund-line").click()
    expect(page.get_by_test_id("undo-amount")).to_have_text("฿30.00")
    page.get_by_test_id("confirm-undo").click()
    expect(page.get_by_test_id("refund-receipt")).to_contain_text("ผักบุ้ง")
    expect(page.get_by_test_id("refund-amount")).to_have_text("฿30.00")
    expect(page.get_by_test_id("print")).to_be_visible()

    page.goto(f"{server.url}/pos/sales/{kept.id}")
    expect(page.get_by_test_id("sale-line").nth(0).get_by_test_id("refunded")).to_contain_text("2 กำ")
    page.get_by_test_id("void-reason").fill("ลูกค้าคืนทั้งหมด")
    page.get_by_test_id("void-sale").click()
    expect(page.locator(".error-text")).to_contain_text("ยกเลิกทั้งรายการไม่ได้")

    def figures():
        day = MarketDay.get_by_id(market["day_id"])
        from market import settlements
        report = settlements.z_report(day)
        return (report["expected_cash"], report["refunds"]["total"], report["voided"]["total"],
                Refund.get().quantity_milli, Batch.get(Batch.code == codes["glory"]).sold_milli)

    assert server.seed(figures) == (50000 + 18000 - 3000, 3000, 12000, 2000, 2000)


def test_a_weighed_product_waits_for_its_typed_weight(market, new_page):
    """After scanning kale the cursor is in its weight; Pay waits for it; the weight typed is what is charged,
    and a label scanned into the weight box sells as a label."""
    page = open_pos(market, new_page)
    scan(page, market["codes"]["kale"])
    weight = page.get_by_test_id("weight-input")
    expect(weight).to_be_focused()
    expect(weight).to_have_value("")
    expect(page.get_by_test_id("pay-cash")).to_be_disabled()
    expect(page.get_by_test_id("refusal-reason")).to_contain_text("น้ำหนัก")
    scan(page, market["codes"]["glory"])  # the scanner types into the weight box: it is a label, not a weight
    expect(page.get_by_test_id("cart-line")).to_have_count(2)
    expect(weight).to_have_value("")
    weight.click()
    page.keyboard.type("1.25")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("scan-input")).to_be_focused()
    expect(page.get_by_test_id("cart-total")).to_have_text("฿90.00")
    expect(page.get_by_test_id("cart-line").nth(0).locator(".line-total")).to_have_text("฿75.00")
    page.keyboard.press("F2")
    page.get_by_test_id("confirm-payment").click()
    expect(page.get_by_test_id("sale-done")).to_be_visible()
    assert recorded_sales(market["server"]) == [(9000, "cash", 9000, sorted([
        (market["codes"]["kale"], 1250, 7500), (market["codes"]["glory"], 1000, 1500)]))]


@pytest.mark.parametrize("protocol", ["continuous", "mt-sics"])
def test_a_weighed_product_is_read_from_a_web_serial_scale_with_tare(market, new_page, protocol):
    """A scale on Web Serial (a test double of navigator.serial speaking the protocol): the bowl is
    tared, the kale's stable net weight fills its line, and that weight is what is charged."""
    page = new_page(viewport=TABLET)
    page.add_init_script(FAKE_SERIAL % protocol)
    market["server"].sign_in(page, "kaew")
    page.goto(f"{market['server'].url}/pos")
    page.get_by_test_id("scale-button").click()
    page.get_by_test_id("scale-protocol").select_option(protocol)
    page.evaluate("window.scale.put(120)")  # the bowl
    page.get_by_test_id("scale-connect").click()
    reading = page.get_by_test_id("scale-reading")
    expect(reading).to_have_text("0.12 กก.")
    page.get_by_test_id("scale-tare").click()
    expect(reading).to_have_text("0 กก.")
    page.evaluate("window.scale.put(1470)")  # kale in the bowl
    page.get_by_test_id("scan-input").focus()
    scan(page, market["codes"]["kale"])
    weight = page.get_by_test_id("weight-input")
    expect(weight).to_have_value("1.350")
    expect(page.get_by_test_id("cart-total")).to_have_text("฿81.00")
    expect(page.get_by_test_id("scan-input")).to_be_focused()
    page.keyboard.press("F2")
    page.get_by_test_id("confirm-payment").click()
    expect(page.get_by_test_id("sale-done")).to_be_visible()
    assert recorded_sales(market["server"]) == [(8100, "cash", 8100, [(market["codes"]["kale"], 1350, 8100)])]
    if protocol == "mt-sics":
        assert "T" in page.evaluate("window.scale.written"), "MT-SICS tares on the scale itself"


def test_the_tablet_remembers_its_counter_and_shows_it_large(market, new_page):
    """With two counters open the tablet asks once; after a reload it sells at the same counter."""
    server = market["server"]
    server.seed(lambda: sales.open_market_day({"counter": "B", "opening_float": "300"},
                                              __import__("core.models", fromlist=["User"]).User.get(username="council")))
    page = open_pos(market, new_page)
    chooser = page.get_by_test_id("counter-chooser")
    expect(chooser).to_be_visible()
    chooser.get_by_test_id("counter-option").filter(has_text="B").click()
    expect(page.get_by_test_id("counter-name")).to_have_text("B")
    page.reload()
    expect(page.get_by_test_id("counter-name")).to_have_text("B")
    expect(chooser).to_be_hidden()
    assert page.get_by_test_id("counter-name").bounding_box()["height"] >= 30
    scan(page, market["codes"]["basket"])
    expect(page.get_by_test_id("pay-cash")).to_be_enabled()
    page.keyboard.press("F2")
    page.get_by_test_id("confirm-payment").click()
    expect(page.get_by_test_id("sale-done")).to_be_visible()
    assert server.seed(lambda: Sale.get().market_day.counter) == "B"


def test_the_secretariat_closes_the_day_settles_one_household_and_prints_its_statement(market, new_page):
    """Close the counter (the difference shown first, the note kept on the day page), settle one of two
    households owed, and print a statement that names the person paid and has places to sign."""
    from core import products
    from core.models import Household, User

    from tests.support import contains, pdf_text

    server, codes = market["server"], market["codes"]

    def second_household_basket():
        council = User.get(username="council")
        mat = products.create_product({"name_th": "เสื่อกระจูด", "name_en": "Sedge mat", "unit": "piece",
                                       "category": "handicraft", "default_price": "250"}, council)
        household = Household.get(code="KH-02-001")
        return batches.create_batch({"household_id": household.id, "product_id": mat.id, "quantity": "2",
                                     "harvest_date": MarketDay.get().market_date.isoformat()}, council).code

    mat = server.seed(second_household_basket)
    sold = _sell(server, market["day_id"], (codes["glory"], "4"), (codes["basket"], "1"))
    _sell(server, market["day_id"], (mat, "1"))
    cashier = server.seed(lambda: User.get(username="kaew"))
    server.seed(lambda: sales.refund_line(SaleLine.get(SaleLine.sale == sold.id, SaleLine.unit_price_satang == 1500),
                                          {"quantity": "2", "reason": "ผักเหี่ยว"}, cashier))

    page = new_page(viewport=TABLET)
    server.sign_in(page, "council")
    page.goto(f"{server.url}/market/days/{market['day_id']}")
    page.fill("#f-counted_cash", "885")
    page.fill("#f-notes", "ขาด 15 บาท ทอนเงินผิดตอนเช้า")
    page.get_by_test_id("close-day").get_by_role("button").click()
    box = page.get_by_test_id("confirm-close-box")
    expect(box).to_contain_text("฿900.00")  # float 500 + 60 + 120 + 250 in sales - 30 refunded
    expect(box).to_contain_text("-฿15.00")
    assert server.seed(lambda: MarketDay.get_by_id(market["day_id"]).is_open), "nothing closes before the confirmation"
    page.get_by_test_id("confirm-close").click()
    expect(page.get_by_test_id("closing-note")).to_contain_text("ขาด 15 บาท ทอนเงินผิดตอนเช้า")

    page.goto(f"{server.url}/market/settlements")
    rows = page.get_by_test_id("owed-row")
    expect(rows).to_have_count(2)
    rows.filter(has_text="KH-01-001").get_by_test_id("settle-one").click()
    table = page.get_by_test_id("settlement-table")
    expect(table).to_contain_text("KH-01-001")
    expect(table).not_to_contain_text("KH-02-001")
    expect(page.get_by_test_id("owed-row")).to_have_count(1)  # the other household is still owed
    table.get_by_role("link").first.click()
    expect(page.get_by_test_id("paid-to")).to_have_text("หัวหน้า KH-01-001")
    expect(page.get_by_test_id("net-payout")).to_have_text("฿150.00")  # 60 + 120 - 30, no commission
    pdf = page.request.get(server.url + page.get_by_test_id("settlement-pdf").get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.body())
    for expected in ("หัวหน้า KH-01-001", "สวนป้าศรี", "ผักบุ้ง", "ตะกร้าสานใบเตย", "-฿30.00", "฿150.00", "ลายมือชื่อ"):
        assert contains(text, expected), expected
    assert not contains(text, "เสื่อกระจูด")
