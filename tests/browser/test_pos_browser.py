"""The POS at a tablet-sized counter in real Chromium: keyboard-wedge scans, the camera, refusals,
cash and PromptPay, the receipt. GM_SCREENSHOTS=1 also writes docs/screenshots/pos-th.png."""
import os

import pytest
import qrcode
import zxingcpp
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M
from qrcode.util import MODE_8BIT_BYTE, QRData

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.py skips every test here, with the reason
    expect = None

from market import promptpay
from market.models import Sale, SaleLine

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.support import qr_picture

TABLET = {"width": 1024, "height": 600}
BASE_URL = "http://market.test"  # GREENMARKET_BASE_URL of the test app: what the labels' QR codes hold
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def open_pos(market, new_page, **options):
    page = new_page(viewport=TABLET, **options) if options else new_page(viewport=TABLET)
    market["server"].sign_in(page, "kaew")
    page.goto(f"{market['server'].url}/pos")
    return page


def scan(page, text):
    """What a USB scanner does: type the label's content into whatever has focus, then Enter."""
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def recorded_sales(server):
    def read():
        return [(sale.total_satang, sale.payment_method, sale.tendered_satang,
                 sorted((line.batch.code, line.quantity_milli, line.total_satang) for line in sale.lines))
                for sale in Sale.select().order_by(Sale.id)]

    return server.seed(read)


def test_cashier_sells_three_scanned_labels_for_cash(market, new_page):
    """Three labels scanned back to back, a weight set on the kilo line, cash with change, one sale recorded."""
    page = open_pos(market, new_page)
    codes = market["codes"]
    assert page.evaluate("document.activeElement.dataset.testid") == "scan-input"
    for name in ("kale", "glory", "basket"):
        scan(page, f"{BASE_URL}/b/{codes[name]}")
    lines = page.get_by_test_id("cart-line")
    lines.nth(2).wait_for()
    assert lines.count() == 3
    assert "คะน้า" in lines.nth(0).inner_text() and "สวนป้าศรี" in lines.nth(0).inner_text()
    assert "ผักบุ้ง" in lines.nth(1).inner_text() and "ตะกร้าสานใบเตย" in lines.nth(2).inner_text()
    lines.nth(0).locator(".line-quantity").fill("1.25")
    assert page.get_by_test_id("cart-total").inner_text() == "฿210.00"  # 75 + 15 + 120
    scan_again = page.get_by_test_id("scan-input")
    scan_again.click()
    scan(page, codes["glory"].lower())  # typed by hand, a second bunch of the same batch
    expect(page.get_by_test_id("cart-total")).to_have_text("฿225.00")
    assert lines.count() == 3
    page.get_by_test_id("pay-cash").click()
    page.get_by_test_id("cash-tendered").fill("500")
    assert page.get_by_test_id("change").inner_text() == "฿275.00"
    page.get_by_test_id("confirm-payment").click()
    done = page.get_by_test_id("sale-done")
    done.wait_for()
    assert "฿275.00" in done.inner_text()
    assert recorded_sales(market["server"]) == [(22500, "cash", 50000, sorted([
        (codes["kale"], 1250, 7500), (codes["glory"], 2000, 3000), (codes["basket"], 1000, 12000)]))]
    with page.expect_popup() as popup:
        page.get_by_test_id("print-receipt").click()
    receipt = popup.value
    receipt.wait_for_load_state()
    assert "สวนป้าศรี" in receipt.get_by_test_id("receipt").inner_text()
    assert receipt.locator(".trace svg").count() == 1
    page.get_by_role("button", name="ลูกค้าคนถัดไป").click()
    assert page.get_by_test_id("cart-line").count() == 0
    assert page.evaluate("document.activeElement.dataset.testid") == "scan-input"


def test_suspended_and_sold_out_batches_are_stopped_with_the_reason(market, new_page):
    page = open_pos(market, new_page)
    scan(page, f"{BASE_URL}/b/{market['codes']['suspended']}")
    refusal = page.get_by_test_id("refusal-reason")
    refusal.wait_for()
    assert "ระงับ" in refusal.inner_text()
    scan(page, market["codes"]["sold_out"])
    expect(refusal).to_contain_text("ขายหมด")
    typo = market["codes"]["kale"][:-1] + ("2" if market["codes"]["kale"][-1] != "2" else "3")
    scan(page, typo)
    expect(refusal).to_contain_text("พิมพ์ผิด")
    scan(page, "https://evil.example/b/" + market["codes"]["kale"])
    expect(refusal).to_contain_text("พิมพ์ผิด")
    assert page.get_by_test_id("cart-line").count() == 0
    assert page.get_by_test_id("pay-cash").is_disabled()


def test_promptpay_shows_the_qr_for_the_exact_total(market, new_page, tmp_path):
    """The QR is drawn in the browser for the exact total; a phone camera (zxing) reads the payload."""
    page = open_pos(market, new_page)
    scan(page, market["codes"]["basket"])
    page.get_by_test_id("cart-line").wait_for()
    page.get_by_test_id("pay-promptpay").click()
    code = page.get_by_test_id("promptpay-qr")
    code.locator("svg").wait_for()
    payload = code.get_attribute("data-payload")
    assert "0066812345678" in payload and "5406120.00" in payload and "5802TH" in payload
    assert payload == promptpay.payload("0812345678", 12000), "the same payload the server would make"
    code.screenshot(path=tmp_path / "promptpay.png")
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(tmp_path / "promptpay.png"))] == [payload]
    page.get_by_test_id("confirm-payment").click()
    page.get_by_test_id("sale-done").wait_for()
    assert recorded_sales(market["server"])[0][:2] == (12000, "promptpay")


@pytest.mark.parametrize("text", ["x", "http://market.test/b/ABCD2345", "0" * 40,
                                  "00020101021229370016A000000677010111021312345678901235303764540612345.675802TH6304ABCD",
                                  "ตลาดเขียว" * 3, "A" * 104])
def test_the_browsers_qr_matrix_is_module_for_module_the_servers(market, new_page, text):
    """static/js/qr.js against the qrcode package (byte mode, level M, mask 2): the same modules."""
    page = open_pos(market, new_page)
    ours = page.evaluate("(text) => import('/static/js/qr.js').then((qr) => qr.qrMatrix(text))", text)
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, mask_pattern=2)
    code.add_data(QRData(text.encode(), mode=MODE_8BIT_BYTE))
    code.make(fit=True)
    assert ours == [list(row) for row in code.get_matrix()]


def _y4m(path, image, frames=20):
    """A Y4M video (YUV 4:2:0) of a still image, for Chromium's fake camera."""
    width, height = image.size
    luma = image.convert("L").tobytes()
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    with open(path, "wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            video.write(b"FRAME\n" + luma + chroma + chroma)


def _label_picture(url, size=(640, 480)):
    qr = qr_picture(url, 10)
    picture = Image.new("L", size, 235)
    picture.paste(qr, ((size[0] - qr.width) // 2, (size[1] - qr.height) // 2))
    return picture


def test_camera_scan_through_the_server_decoder(market, tmp_path, browser, page_problems):
    """Desktop Chromium has no BarcodeDetector: frames go to /api/v1/pos/decode and the batch is added."""
    video = tmp_path / "label.y4m"
    _y4m(video, _label_picture(f"{BASE_URL}/b/{market['codes']['kale']}"))
    url = market["server"].url.replace("127.0.0.1", "localhost")  # getUserMedia needs a secure context
    camera_browser = browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + [
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    try:
        context = camera_browser.new_context(viewport=TABLET, locale="th-TH")
        context.grant_permissions(["camera"])
        page = context.new_page()
        page.on("pageerror", lambda error: page_problems.append(f"JavaScript error: {error}"))
        page.goto(f"{url}/login")
        page.fill("#f-username", "kaew")
        page.fill("#f-password", "correct-horse-battery")
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        page.goto(f"{url}/pos")
        assert page.evaluate("'BarcodeDetector' in window") is False
        page.get_by_test_id("camera-button").click()
        line = page.get_by_test_id("cart-line")
        line.wait_for(timeout=20_000)
        assert "คะน้า" in line.inner_text()
        assert page.locator("#camera").is_hidden()
    finally:
        camera_browser.close()


def test_pos_fits_a_tablet_and_makes_the_readme_screenshot(market, new_page):
    page = open_pos(market, new_page)
    for name in ("kale", "glory", "basket"):
        scan(page, market["codes"][name])
    page.get_by_test_id("cart-line").nth(2).wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    assert page.get_by_test_id("pay-cash").bounding_box()["y"] + 40 < TABLET["height"] + 200
    if os.environ.get("GM_SCREENSHOTS") == "1":
        page.get_by_test_id("cart-line").nth(0).locator(".line-quantity").fill("1.25")
        page.screenshot(path=os.path.join(ROOT, "docs", "screenshots", "pos-th.png"))


def test_sale_lines_are_exactly_what_was_paid_for(market, new_page):
    """A line removed from the basket is not sold; a discount is taken off its line."""
    page = open_pos(market, new_page)
    scan(page, market["codes"]["kale"])
    scan(page, market["codes"]["basket"])
    page.get_by_test_id("cart-line").nth(1).wait_for()
    page.get_by_test_id("cart-line").nth(1).locator(".line-remove").click()
    page.get_by_test_id("weight-input").fill("1")
    page.get_by_test_id("cart-line").nth(0).locator(".line-discount").fill("10")
    assert page.get_by_test_id("cart-total").inner_text() == "฿50.00"
    page.keyboard.press("F2")
    page.get_by_test_id("confirm-payment").click()
    page.get_by_test_id("sale-done").wait_for()
    total, _method, _tendered, lines = recorded_sales(market["server"])[0]
    assert total == 5000 and [code for code, _q, _t in lines] == [market["codes"]["kale"]]
    assert market["server"].seed(lambda: SaleLine.get().discount_satang) == 1000
