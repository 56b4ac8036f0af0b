"""Label PDFs: every QR on every label decodes to its trace page, text stays inside its label, and
the certified mark appears only when the certification function says so."""
import datetime
import re

import pypdfium2
import pytest

from certificates import certification, records
from core import products
from core.models import Product
from traceability import batches, labels
from traceability.models import BatchEvent, LabelPrint

from tests.support import contains, database_rows, page_texts, pdf_text, qr_texts, render

BASE_URL = "http://market.test"
LONG_NAME = "ผักกาดหอมห่อใบแดงอินทรีย์ปลอดสารพิษจากแปลงริมคลองแหฝั่งทิศตะวันออกของหมู่บ้าน"
TODAY = datetime.date.today()
# Thermal label printers print at 203 dpi; an A4 sheet is checked at a phone photo's resolution.
DPI = {"a4-3x8": 300, "thermal-50x30": 203}


def new_batch(setup, **changes):
    data = {"household_id": setup["household"].id, "product_id": setup["product"].id,
            "plot_id": setup["plot"].id, "harvest_date": TODAY.isoformat(), "quantity": "10"}
    data.update(changes)
    return batches.create_batch(data, setup["committee"])


def build(app, found, template, copies=1, language="th", skip=0):
    with app.test_request_context():
        pdf, _statuses = labels.print_labels(found, template, copies, BASE_URL, None, language, skip)
    return pdf


def label_boxes(template_name):
    """The rectangles (left, bottom, right, top, in points) of the label places on one page."""
    template = labels.TEMPLATES[template_name]
    page_height = template.page_size[1]
    boxes = []
    for place in range(template.per_page):
        column, row = place % template.columns, place // template.columns
        left = template.left + column * template.label_width
        top = page_height - template.top - row * template.label_height
        boxes.append((left, top - template.label_height, left + template.label_width, top))
    return boxes


def assert_text_inside_labels(pdf, template_name):
    """Every character drawn lies inside one label place, never across an edge."""
    boxes = label_boxes(template_name)
    for page in pypdfium2.PdfDocument(pdf):
        textpage = page.get_textpage()
        for index in range(textpage.count_chars()):
            left, bottom, right, top = textpage.get_charbox(index)
            if right - left == 0:
                continue
            assert any(bl - 0.5 <= left and right <= br + 0.5 and bb - 0.5 <= bottom and top <= bt + 0.5
                       for bl, bb, br, bt in boxes), textpage.get_text_range(index, 1)


@pytest.mark.parametrize(("template", "copies"), [("a4-3x8", 9), ("thermal-50x30", 3), ("a4-3x8", 1), ("thermal-50x30", 1)])
def test_every_label_qr_decodes_to_its_trace_page(app, certified_household, template, copies):
    """Three batches, a few copies each (placed forms) or one each (drawn on the page), every QR read back."""
    found = [new_batch(certified_household) for _ in range(3)]
    pdf = build(app, found, template, copies)
    decoded = []
    for image in render(pdf, DPI[template]):
        import zxingcpp

        decoded += [result.text for result in zxingcpp.read_barcodes(image)]
    expected = [f"{BASE_URL}/b/{batch.code}" for batch in found for _ in range(copies)]
    assert sorted(decoded) == sorted(expected)


def test_a4_sheet_holds_24_labels_per_page_and_skips_used_places(app, certified_household):
    batch = new_batch(certified_household)
    pdf = build(app, [batch], "a4-3x8", copies=30, skip=20)
    images = render(pdf, 150)
    assert len(images) == 3, "4 places left on page one, then 24, then 2"
    assert len(qr_texts(pdf)) == 30


def test_thermal_labels_are_one_per_50_by_30_page(app, certified_household):
    pdf = build(app, [new_batch(certified_household)], "thermal-50x30", copies=4)
    document = pypdfium2.PdfDocument(pdf)
    assert len(document) == 4
    width, height = document[0].get_size()
    assert round(width / 72 * 25.4) == 50 and round(height / 72 * 25.4) == 30


@pytest.mark.parametrize("copies", [1, 2])
@pytest.mark.parametrize("template", ["a4-3x8", "thermal-50x30"])
def test_long_thai_name_wraps_or_shrinks_inside_the_label(app, certified_household, template, copies):
    Product.update(name_th=LONG_NAME).where(Product.id == certified_household["product"].id).execute()
    household = certified_household["household"]
    household.display_name = "วิสาหกิจชุมชนกลุ่มเกษตรกรปลูกผักปลอดสารพิษบ้านคลองแหใต้ร่วมใจพัฒนา"
    household.save()
    pdf = build(app, [new_batch(certified_household)], template, copies=copies)
    assert_text_inside_labels(pdf, template)
    text = pdf_text(pdf)
    assert contains(text, LONG_NAME[:30]) and contains(text, LONG_NAME[-20:]), "never drops words"
    assert len(qr_texts(pdf)) == copies, "the QR still scans beside a long name"


def test_label_shows_product_household_village_date_price_and_code(app, certified_household):
    batch = new_batch(certified_household, price="45")
    text = page_texts(build(app, [batch], "a4-3x8"))[0]
    for expected in ("คะน้า", "สวนป้าศรี", "หมู่ที่ 1", str(TODAY.year + 543), "฿45.00", f"{batch.code[:4]}-{batch.code[4:]}"):
        assert contains(text, expected), expected
    english = page_texts(build(app, [batch], "a4-3x8", language="en"))[0]
    assert "Chinese kale" in english and str(TODAY.year) in english and "Organic certified" in english


def test_labels_never_show_personal_data(app, certified_household, household_data):
    text = pdf_text(build(app, [new_batch(certified_household)], "a4-3x8"))
    for value in (household_data["head_name"], household_data["phone"], household_data["address"]):
        assert not contains(text, value), value


def test_certified_mark_and_no_labels_once_suspended(app, certified_household):
    """Certified: the mark, and the print records its claim. Suspended: the counter would refuse the
    batch, so printing is refused with the reason and nothing is recorded."""
    batch = new_batch(certified_household)
    assert "Organic certified" in pdf_text(build(app, [batch], "a4-3x8", language="en"))
    certification.suspend(certified_household["certificate"], {"reason": "ตรวจพบสารเคมี"}, certified_household["committee"])
    with pytest.raises(labels.LabelsRefused) as refused:
        build(app, [batch], "a4-3x8")
    [(refused_batch, reason)] = refused.value.refusals
    assert refused_batch.id == batch.id and "ใบรับรองถูกระงับชั่วคราว" in str(reason)
    claims = [p.certification_state for p in LabelPrint.select().order_by(LabelPrint.id)]
    assert claims == ["certified"]


@pytest.mark.parametrize("why", ["not_in_scope", "in_conversion", "recalled", "sold_out"])
def test_no_labels_for_what_the_counter_refuses(app, certified_household, why):
    """Not in scope, in conversion, recalled or sold out: no labels, with the reason."""
    setup = certified_household
    batch = new_batch(setup)
    if why in ("not_in_scope", "in_conversion"):
        other = products.create_product({"name_th": "ผักบุ้ง", "unit": "bunch", "category": "vegetable",
                                         "is_certifiable": True}, setup["committee"])
        batch = new_batch(setup, product_id=other.id)
        if why == "in_conversion":
            setup["certificate"].delete_instance(recursive=True)
            start = datetime.date.today() - datetime.timedelta(days=100)
            records.save_plot_record(setup["plot"], {"conversion_start": start.isoformat()}, setup["committee"])
    elif why == "recalled":
        batch = batches.recall_batch(batch, {"reason": "พบสารตกค้าง"}, setup["committee"])
    else:
        batch.sold_milli = batch.quantity_milli
        batch.save()
    with app.test_request_context():
        assert batches.batch_certification(batch).state == why or why in ("recalled", "sold_out")
        assert labels.label_refusal(batch) is not None
    with pytest.raises(labels.LabelsRefused):
        build(app, [batch], "a4-3x8")
    assert LabelPrint.select().count() == 0


def test_handicraft_label_has_no_organic_claim_and_prints(app, certified_household):
    """A woven basket needs no certificate: its labels print, without any organic claim."""
    setup = certified_household
    basket = products.create_product({"name_th": "ตะกร้าสานใบเตย", "unit": "piece", "category": "handicraft"}, setup["committee"])
    batch = new_batch(setup, product_id=basket.id, plot_id="")
    pdf = build(app, [batch], "a4-3x8", language="en")
    assert "Organic" not in pdf_text(pdf) and "conversion" not in pdf_text(pdf)
    with app.test_request_context():
        assert labels.label_refusal(batch) is None


def test_printing_adds_labelled_to_the_batch_story(app, certified_household):
    batch = new_batch(certified_household)
    build(app, [batch], "thermal-50x30", copies=2)
    assert [e.kind for e in batch.events.order_by(BatchEvent.id)] == ["harvested", "labelled"]


# --- Over HTTP --------------------------------------------------------------------------------


def test_label_pdf_route_for_one_batch(client, token_for, certified_household):
    batch = new_batch(certified_household)
    answer = client.get(f"/api/v1/batches/{batch.code}/labels.pdf?template=thermal-50x30&copies=2",
                        headers=token_for("admin", "printer"))
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert qr_texts(answer.data) == [f"{BASE_URL}/b/{batch.code}"] * 2


def test_label_pdf_route_refuses_a_print_with_an_uncertified_batch(client, token_for, certified_household):
    """One batch the counter would refuse makes the whole print a 409 naming it and why; nothing is printed."""
    setup = certified_household
    good = new_batch(setup)
    other = products.create_product({"name_th": "ผักบุ้ง", "unit": "bunch", "category": "vegetable",
                                     "is_certifiable": True}, setup["committee"])
    outside = new_batch(setup, product_id=other.id)
    answer = client.get(f"/api/v1/labels.pdf?batch={good.code}&batch={outside.code}&copies=2",
                        headers=token_for("admin", "printer"))
    assert answer.status_code == 409 and answer.json["error"]["code"] == "not_sellable"
    assert list(answer.json["error"]["fields"]) == [f"{outside.code[:4]}-{outside.code[4:]}"]
    assert LabelPrint.select().count() == 0
    answer = client.get(f"/api/v1/labels.pdf?batch={good.code}&copies=2", headers=token_for("admin", "printer2"))
    assert answer.status_code == 200 and qr_texts(answer.data) == [f"{BASE_URL}/b/{good.code}"] * 2


def test_staff_session_prints_labels_from_the_batch_page(client, auth, certified_household):
    """The batch page's form posts with its CSRF token; the print is recorded."""
    batch = new_batch(certified_household)
    auth.login("admin")
    page = client.get(f"/batches/{batch.code}").get_data(as_text=True)
    assert f'method="post" action="/api/v1/batches/{batch.code}/labels.pdf"' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post(f"/api/v1/batches/{batch.code}/labels.pdf",
                         data={"csrf_token": token, "template": "a4-3x8", "copies": "24", "skip": "0", "lang": "th"})
    assert answer.status_code == 200 and len(qr_texts(answer.data)) == 24
    assert LabelPrint.select().where(LabelPrint.batch == batch).count() == 1
    refused = client.post(f"/api/v1/batches/{batch.code}/labels.pdf", data={"template": "a4-3x8"})
    assert refused.status_code == 401, "without the page's token a session cannot print"


def test_a_get_of_labels_shows_them_and_writes_nothing(client, token_for, certified_household):
    """GET is safe: the PDF comes back, but no print and no 'labelled' step are recorded
    (an <img src> on another site cannot fill the print log)."""
    batch = new_batch(certified_household)
    headers = token_for("admin", "printer")
    before = database_rows()
    for url in (f"/api/v1/batches/{batch.code}/labels.pdf", f"/api/v1/labels.pdf?batch={batch.code}"):
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    assert database_rows() == before
    assert client.post(f"/api/v1/labels.pdf?batch={batch.code}", headers=headers).status_code == 200
    assert [e.kind for e in batch.events.order_by(BatchEvent.id)] == ["harvested", "labelled"]


def test_batch_page_refuses_labels_for_a_suspended_household(client, auth, certified_household):
    """The batch page shows why no labels instead of the print form; the list cannot tick the batch."""
    batch = new_batch(certified_household)
    certification.suspend(certified_household["certificate"], {"reason": "ตรวจพบสารเคมี"}, certified_household["committee"])
    auth.login("admin")
    page = client.get(f"/batches/{batch.code}").get_data(as_text=True)
    assert 'data-testid="label-refusal"' in page and "ใบรับรองถูกระงับชั่วคราว" in page
    assert 'data-testid="print-labels"' not in page
    listing = client.get("/batches").get_data(as_text=True)
    assert f'name="batch" value="{batch.code}"' not in listing and 'data-testid="no-labels"' in listing


@pytest.mark.parametrize("query", ["template=poster", "copies=0", "copies=1001", "copies=abc", "skip=24", "lang=fr"])
def test_bad_label_options_are_a_400_naming_the_option(client, token_for, certified_household, query):
    batch = new_batch(certified_household)
    answer = client.get(f"/api/v1/batches/{batch.code}/labels.pdf?{query}", headers=token_for("admin", "printer"))
    assert answer.status_code == 400
    assert query.split("=")[0] in answer.json["error"]["fields"]
    assert LabelPrint.select().count() == 0, "nothing recorded for a refused print"


def test_too_many_labels_in_one_pdf_is_refused(client, token_for, certified_household):
    found = [new_batch(certified_household) for _ in range(6)]
    query = "&".join(f"batch={b.code}" for b in found)
    answer = client.get(f"/api/v1/labels.pdf?{query}&copies=1000", headers=token_for("admin", "printer"))
    assert answer.status_code == 400 and answer.json["error"]["code"] == "too_many_labels"


def test_several_batches_with_one_mistyped_code_prints_nothing(client, token_for, certified_household):
    batch = new_batch(certified_household)
    typo = batch.code[:-1] + ("2" if batch.code[-1] != "2" else "3")
    answer = client.get(f"/api/v1/labels.pdf?batch={batch.code}&batch={typo}", headers=token_for("admin", "printer"))
    assert answer.status_code == 400 and answer.json["error"]["code"] == "mistyped_code"
    assert client.get("/api/v1/labels.pdf", headers=token_for("admin", "printer2")).status_code == 400
    assert LabelPrint.select().count() == 0


@pytest.mark.parametrize("role, status", [("cashier", 403), ("inspector", 403), (None, 401)])
def test_only_admin_prints_labels(client, token_for, certified_household, role, status):
    batch = new_batch(certified_household)
    headers = token_for(role) if role else {}
    assert client.get(f"/api/v1/batches/{batch.code}/labels.pdf", headers=headers).status_code == status
