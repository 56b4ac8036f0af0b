"""The certifying body's week in the browser: publish a new PGS version with a changed criterion, classify
an unknown input, inspect a farm with photos from a phone (real JPEGs made here with Pillow), screen,
decide, and issue a certificate that covers only the plot past conversion; the trace page says
"in conversion until <date>" only for the produce of the converting plot.

GM_SCREENSHOTS=DIR also writes a picture of each step into DIR.
"""
import datetime
import io
import os

import pypdfium2
import pytest
from PIL import Image, ImageDraw

from certificates import inputs, records, standards
from certificates.models import CertifyingBody, Standard
from certificates.standards import ensure_default_standards
from core import households, products
from traceability import batches

from tests.support import pgs_peers

PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("GM_SCREENSHOTS", "")
CERTIFIED = "ได้รับการรับรองเกษตรอินทรีย์"
VIEWS = ["north", "east", "south", "west", "water", "input_store"]


def shot(page, name):
    if SHOTS and os.path.isdir(SHOTS):
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def photo(n):
    """A JPEG as a phone camera makes it: 1600x1200, some detail, EXIF with a GPS position."""
    picture = Image.new("RGB", (1600, 1200), (30 + 30 * n, 120, 60))
    draw = ImageDraw.Draw(picture)
    for x in range(0, 1600, 80):
        draw.line([(x, 0), (x + 300, 1200)], fill=(240, 240, 200), width=6)
    exif = Image.Exif()
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (7.0, 3.0, 15.0)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=90, exif=exif.tobytes())
    return out.getvalue()


def seed(chair):
    """A grower with an old plot past conversion and a new one converting, kale, an input nobody classified."""
    today = datetime.date.today()
    ensure_default_standards()
    pgs = Standard.get(Standard.code == "PGS-KH")
    inputs.load_seed(chair, standards.current_version(pgs))
    CertifyingBody.update(requires_screening=True).where(CertifyingBody.kind == "pgs").execute()
    household = households.create_household({"code": "KH-03-004", "head_name": "อารีย์ ศรีสุข", "display_name": "สวนยายอารีย์",
                                             "village_no": "3", "grower_status": "active", "pledge_date": "2024-03-01"}, chair)
    old = households.create_plot(household, {"name": "แปลงหน้าบ้าน", "area_m2": "1600"}, chair)
    new = households.create_plot(household, {"name": "แปลงริมคลองใหม่", "area_m2": "800"}, chair)
    records.save_plot_record(old, {"conversion_start": (today - datetime.timedelta(days=800)).isoformat()}, chair)
    records.save_plot_record(new, {"conversion_start": (today - datetime.timedelta(days=90)).isoformat()}, chair)
    records.add_input(household, {"plot_id": new.id, "used_on": (today - datetime.timedelta(days=20)).isoformat(),
                                  "input_type": "bio_extract", "name": "น้ำหมักหน่อกล้วย"}, chair)
    kale = products.create_product({"name_th": "คะน้า", "unit": "kg", "category": "vegetable", "is_certifiable": True,
                                    "default_price": "60"}, chair)
    old_batch = batches.create_batch({"household_id": household.id, "product_id": kale.id, "plot_id": old.id,
                                      "harvest_date": today.isoformat(), "quantity": "5"}, chair)
    new_batch = batches.create_batch({"household_id": household.id, "product_id": kale.id, "plot_id": new.id,
                                      "harvest_date": today.isoformat(), "quantity": "5"}, chair)
    ends = records.add_months(today - datetime.timedelta(days=90), 12)
    return {"household": household.id, "old": old.id, "new": new.id, "kale": kale.id,
            "old_batch": old_batch.code, "new_batch": new_batch.code, "ends": ends,
            "peers": [str(peer["household_id"]) for peer in pgs_peers()]}


@pytest.fixture
def farm(live_server):
    chair = live_server.make_user("inspector", "chair", full_name="ประธานกรรมการ", is_committee="1")
    live_server.make_user("inspector", "somchai", full_name="สมชาย ใจดี")
    live_server.make_user("inspector", "reviewer", full_name="ผู้กลั่นกรอง")
    return dict(live_server.seed(seed, chair), server=live_server)


def test_the_certifying_body_runs_its_process_in_the_browser(farm, new_page):
    """From a new version of the standard to a certificate that covers only the plot past conversion."""
    server, url = farm["server"], farm["server"].url
    desk = new_page()
    server.sign_in(desk, "chair")

    # 1. A new version of the PGS standard with a changed criterion, published.
    desk.goto(f"{url}/standards")
    with desk.expect_navigation():
        desk.click('[data-testid="new-draft-PGS-KH"]')
    desk.click('[data-testid="criterion-5"] summary')
    desk.fill('[data-testid="criterion-form-5"] [name="text_th"]', "มีแนวกันชนกว้างอย่างน้อย 2 เมตรทุกด้านของแปลง")
    desk.check('[data-testid="criterion-form-5"] [name="critical"]')
    with desk.expect_navigation():
        desk.click('[data-testid="criterion-form-5"] button.primary')
    shot(desk, "1-version-draft")
    with desk.expect_navigation():
        desk.click('[data-testid="publish"]')
    assert desk.inner_text('[data-testid="version-status"]') == "ใช้บังคับ"
    assert "กว้างอย่างน้อย 2 เมตร" in desk.inner_text('[data-testid="criterion-5"]')

    # 2. The input nobody classified: the committee allows it.
    desk.goto(f"{url}/inputs")
    review = desk.locator('[data-testid="needs-review"]')
    assert "น้ำหมักหน่อกล้วย" in review.inner_text()
    shot(desk, "2-register-review")
    form = desk.locator('[data-testid="classify-1"]')
    form.locator('[name="kind"]').select_option("bio_extract")
    form.locator('[name="ruling"]').select_option("allowed")
    with desk.expect_navigation():
        form.locator("button").click()
    assert desk.locator('[data-testid="needs-review"]').count() == 0
    desk.goto(f"{url}/households/{farm['household']}/farm")
    assert desk.locator('[data-testid="review-flag"]').count() == 0
    shot(desk, "3-farm")

    # 3. Schedule the inspection under the version now in force.
    desk.goto(f"{url}/households/{farm['household']}/inspections/new")
    desk.select_option("#f-standard_id", label="มาตรฐานเกษตรอินทรีย์แบบมีส่วนร่วม (PGS) ตลาดเขียวคลองแห")
    desk.fill("#f-scheduled_for", datetime.date.today().isoformat())
    with desk.expect_navigation():
        desk.click("main form button[type=submit]")
    inspection_url = desk.url.split("#")[0]

    # 4. In the field, on a phone: a photo of each required view, then the checklist.
    field = new_page(viewport=PHONE)
    server.sign_in(field, "somchai")
    field.goto(inspection_url)
    for n, view in enumerate(VIEWS):
        field.select_option('#evidence-form-view', view)
        field.set_input_files('[data-testid="evidence-form-camera"]',
                              files=[{"name": f"IMG_{n:04d}.jpg", "mimeType": "image/jpeg", "buffer": photo(n)}])
        with field.expect_navigation():
            field.click('[data-testid="evidence-form-send"]')
    assert field.locator('[data-testid="evidence-item"]').count() == 6
    assert field.locator('[data-testid="views-complete"]').count() == 1
    for thumb in field.locator('[data-testid="evidence-item"] img').all():
        thumb.scroll_into_view_if_needed()
        field.wait_for_function("img => img.complete", arg=thumb.element_handle())
        assert thumb.evaluate("img => img.naturalWidth") > 0, "a thumbnail did not load"
    assert field.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    shot(field, "4-phone-evidence")
    field.goto(inspection_url + "/record")
    for n, (name, peer) in enumerate(zip(["สมชาย ใจดี", "บุญมี ขุนทอง", "ฮาซัน หลีเส็น"], farm["peers"]), start=1):
        field.fill(f"#f-inspector_name_{n}", name)
        field.select_option(f"#f-inspector_household_{n}", peer)
    for radio in field.locator('input[type=radio][value="pass"]').all():
        radio.check()
    field.fill("#f-findings", "แนวกันชนไผ่ครบทุกด้าน แหล่งน้ำจากบ่อในสวน")
    shot(field, "5-phone-checklist")
    with field.expect_navigation():
        field.click('[data-testid="inspection-save"]')

    # 5. Screening by someone who did not inspect.
    screen = new_page()
    server.sign_in(screen, "reviewer")
    screen.goto(inspection_url)
    with screen.expect_navigation():
        screen.click('[data-testid="screen-pass"]')
    assert "กลั่นกรองแล้ว" in screen.inner_text('[data-testid="inspection-status"]')

    # 6. The committee decides and issues: the converting plot is refused, the old one certified.
    desk.goto(inspection_url)
    desk.select_option("#f-outcome", "approve")
    with desk.expect_navigation():
        desk.click('[data-testid="decide"]')
    desk.check(f'input[name="product_ids"][value="{farm["kale"]}"]')
    desk.check(f'input[name="plot_ids"][value="{farm["old"]}"]')
    desk.check(f'input[name="plot_ids"][value="{farm["new"]}"]')
    with desk.expect_navigation():
        desk.click("main form button[type=submit]")
    assert "แปลงริมคลองใหม่ อยู่ในระยะปรับเปลี่ยนจนถึง" in desk.inner_text("main")
    shot(desk, "6-issue-refused")
    desk.uncheck(f'input[name="plot_ids"][value="{farm["new"]}"]')
    with desk.expect_navigation():
        desk.click("main form button[type=submit]")
    assert "/certificates/KH-" in desk.url

    # 7. The shopper: certified from the old plot, "in conversion until <date>" from the new one.
    shopper = new_page(viewport=PHONE, java_script_enabled=False)
    shopper.goto(f"{url}/b/{farm['old_batch']}")
    assert CERTIFIED in shopper.inner_text('[data-testid="certification-status"]')
    shopper.goto(f"{url}/b/{farm['new_batch']}")
    status = shopper.inner_text('[data-testid="certification-status"]')
    ends = farm["ends"]
    assert "จนถึง" in status and f"{ends.day} " in status and str(ends.year + 543) in status
    shot(shopper, "7-trace-in-conversion")

    # The inspection report PDF carries the six photos.
    inspection_id = inspection_url.rstrip("/").rsplit("/", 1)[1]
    report = desk.request.get(f"{url}/api/v1/inspections/{inspection_id}/report.pdf")
    assert report.status == 200 and report.body().startswith(b"%PDF")
    document = pypdfium2.PdfDocument(report.body())
    images = sum(1 for page in document for item in page.get_objects() if item.type == pypdfium2.raw.FPDF_PAGEOBJ_IMAGE)
    assert images >= 6
    if SHOTS and os.path.isdir(SHOTS):
        with open(os.path.join(SHOTS, "8-report.pdf"), "wb") as out:
            out.write(report.body())
