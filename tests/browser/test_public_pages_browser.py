"""What a shopper sees on a phone (390 x 844, JavaScript off): the trace page and the certificate check.

GM_SCREENSHOTS=1 also writes docs/screenshots/trace-phone-th.png and verify-phone-th.png.
"""
import datetime
import os

import pytest

from certificates import certification
from certificates.standards import ensure_default_standards
from core import households, products
from traceability import batches

from tests.browser.seeds import certify

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.py skips every test here, with the reason
    expect = None

PHONE = {"width": 390, "height": 844}
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PERSONAL = ("081-234-5678", "1101700230708", "สมศรี ทองคำ", "12 หมู่ที่ 1")


def seed(committee):
    """A certified household (its phone and ID recorded), a plot, kale, and one batch."""
    today = datetime.date.today()
    ensure_default_standards()
    household = households.create_household({
        "code": "KH-01-001", "head_name": "สมศรี ทองคำ", "display_name": "สวนผักอินทรีย์ป้าศรีริมคลองแห",
        "village_no": "1", "address": "12 หมู่ที่ 1", "phone": "081-234-5678", "national_id": "1101700230708",
        "is_elderly": "1", "sensitive_consent": "1", "grower_status": "active", "pledge_date": "2024-01-15"},
        committee)
    plot = households.create_plot(household, {"name": "แปลงริมคลอง", "area_m2": "1600"}, committee)
    kale = products.create_product({"name_th": "คะน้า", "name_en": "Chinese kale", "unit": "kg", "category": "vegetable",
                                    "default_price": "60"}, committee)
    certificate = certify(household, plot, [kale], committee, today)
    batch = batches.create_batch({"household_id": household.id, "product_id": kale.id, "plot_id": plot.id,
                                  "harvest_date": today.isoformat(), "quantity": "10"}, committee)
    return batch.code, certificate.number


@pytest.fixture
def shop(live_server):
    committee = live_server.make_user("admin", "council")
    code, number = live_server.seed(seed, committee)
    return {"server": live_server, "code": code, "number": number, "committee": committee}


def phone(new_page):
    return new_page(viewport=PHONE, java_script_enabled=False)


def in_first_screen(locator):
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]


def assert_fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    text = page.inner_text("body")
    for value in PERSONAL:
        assert value not in text, value


def test_trace_page_on_a_phone_shows_origin_and_live_status_first(shop, new_page):
    page = phone(new_page)
    page.goto(f"{shop['server'].url}/b/{shop['code']}")
    status = page.get_by_test_id("certification-status")
    assert in_first_screen(status) and "ได้รับการรับรอง" in status.inner_text()
    assert in_first_screen(page.get_by_test_id("product-name"))
    assert in_first_screen(page.get_by_test_id("household"))
    assert "สวนผักอินทรีย์ป้าศรีริมคลองแห" in page.get_by_test_id("household").inner_text()
    assert_fits_the_phone(page)
    if os.environ.get("GM_SCREENSHOTS") == "1":
        page.screenshot(path=os.path.join(ROOT, "docs", "screenshots", "trace-phone-th.png"))
    page.get_by_test_id("certificate-link").click()
    expect(page.get_by_test_id("certificate-status")).to_contain_text("ได้รับการรับรอง")
    assert page.url.endswith(f"/c/{shop['number']}")
    assert_fits_the_phone(page)
    if os.environ.get("GM_SCREENSHOTS") == "1":
        page.screenshot(path=os.path.join(ROOT, "docs", "screenshots", "verify-phone-th.png"))


def test_english_is_one_tap_away_and_comes_back_to_the_same_batch(shop, new_page):
    page = phone(new_page)
    page.goto(f"{shop['server'].url}/b/{shop['code']}")
    page.get_by_test_id("lang-en").click()
    expect(page.get_by_test_id("product-name")).to_have_text("Chinese kale")
    assert f"/b/{shop['code']}" in page.url
    assert "Certified organic" in page.get_by_test_id("certification-status").inner_text()


def test_a_suspension_shows_on_both_pages_at_once(shop, new_page):
    shop["server"].seed(lambda: certification.suspend(
        certification.Certificate.get(certification.Certificate.number == shop["number"]),
        {"reason": "พบการใช้ปุ๋ยเคมี"}, shop["committee"]))
    page = phone(new_page)
    page.goto(f"{shop['server'].url}/b/{shop['code']}")
    expect(page.get_by_test_id("certification-status")).to_have_class("status status-suspended")
    page.goto(f"{shop['server'].url}/c/{shop['number']}")
    expect(page.get_by_test_id("certificate-status")).to_contain_text("ระงับ")
    assert in_first_screen(page.get_by_test_id("certificate-status"))


def test_mistyped_and_unknown_codes_on_a_phone(shop, new_page):
    page = phone(new_page)
    code = shop["code"]
    typo = code[:-1] + ("2" if code[-1] != "2" else "3")
    response = page.goto(f"{shop['server'].url}/b/{typo}")
    assert response.status == 400
    assert "พิมพ์ผิด" in page.get_by_test_id("trace-problem").inner_text()
    assert_fits_the_phone(page)
    response = page.goto(f"{shop['server'].url}/b/ZZZZZZZ{code[-1]}")
    assert response.status in (400, 404)
    assert_fits_the_phone(page)
