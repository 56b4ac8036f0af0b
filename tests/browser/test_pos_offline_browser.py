"""The POS with the network cut (Playwright's offline mode): a morning of sales kept on the tablet,
through reloads and a closed tab, then sent exactly once when the connection returns."""
import pytest

from market.models import Sale, SaleLine
from traceability import batches
from traceability.models import Batch

from tests.browser.test_pos_browser import TABLET, scan

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.py skips every test here, with the reason
    expect = None

SALES = 50


def big_batch(server, code):
    """Stock for fifty sales: morning glory by the bunch, 200 of them."""
    def grow():
        batch = Batch.get(Batch.code == code)
        Batch.update(quantity_milli=200_000).where(Batch.id == batch.id).execute()
    server.seed(grow)


def open_online(market, context):
    """Open the POS online once: the service worker installs and the counter's copy is filled."""
    page = context.new_page()
    server = market["server"]
    server.sign_in(page, "kaew")
    page.goto(f"{server.url}/pos")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled by the service worker
    expect(page.get_by_test_id("data-age")).not_to_be_empty()
    return page


def sell_one(page, code):
    scan(page, code)
    page.get_by_test_id("cart-line").first.wait_for()
    if page.get_by_test_id("weight-input").count():
        page.get_by_test_id("weight-input").fill("1")
    page.keyboard.press("F2")
    page.get_by_test_id("cash-tendered").press("Enter")
    page.get_by_test_id("sale-done").wait_for()
    page.get_by_role("button", name="ลูกค้าคนถัดไป").click()
    expect(page.get_by_test_id("cart-line")).to_have_count(0)


def server_sales(server):
    return server.seed(lambda: [(s.client_id, [(line.batch.code, line.quantity_milli) for line in s.lines])
                                for s in Sale.select().order_by(Sale.id)])


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport=TABLET, locale="th-TH", service_workers="allow")
    context.set_default_timeout(15_000)
    yield context
    context.close()


def test_a_morning_offline_reaches_the_server_once_each(market, context):
    """Offline: reload, 50 scanned sales, close and reopen the tab; online: exactly those 50 sales."""
    server, code = market["server"], market["codes"]["glory"]
    big_batch(server, code)
    page = open_online(market, context)
    context.set_offline(True)
    page.reload()
    expect(page.get_by_test_id("scan-input")).to_be_visible()
    for _ in range(SALES):
        sell_one(page, code)
    expect(page.get_by_test_id("pending-count")).to_have_text(str(SALES))
    assert page.get_by_test_id("offline").is_visible()
    page.close()
    assert server_sales(server) == [], "nothing reached the server while offline"

    page = context.new_page()
    page.goto(f"{server.url}/pos")  # from the service worker's cache
    expect(page.get_by_test_id("pending-count")).to_have_text(str(SALES))
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.get_by_test_id("pending-count")).to_have_text("0", timeout=60_000)
    sold = server_sales(server)
    assert len(sold) == SALES and len({client_id for client_id, _lines in sold}) == SALES
    assert all(lines == [(code, 1000)] for _client, lines in sold)
    assert server.seed(lambda: Batch.get(Batch.code == code).sold_milli) == SALES * 1000
    assert server.seed(lambda: SaleLine.select().count()) == SALES


def test_a_batch_recalled_while_offline_lands_in_needs_attention(market, context):
    server, code = market["server"], market["codes"]["kale"]
    page = open_online(market, context)
    context.set_offline(True)
    sell_one(page, code)
    expect(page.get_by_test_id("pending-count")).to_have_text("1")
    server.seed(lambda: batches.recall_batch(Batch.get(Batch.code == code), {"reason": "สงสัยสารตกค้าง"}, None))
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    attention = page.get_by_test_id("needs-attention")
    expect(attention).to_be_visible(timeout=30_000)
    expect(attention).to_contain_text("เรียกคืน")
    expect(page.get_by_test_id("pending-count")).to_have_text("0")
    assert server_sales(server) == []
    page.reload()
    expect(page.get_by_test_id("needs-attention")).to_contain_text("เรียกคืน")


def test_offline_refusals_come_from_the_counters_copy(market, context):
    """With no network the suspended household, the sold-out batch and a typo are still stopped."""
    server = market["server"]
    page = open_online(market, context)
    context.set_offline(True)
    page.reload()
    refusal = page.get_by_test_id("refusal-reason")
    scan(page, market["codes"]["suspended"])
    expect(refusal).to_contain_text("ระงับ")
    scan(page, market["codes"]["sold_out"])
    expect(refusal).to_contain_text("ขายหมด")
    typo = market["codes"]["kale"][:-1] + ("2" if market["codes"]["kale"][-1] != "2" else "3")
    scan(page, typo)
    expect(refusal).to_contain_text("พิมพ์ผิด")
    assert page.get_by_test_id("cart-line").count() == 0
    assert server_sales(server) == []


def test_promptpay_works_offline(market, context, tmp_path):
    """The QR for the exact amount is drawn on the tablet; the sale waits in the queue, then lands."""
    import zxingcpp
    from PIL import Image

    server = market["server"]
    page = open_online(market, context)
    context.set_offline(True)
    page.reload()
    scan(page, market["codes"]["basket"])
    page.get_by_test_id("cart-line").wait_for()
    page.get_by_test_id("pay-promptpay").click()
    code = page.get_by_test_id("promptpay-qr")
    code.locator("svg").wait_for()
    code.screenshot(path=tmp_path / "qr.png")
    payload = [r.text for r in zxingcpp.read_barcodes(Image.open(tmp_path / "qr.png"))]
    assert len(payload) == 1 and "5406120.00" in payload[0]
    page.get_by_test_id("confirm-payment").click()
    page.get_by_test_id("sale-done").wait_for()
    expect(page.get_by_test_id("pending-count")).to_have_text("1")
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.get_by_test_id("pending-count")).to_have_text("0", timeout=30_000)
    assert server.seed(lambda: [(s.total_satang, s.payment_method) for s in Sale.select()]) == [(12000, "promptpay")]


def test_the_server_going_down_in_the_middle_of_the_sync_loses_and_doubles_nothing(market, context):
    """Twenty offline sales; the server stops after a few are sent and comes back: twenty, once each."""
    import time

    server, code = market["server"], market["codes"]["glory"]
    big_batch(server, code)
    page = open_online(market, context)
    context.set_offline(True)
    for _ in range(20):
        sell_one(page, code)
    expect(page.get_by_test_id("pending-count")).to_have_text("20")

    def slowly(route):
        time.sleep(0.15)  # a slow connection, so the sync is still running when the server stops
        route.continue_()

    page.route("**/api/v1/sales", slowly)
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.get_by_test_id("pending-count")).not_to_have_text("20", timeout=20_000)
    port = int(server.url.rsplit(":", 1)[1])
    server.stop()
    left_when_stopped = int(page.get_by_test_id("pending-count").inner_text())
    time.sleep(2)
    server.start(port)
    expect(page.get_by_test_id("pending-count")).to_have_text("0", timeout=60_000)
    sold = server_sales(server)
    assert 0 < left_when_stopped < 20, "the server stopped in the middle of the sync"
    assert len(sold) == 20 and len({client_id for client_id, _ in sold}) == 20
    assert server.seed(lambda: Batch.get(Batch.code == code).sold_milli) == 20 * 1000
