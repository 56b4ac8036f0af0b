"""Hostile and malformed input at the POS counter, in real Chromium, as a cashier would meet it.

Junk, oversized, foreign and mistyped scans are refused with a Thai reason while the basket stays
empty and the scan input keeps focus; markup in a scan stays text and never runs; a code typed with
Thai digits, in lower case and with a dash, sells. Quantities that are not a positive number
(typed in the basket, or slipped past the POS into the request) never become a sale, and ๑๒ sells
12. Any script error or CSP violation on the page fails the test (tests/browser/conftest.py).
"""
import json
import re

from market.models import Sale, SaleLine
from traceability import codes as batch_codes
from traceability.models import Batch

from tests.browser.test_pos_browser import BASE_URL, open_pos, recorded_sales, scan

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.py skips every test here, with the reason
    expect = None

THAI = re.compile("[\u0e00-\u0e7f]")
MISTYPED = "พิมพ์ผิด"  # "This code is mistyped": the reason for anything that cannot be one of our codes
BAD_QUANTITY = "ตรวจจำนวน"  # "Check the quantities"
THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
# Every C0 control, DEL, C1 controls, zero-width and bidi marks, a BOM, a replacement character,
# and URL-ish bytes: what a damaged label or a scanner in the wrong mode sends.
JUNK = "".join(map(chr, range(32))) + "\x7f\x80\x9f\u200b\u202e\ufeff\ufffd/%ff%00\\"
BAD_QUANTITIES = ["-1", "0", "1e309", "NaN", "Infinity", "abc", ""]


def fill_and_enter(page, text):
    """For text no keyboard can type: put it in the scan input as it is, then Enter."""
    page.get_by_test_id("scan-input").fill(text)
    page.keyboard.press("Enter")


def wrong_check(code):
    """The code with its check symbol replaced by another one: a single mistyped symbol."""
    return code[:-1] + next(symbol for symbol in batch_codes.ALPHABET if symbol != code[-1])


def unknown_code(known):
    """A well-formed code (valid check symbol) that no batch has."""
    body = next(body for body in ("Z2Z3Z4Z", "Y5Y6Y7Y", "X8X9X2X")
                if all(not code.startswith(body) for code in known))
    return body + batch_codes.check_symbol(body)


def refuse_then_sell(page, what, send, text, reason, good_code):
    """Send one hostile scan, check it is refused as a cashier needs, then check a good label still sells."""
    refusal = page.get_by_test_id("refusal-reason")
    send(page, text)
    expect(refusal, f"{what}: refused").to_be_visible()
    expect(refusal, f"{what}: the reason").to_contain_text(reason)
    assert THAI.search(refusal.inner_text()), f"{what}: the reason is in Thai"
    expect(page.get_by_test_id("cart-line"), f"{what}: basket stays empty").to_have_count(0)
    expect(page.get_by_test_id("cart-total")).to_have_text("฿0.00")
    expect(page.get_by_test_id("scan-input"), f"{what}: the next label can be scanned at once").to_be_focused()
    expect(page.get_by_test_id("scan-input")).to_have_value("")
    scan(page, good_code)
    expect(page.get_by_test_id("cart-line"), f"{what}: a good scan after it sells").to_have_count(1)
    expect(refusal).to_be_hidden()
    page.get_by_test_id("cart-line").locator(".line-remove").click()
    expect(page.get_by_test_id("cart-line")).to_have_count(0)
    expect(page.get_by_test_id("scan-input")).to_be_focused()


def assert_no_sale_has_a_bad_quantity(server):
    """Every recorded line has a positive, finite quantity and the total its quantity and price make."""
    def lines():
        return [(line.quantity_milli, line.unit_price_satang, line.discount_satang, line.total_satang)
                for line in SaleLine.select()]

    def sales():
        return [(sale.total_satang, sum(line.total_satang for line in sale.lines)) for sale in Sale.select()]

    lines, sales = server.seed(lines), server.seed(sales)
    for quantity, price, discount, total in lines:
        assert isinstance(quantity, int) and 0 < quantity < 10**12
        assert total == (quantity * price + 500) // 1000 - discount
    assert all(total == of_lines for total, of_lines in sales)


def test_junk_foreign_and_mistyped_scans_are_refused_in_thai_and_the_next_label_sells(market, new_page):
    """Junk, 10,000 characters, a foreign URL, a bad check symbol, a path, a broken escape, an unknown code: refused."""
    page = open_pos(market, new_page)
    codes = market["codes"]
    kale = codes["kale"]
    cases = [
        ("control characters and binary junk", fill_and_enter, JUNK, MISTYPED),
        ("a real code 1,250 times over: 10,000 characters", fill_and_enter, kale * 1250, MISTYPED),
        ("10,000 characters in our own URL", fill_and_enter, f"{BASE_URL}/b/{kale}?" + "x" * 9_970, MISTYPED),
        ("another site's URL holding a real code", scan, f"https://evil.example/b/{kale}", MISTYPED),
        ("a wrong check symbol", scan, wrong_check(kale), MISTYPED),
        ("a path out of the web root", scan, "../../etc/passwd", MISTYPED),
        ("our URL with a broken percent escape", scan, f"{BASE_URL}/b/%E0%B8", MISTYPED),
        ("a well-formed code no batch has", scan, unknown_code(codes.values()), "ไม่พบ"),
    ]
    for what, send, text, reason in cases:
        refuse_then_sell(page, what, send, text, reason, codes["glory"])
    assert recorded_sales(market["server"]) == []


def test_markup_in_a_scan_is_shown_as_text_and_never_runs(market, new_page):
    """<script> and <img onerror> scanned: refused as mistyped, no dialog opens, nothing is injected."""
    page = open_pos(market, new_page)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for text in ("<script>alert(1)</script>", "<img src=x onerror=alert(document.domain)>",
                 '"><svg onload=alert(2)>'):
        refuse_then_sell(page, text, scan, text, MISTYPED, market["codes"]["basket"])
    page.wait_for_timeout(300)  # an onerror handler would run once the broken image failed to load
    assert dialogs == []
    assert page.locator("img[src='x'], svg[onload], [onerror]").count() == 0
    assert page.evaluate("[...document.scripts].some((script) => script.textContent.includes('alert'))") is False
    assert page.evaluate("document.getElementById('refusal').children.length") == 0


def test_a_code_typed_with_thai_digits_in_lower_case_with_a_dash_sells(market, new_page):
    """A real code typed as k๒h๓-m๔๕? on a Thai keyboard is the same code: the batch is added."""
    body = "K2H3M45"
    code = body + batch_codes.check_symbol(body)
    server = market["server"]
    server.seed(lambda: Batch.update(code=code).where(Batch.code == market["codes"]["glory"]).execute())
    page = open_pos(market, new_page)
    typed = batch_codes.format_code(code).lower().translate(THAI_DIGITS)
    assert typed.startswith("k๒h๓-m๔๕")
    scan(page, typed)
    line = page.get_by_test_id("cart-line")
    expect(line).to_have_count(1)
    expect(line).to_contain_text("ผักบุ้ง")
    expect(page.get_by_test_id("refusal-reason")).to_be_hidden()
    expect(page.get_by_test_id("scan-input")).to_be_focused()


def test_bad_quantities_never_sell_and_thai_digits_sell_twelve(market, new_page):
    """-1, 0, 1e309, NaN, Infinity, abc and empty cannot be paid, with a Thai reason; ๑๒ sells 12 bunches."""
    page = open_pos(market, new_page)
    glory = market["codes"]["glory"]
    scan(page, glory)
    quantity = page.get_by_test_id("cart-line").locator(".line-quantity")
    refusal = page.get_by_test_id("refusal-reason")
    for typed in BAD_QUANTITIES:
        quantity.fill(typed)
        expect(page.get_by_test_id("cart-total"), f"quantity {typed!r}").to_have_text("—")
        expect(page.get_by_test_id("pay-cash"), f"quantity {typed!r}").to_be_disabled()
        expect(page.get_by_test_id("pay-promptpay"), f"quantity {typed!r}").to_be_disabled()
        expect(refusal, f"quantity {typed!r}: the cashier is told why").to_contain_text(BAD_QUANTITY)
        assert THAI.search(refusal.inner_text())
        page.keyboard.press("F2")
        expect(page.get_by_test_id("confirm-payment"), f"quantity {typed!r}: no payment").to_be_hidden()
    assert recorded_sales(market["server"]) == []
    quantity.fill("๑๒")
    expect(page.get_by_test_id("cart-total")).to_have_text("฿180.00")
    expect(refusal).to_be_hidden()
    page.get_by_test_id("pay-cash").click()
    page.get_by_test_id("cash-tendered").fill("๒๐๐")
    expect(page.get_by_test_id("change")).to_have_text("฿20.00")
    page.get_by_test_id("confirm-payment").click()
    expect(page.get_by_test_id("sale-done")).to_be_visible()
    expect(page.get_by_test_id("done-change")).to_have_text("฿20.00")
    assert recorded_sales(market["server"]) == [(18000, "cash", 20000, [(glory, 12000, 18000)])]
    assert_no_sale_has_a_bad_quantity(market["server"])


def test_a_discount_the_line_cannot_carry_says_why(market, new_page):
    """A discount above the line's amount, or one that is not baht, cannot be paid, and the cashier reads why."""
    page = open_pos(market, new_page)
    scan(page, market["codes"]["glory"])
    discount = page.get_by_test_id("cart-line").locator(".line-discount")
    refusal = page.get_by_test_id("refusal-reason")
    for typed, reason in (("999", "ส่วนลดมากกว่ายอดของรายการ"), ("abc", "บาท")):
        discount.fill(typed)
        expect(page.get_by_test_id("pay-cash")).to_be_disabled()
        expect(refusal).to_contain_text(reason)
    discount.fill("5")
    expect(refusal).to_be_hidden()
    expect(page.get_by_test_id("cart-total")).to_have_text("฿10.00")


def test_a_bad_quantity_slipped_past_the_pos_is_refused_by_the_server_and_shown(market, new_page):
    """A sale whose quantity is rewritten to NaN on its way is a 400 the POS shows; every bad quantity is a 400."""
    page = open_pos(market, new_page, service_workers="block")  # so page.route sees the POS's own requests
    tampered = []

    def to_nan(route):
        body = route.request.post_data
        tampered.append(body)
        route.continue_(post_data=re.sub(r'"quantity":"[^"]*"', '"quantity":NaN', body))

    page.route("**/api/v1/sales", to_nan)
    scan(page, market["codes"]["basket"])
    expect(page.get_by_test_id("cart-line")).to_have_count(1)
    page.get_by_test_id("pay-cash").click()
    page.get_by_test_id("confirm-payment").click()
    refusal = page.get_by_test_id("refusal-reason")
    expect(refusal, "the reason is in front of the cashier").to_contain_text("ยังไม่ได้บันทึก")
    assert THAI.search(refusal.inner_text())
    expect(page.get_by_test_id("sale-done"), "no change, no receipt").to_be_hidden()
    expect(page.get_by_test_id("needs-attention")).to_be_hidden()
    expect(page.get_by_test_id("cart-line"), "the basket is kept").to_have_count(1)
    assert len(tampered) == 1 and json.loads(tampered[0])["lines"][0]["quantity"] == "1.000"
    page.unroute("**/api/v1/sales")
    statuses = page.evaluate("""async ([quantities, code, day]) => {
        const token = document.getElementById("pos").dataset.csrfToken;
        const answers = [];
        for (const quantity of quantities) {
          const body = `{"client_id": "${crypto.randomUUID()}", "market_day_id": ${day}, "payment": {"method": "cash"},
                         "lines": [{"batch_code": "${code}", "quantity": ${quantity}, "unit_price_satang": 12000}]}`;
          const response = await fetch("/api/v1/sales", {method: "POST", body, credentials: "same-origin",
            headers: {"Content-Type": "application/json", "X-CSRFToken": token, Accept: "application/json"}});
          answers.push([quantity, response.status, (await response.json()).error.message]);
        }
        return answers;
    }""", [["-1", "0", "1e309", "-1e309", "NaN", "Infinity", "-Infinity", '"abc"', '""', "null", '"NaN"',
            '"Infinity"', '"1e309"', '"-1"', '"0"', '"0.0001"', "true", "[]", "{}"],
           market["codes"]["basket"], market["day_id"]])
    for quantity, status, message in statuses:
        assert status == 400, f"quantity {quantity}: {status}"
        assert THAI.search(message), f"quantity {quantity}: {message}"
    assert recorded_sales(market["server"]) == []
