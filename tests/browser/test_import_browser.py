"""The household import wizard in real Chromium, as the council secretariat uses it on a 1024 × 600
tablet: the council's own register uploaded, one column matched by hand, checked and imported.

GM_IMPORT_SCREENSHOTS=folder also writes a picture of every wizard screen (tablet and phone) there.
"""
import os

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.py skips every test here, with the reason
    expect = None

from core import households
from core.demo import OCCUPATION_GROUPS
from core.models import Household

from tests.support import SAMPLES

TABLET = {"width": 1024, "height": 600}
PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("GM_IMPORT_SCREENSHOTS")


@pytest.fixture
def secretariat(live_server):
    """The council's admin and its five occupation groups."""
    for name_th, name_en, description in OCCUPATION_GROUPS:
        live_server.seed(households.save_occupation_group,
                         {"name_th": name_th, "name_en": name_en, "description": description}, None)
    return live_server.make_user("admin", "council")


def picture(page, name):
    """Keep a full-page picture of the screen when asked to (GM_IMPORT_SCREENSHOTS)."""
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def fits_the_width(page):
    """Nothing on the page is wider than the screen (no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("viewport, device", [(TABLET, "tablet"), (PHONE, "phone")])
def test_secretariat_imports_the_councils_register_matching_the_date_column_by_hand(
        live_server, secretariat, new_page, viewport, device):
    """Upload register-2568.xlsx, see the header found on line 4 and the unused columns, match
    วันที่สมัคร to the pledge date by hand, check 25 good rows, import them: dates in 2025."""
    page = new_page(viewport=viewport)
    live_server.sign_in(page, "council")
    page.goto(f"{live_server.url}/households/import")
    picture(page, f"1-upload-{device}")
    assert fits_the_width(page)
    page.get_by_test_id("import-file").set_input_files(os.path.join(SAMPLES, "register-2568.xlsx"))
    with page.expect_navigation():
        page.get_by_test_id("import-upload").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("จับคู่คอลัมน์ของ register-2568.xlsx")
    expect(page.get_by_test_id("header-line")).to_have_value("4")
    expect(page.get_by_test_id("import-unused")).to_contain_text("ลำดับ")
    expect(page.get_by_test_id("import-unused")).to_contain_text("วันที่สมัคร")
    date_column = page.get_by_label("นำเข้าเป็น: วันที่สมัคร")
    expect(date_column).to_have_value("")
    picture(page, f"2-mapping-{device}")
    assert fits_the_width(page)
    date_column.select_option(label="วันที่ให้คำมั่นเกษตรอินทรีย์")
    with page.expect_navigation():
        page.get_by_test_id("import-check").click()

    expect(page.get_by_test_id("import-preview")).to_contain_text("พร้อมนำเข้า 25 ครัวเรือน")
    expect(page.get_by_test_id("import-preview")).to_contain_text("28 ก.พ. 2568")  # KLH-601's date, in B.E.
    picture(page, f"3-preview-{device}")
    assert fits_the_width(page)
    with page.expect_navigation():
        page.get_by_test_id("import-commit").click()
    expect(page.locator(".flash")).to_contain_text("นำเข้าแล้ว 25 ครัวเรือน")
    picture(page, f"4-imported-{device}")
    assert live_server.seed(lambda: Household.select().count()) == 25
    assert live_server.seed(lambda: {h.pledge_date.year for h in Household.select()}) == {2025}


@pytest.mark.parametrize("viewport, device", [(TABLET, "tablet"), (PHONE, "phone")])
def test_the_faults_of_a_sheet_are_listed_by_line_in_thai(live_server, secretariat, new_page, viewport, device):
    """households-with-errors.xlsx: the preview lists rows 6, 10, 13, 17 and 20, offers no import button."""
    page = new_page(viewport=viewport)
    live_server.sign_in(page, "council")
    page.goto(f"{live_server.url}/households/import")
    page.get_by_test_id("import-file").set_input_files(os.path.join(SAMPLES, "households-with-errors.xlsx"))
    with page.expect_navigation():
        page.get_by_test_id("import-upload").click()
    expect(page.get_by_test_id("words-occupation_groups")).to_contain_text("ยังไม่มีกลุ่มชื่อนี้")
    picture(page, f"5-mapping-faults-{device}")
    with page.expect_navigation():
        page.get_by_test_id("import-check").click()
    problems = page.get_by_test_id("import-problems")
    expect(problems).to_contain_text("พบปัญหา 5 จุด")
    lines = [row.inner_text().split()[0] for row in problems.locator("tr.preview-bad").all()]
    assert lines == ["6", "10", "13", "17", "20"]
    expect(page.get_by_test_id("import-commit")).to_have_count(0)
    picture(page, f"6-problems-{device}")
    assert fits_the_width(page)
    assert live_server.seed(lambda: Household.select().count()) == 0
