"""The secretariat bottles three hives' honey into jars in the browser and prints the jars' labels;
a shopper's phone (390 x 844, JavaScript off) then reads the jar's story back to each hive.

GM_SCREENSHOTS=1 also writes docs/screenshots/trace-jar-phone-th.png.
"""
import datetime
import os

from certificates.models import CertificatePlot
from certificates.standards import ensure_default_standards
from core import households, products
from traceability import batches
from traceability.models import Batch, BatchInput, LabelPrint

from tests.browser.seeds import certify
from tests.support import pdf_text, qr_texts

PHONE = {"width": 390, "height": 844}
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BASE_URL = "http://market.test"  # the app_config's GREENMARKET_BASE_URL, printed into the QR codes


def seed_apiary(committee):
    """A certified bee-keeping household with three hives and a 2 kg harvest from each; honey and jars."""
    today = datetime.date.today()
    ensure_default_standards()
    honey = products.create_product({"name_th": "น้ำผึ้งชันโรง", "name_en": "Stingless-bee honey", "unit": "kg",
                                     "category": "honey", "default_price": "800"}, committee)
    jar = products.create_product({"name_th": "น้ำผึ้งชันโรงบรรจุขวด 250 กรัม", "name_en": "Stingless-bee honey, 250 g jar",
                                   "unit": "bottle", "category": "honey", "default_price": "250"}, committee)
    household = households.create_household({
        "code": "KH-04-001", "head_name": "สมพร ใจงาม", "display_name": "ชันโรงบ้านนาป้าพร", "village_no": "4",
        "phone": "081-234-5678", "grower_status": "active", "pledge_date": "2024-01-15"}, committee)
    hives = [households.create_plot(household, {"name": name, "area_m2": "400"}, committee)
             for name in ("รังชันโรงใต้ต้นมะม่วง", "รังชันโรงริมคลอง", "รังชันโรงหลังบ้าน")]
    certificate = certify(household, hives[0], [honey, jar], committee, today)
    CertificatePlot.insert_many([{"certificate": certificate.id, "plot": hive.id} for hive in hives[1:]]).execute()
    harvests = [batches.create_batch({"household_id": household.id, "product_id": honey.id, "plot_id": hive.id,
                                      "harvest_date": (today - datetime.timedelta(days=12 - 3 * index)).isoformat(),
                                      "quantity": "2"}, committee).code
                for index, hive in enumerate(hives)]
    return {"household": household.id, "jar": jar.id, "harvests": harvests}


def test_secretariat_bottles_honey_prints_the_jar_labels_and_a_phone_reads_its_story(live_server, new_page):
    """Record a bottling through the page, print its labels (every QR decodes to the jar's trace page),
    then read the jar's trace page on a phone: certified, and each hive's harvest named."""
    committee = live_server.make_user("admin", "council")
    apiary = live_server.seed(seed_apiary, committee)
    page = new_page(viewport={"width": 1024, "height": 600})
    live_server.sign_in(page, "council")

    page.goto(f"{live_server.url}/batches")
    page.get_by_test_id("made-new").click()
    page.select_option("#f-household_id", str(apiary["household"]))
    page.select_option("#f-product_id", str(apiary["jar"]))
    page.fill("#f-quantity", "18")
    for index, code in enumerate(apiary["harvests"]):
        page.get_by_test_id(f"input-code-{index}").fill(code)
        page.get_by_test_id(f"input-quantity-{index}").fill("1.5")
    with page.expect_navigation():
        page.get_by_test_id("save-made").click()
    assert "/batches/" in page.url, page.inner_text("main")
    code = page.get_by_test_id("batch-code").inner_text().replace("-", "")
    made_from = page.get_by_test_id("made-from").inner_text()
    assert made_from.count("1.5") == 3 and "รังชันโรงริมคลอง" in made_from
    jar = live_server.seed(lambda: Batch.get(Batch.code == code))
    assert jar.is_made and jar.quantity_milli == 18_000
    assert live_server.seed(lambda: [Batch.get(Batch.code == c).left_milli for c in apiary["harvests"]]) == [500] * 3
    assert live_server.seed(lambda: BatchInput.select().count()) == 3

    page.get_by_test_id("label-copies").fill("3")
    with page.context.expect_page() as opened:
        page.get_by_test_id("print-labels").click()
    url = opened.value.url
    assert f"/api/v1/batches/{code}/labels.pdf" in url, url
    opened.value.wait_for_load_state()
    # The page printed by POST (recorded below); a GET of the same labels shows them without recording.
    template = page.get_by_test_id("label-template").input_value()
    pdf = page.request.get(f"{url}?template={template}&copies=3")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert qr_texts(pdf.body()) == [f"{BASE_URL}/b/{code}"] * 3
    text = pdf_text(pdf.body())
    assert f"{code[:4]}-{code[4:]}" in text and "250" in text
    assert live_server.seed(lambda: LabelPrint.get(LabelPrint.batch == jar.id).certification_state) == "certified"

    phone = new_page(viewport=PHONE, java_script_enabled=False)
    phone.goto(f"{live_server.url}/b/{code}")
    assert "ได้รับการรับรอง" in phone.get_by_test_id("certification-status").inner_text()
    origins = phone.get_by_test_id("origins").inner_text()
    for hive in ("รังชันโรงใต้ต้นมะม่วง", "รังชันโรงริมคลอง", "รังชันโรงหลังบ้าน"):
        assert hive in origins
    assert "ชันโรงบ้านนาป้าพร" in origins and "หมู่ที่ 4" in origins
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    body = phone.inner_text("body")
    assert "สมพร ใจงาม" not in body and "081-234-5678" not in body
    if os.environ.get("GM_SCREENSHOTS") == "1":
        phone.screenshot(path=os.path.join(ROOT, "docs", "screenshots", "trace-jar-phone-th.png"), full_page=True)
