"""Harvest batches: self-checking codes, recording a batch, the live certification claim, the API,
and the shopper's trace page. Label PDFs are in test_labels.py."""
import datetime
import gzip
import random

import pytest

from certificates import certification
from core import households, products
from core.models import AuditEntry
from traceability import batches, codes
from traceability.models import Batch, BatchEvent

from tests.support import database_rows

TODAY = datetime.date.today()
LONG_NAME = "ผักกาดหอมห่อใบแดงอินทรีย์ปลอดสารพิษจากแปลงริมคลองแหฝั่งทิศตะวันออก"


def batch_input(setup, **changes):
    """Valid batch input for the certified household of the `certified_household` fixture."""
    data = {
        "household_id": setup["household"].id,
        "product_id": setup["product"].id,
        "plot_id": setup["plot"].id,
        "harvest_date": TODAY.isoformat(),
        "quantity": "12.5",
    }
    data.update(changes)
    return data


@pytest.fixture
def batch(certified_household):
    return batches.create_batch(batch_input(certified_household), certified_household["committee"])


# --- Codes ------------------------------------------------------------------------------------


def test_codes_avoid_look_alike_characters_and_are_eight_long():
    """No 0/O, 1/I/L (or U), so nothing on a label can be read two ways."""
    assert not set("01OILU") & set(codes.ALPHABET)
    for _ in range(200):
        code = codes.new_code()
        assert len(code) == 8 and set(code) <= set(codes.ALPHABET)
        assert codes.parse_code(code) == code


def test_every_single_mistyped_character_is_caught():
    """Changing any one symbol of a code to any other gives a code that fails its check."""
    rng = random.Random(7)
    for _ in range(100):
        code = rng.choice([codes.new_code() for _ in range(3)])
        for position in range(len(code)):
            for symbol in codes.ALPHABET:
                if symbol != code[position]:
                    typo = code[:position] + symbol + code[position + 1:]
                    with pytest.raises(codes.MistypedCode):
                        codes.parse_code(typo)


def test_nearly_every_swap_of_two_neighbours_is_caught():
    """Luhn mod 30 misses only a swap of the symbols worth 0 and 29 (2 and Z): well under 1%."""
    missed = tried = 0
    for _ in range(500):
        code = codes.new_code()
        for i in range(len(code) - 1):
            if code[i] == code[i + 1]:
                continue
            tried += 1
            swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
            try:
                codes.parse_code(swapped)
            except codes.MistypedCode:
                continue
            missed += 1
            assert {code[i], code[i + 1]} == {"2", "Z"}
    assert missed / tried < 0.01


@pytest.mark.parametrize("typed", ["{code}", "{lower}", "{dashed}", " {dashed_lower} ", "{spaced}", "{thai}"])
def test_codes_are_read_however_people_type_them(typed):
    code = "KH" + "".join(random.choice(codes.ALPHABET) for _ in range(5))
    code += codes.check_symbol(code)
    display = codes.format_code(code)
    thai_digits = code.translate(str.maketrans("23456789", "๒๓๔๕๖๗๘๙"))
    text = typed.format(code=code, lower=code.lower(), dashed=display, dashed_lower=display.lower(),
                        spaced=f"{code[:4]} {code[4:]}", thai=thai_digits)
    assert codes.parse_code(text) == code


def test_a_scanned_label_url_or_bare_code_gives_the_code():
    code = codes.new_code()
    base = "http://market.test"
    assert codes.code_from_scan(f"{base}/b/{code}", base) == code
    assert codes.code_from_scan(f"HTTP://MARKET.TEST/b/{codes.format_code(code)}", base) == code
    assert codes.code_from_scan(code.lower(), base) == code


@pytest.mark.parametrize("scan", [
    "https://evil.example/b/{code}",
    "http://market.test/c/KH-2569-0001",
    "\x00\x01\x02binary",
    "A" * 10_000,
    "",
    "javascript:alert(1)",
])
def test_scans_that_are_not_our_labels_are_refused(scan):
    with pytest.raises(codes.MistypedCode):
        codes.code_from_scan(scan.format(code=codes.new_code()), "http://market.test")


# --- Recording a batch ------------------------------------------------------------------------


def test_recording_a_batch_gives_a_code_a_story_and_an_audit_entry(batch, certified_household):
    assert codes.parse_code(batch.code) == batch.code
    assert batch.quantity_milli == 12_500 and batch.sold_milli == 0
    assert batch.unit == "kg", "the product's unit by default"
    assert batch.price_satang == 6000, "the product's default price by default"
    assert [e.kind for e in batch.events] == ["harvested"]
    entry = AuditEntry.get(AuditEntry.entity == "batch", AuditEntry.entity_id == batch.id)
    assert batch.code in entry.changes


def test_price_and_unit_can_be_set_per_batch(certified_household):
    made = batches.create_batch(batch_input(certified_household, price="45.50", unit="bunch"), certified_household["committee"])
    assert made.price_satang == 4550 and made.unit == "bunch"


@pytest.mark.parametrize("changes, field", [
    ({"quantity": "0"}, "quantity"),
    ({"quantity": "-1"}, "quantity"),
    ({"quantity": "1.2345"}, "quantity"),
    ({"quantity": "1e309"}, "quantity"),
    ({"quantity": "NaN"}, "quantity"),
    ({"quantity": ""}, "quantity"),
    ({"harvest_date": (TODAY + datetime.timedelta(days=2)).isoformat()}, "harvest_date"),  # Thailand's today may be UTC's tomorrow
    ({"harvest_date": "2026-12-01garbage"}, "harvest_date"),
    ({"harvest_date": (TODAY - datetime.timedelta(days=400)).isoformat()}, "harvest_date"),
    ({"best_before": (TODAY - datetime.timedelta(days=3)).isoformat()}, "best_before"),
    ({"price": "-5"}, "price_satang"),
    ({"household_id": "999999"}, "household_id"),
    ({"product_id": "999999"}, "product_id"),
    ({"unit": "tonne"}, "unit"),
])
def test_bad_batch_input_is_refused_with_the_field_and_writes_nothing(certified_household, changes, field):
    before = database_rows()
    with pytest.raises(Exception) as raised:
        batches.create_batch(batch_input(certified_household, **changes), certified_household["committee"])
    assert raised.type.__name__ == "ValidationError"
    assert field in raised.value.errors
    assert database_rows() == before


def test_a_plot_of_another_household_is_refused(certified_household, household_data):
    other = households.create_household({**household_data, "code": "KH-02-002"}, certified_household["committee"])
    their_plot = households.create_plot(other, {"name": "แปลงเพื่อนบ้าน", "area_m2": "400"}, certified_household["committee"])
    with pytest.raises(Exception) as raised:
        batches.create_batch(batch_input(certified_household, plot_id=their_plot.id), certified_household["committee"])
    assert "plot_id" in raised.value.errors


def test_a_household_that_is_not_a_grower_cannot_record_a_harvest(certified_household):
    household = certified_household["household"]
    household.grower_status = "withdrawn"
    household.save()
    with pytest.raises(Exception) as raised:
        batches.create_batch(batch_input(certified_household), certified_household["committee"])
    assert "household_id" in raised.value.errors


def test_find_batch_tells_mistyped_from_unknown(batch):
    assert batches.find_batch(codes.format_code(batch.code).lower()).id == batch.id
    typo = batch.code[:3] + ("A" if batch.code[3] != "A" else "B") + batch.code[4:]
    with pytest.raises(codes.MistypedCode):
        batches.find_batch(typo)
    body = "".join(random.choice(codes.ALPHABET) for _ in range(7))
    with pytest.raises(batches.UnknownCode):
        batches.find_batch(body + codes.check_symbol(body))


# --- The certification claim ------------------------------------------------------------------


def test_batch_of_a_certified_household_in_scope_is_certified(batch):
    assert batches.batch_certification(batch).state == "certified"


def test_suspension_shows_on_the_batch_at_once(batch, certified_household):
    certification.suspend(certified_household["certificate"], {"reason": "พบการใช้ปุ๋ยเคมี"}, certified_household["committee"])
    assert batches.batch_certification(Batch.get_by_id(batch.id)).state == "suspended"


def test_a_plot_outside_the_certificate_scope_is_not_certified(certified_household):
    setup = certified_household
    new_plot = households.create_plot(setup["household"], {"name": "แปลงใหม่", "area_m2": "800"}, setup["committee"])
    made = batches.create_batch(batch_input(setup, plot_id=new_plot.id), setup["committee"])
    assert batches.batch_certification(made).state == "not_in_scope"


def test_a_handicraft_is_never_certifiable(certified_household):
    setup = certified_household
    basket = products.create_product({"name_th": "ตะกร้าสานใบเตย", "unit": "piece", "category": "handicraft",
                                      "default_price": "120"}, setup["committee"])
    made = batches.create_batch(batch_input(setup, product_id=basket.id, plot_id="", quantity="4"), setup["committee"])
    assert batches.batch_certification(made).state == "not_certifiable"


# --- JSON API ---------------------------------------------------------------------------------


def test_api_creates_and_reads_a_batch(client, token_for, certified_household):
    headers = token_for("admin", "api-admin")
    answer = client.post("/api/v1/batches", json=batch_input(certified_household, quantity="7.250"), headers=headers)
    assert answer.status_code == 201, answer.json
    record = answer.json
    assert answer.headers["Location"].endswith(f"/api/v1/batches/{record['code']}")
    assert record["quantity"] == "7.250" and record["quantity_left"] == "7.250"
    assert record["certification"]["state"] == "certified"
    assert record["certification"]["certificate_number"] == certified_household["certificate"].number
    assert record["trace_url"] == f"http://market.test/b/{record['code']}"
    again = client.get(f"/api/v1/batches/{record['display_code'].lower()}", headers=token_for("cashier"))
    assert again.status_code == 200 and again.json == record


def test_api_batch_answer_has_no_personal_data(client, token_for, batch, household_data):
    text = client.get(f"/api/v1/batches/{batch.code}", headers=token_for("cashier")).get_data(as_text=True)
    for value in ("081-234-5678", household_data["head_name"], "is_elderly", "national_id", "phone"):
        assert value not in text


def test_api_tells_mistyped_from_not_found(client, token_for, batch):
    headers = token_for("cashier")
    typo = batch.code[:-1] + ("2" if batch.code[-1] != "2" else "3")
    mistyped = client.get(f"/api/v1/batches/{typo}", headers=headers)
    assert mistyped.status_code == 400 and mistyped.json["error"]["code"] == "mistyped_code"
    body = "".join(random.choice(codes.ALPHABET) for _ in range(7))
    missing = client.get(f"/api/v1/batches/{body}{codes.check_symbol(body)}", headers=headers)
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"


def test_api_lists_batches_with_filters(client, token_for, certified_household):
    setup = certified_household
    old = batches.create_batch(batch_input(setup, harvest_date=(TODAY - datetime.timedelta(days=10)).isoformat()), setup["committee"])
    new = batches.create_batch(batch_input(setup), setup["committee"])
    Batch.update(sold_milli=Batch.quantity_milli).where(Batch.id == old.id).execute()
    headers = token_for("inspector")

    def codes_for(query):
        answer = client.get(f"/api/v1/batches?{query}", headers=headers)
        assert answer.status_code == 200, answer.json
        return [item["code"] for item in answer.json["items"]]

    assert codes_for("") == [new.code, old.code], "newest harvest first"
    assert codes_for(f"household_id={setup['household'].id}&product_id={setup['product'].id}") == [new.code, old.code]
    assert codes_for(f"harvested_from={(TODAY - datetime.timedelta(days=1)).isoformat()}") == [new.code]
    assert codes_for(f"harvested_to={(TODAY - datetime.timedelta(days=1)).isoformat()}") == [old.code]
    assert codes_for("status=sold_out") == [old.code]
    assert codes_for("status=available") == [new.code]
    assert codes_for("household_id=999") == []
    assert client.get("/api/v1/batches?status=eaten", headers=headers).status_code == 400
    assert client.get("/api/v1/batches?harvested_from=yesterday", headers=headers).status_code == 400


@pytest.mark.parametrize("role, status", [("cashier", 403), ("inspector", 403), (None, 401)])
def test_only_admin_records_batches_through_the_api(client, token_for, certified_household, role, status):
    headers = token_for(role) if role else {}
    before = database_rows()
    answer = client.post("/api/v1/batches", json=batch_input(certified_household), headers=headers)
    assert answer.status_code == status
    assert database_rows() == before


def test_api_refuses_bad_batch_input_in_the_callers_language(client, token_for, certified_household):
    headers = token_for("admin", "api-admin")
    answer = client.post("/api/v1/batches", json=batch_input(certified_household, quantity=-3), headers=headers)
    assert answer.status_code == 400
    assert set(answer.json["error"]["fields"]) == {"quantity"}
    assert client.post("/api/v1/batches", data="quantity=1", headers=headers).status_code == 400


def test_a_harvest_sent_again_with_its_client_id_is_recorded_once(client, token_for, certified_household):
    """A tablet that lost the answer sends the harvest again: the same batch comes back, nothing is added."""
    headers = token_for("admin", "api-admin")
    data = batch_input(certified_household, client_id="5b2f0a52-9f0e-4a40-8a3e-2f1f3c1d9e01")
    first = client.post("/api/v1/batches", json=data, headers=headers)
    assert first.status_code == 201, first.json
    before = database_rows()
    again = client.post("/api/v1/batches", json=dict(data, client_id=data["client_id"].upper()), headers=headers)
    assert again.status_code == 200
    assert again.json["code"] == first.json["code"]
    assert database_rows() == before


def test_harvests_without_a_client_id_are_separate_batches(client, token_for, certified_household):
    """Two harvests of the same day and plot are two batches when the caller gives no id."""
    headers = token_for("admin", "api-admin")
    codes_made = {client.post("/api/v1/batches", json=batch_input(certified_household), headers=headers).json["code"]
                  for _ in range(2)}
    assert len(codes_made) == 2


@pytest.mark.parametrize("client_id", ["not-a-uuid", 42, ["5b2f0a52-9f0e-4a40-8a3e-2f1f3c1d9e01"], "x" * 10_000])
def test_a_client_id_that_is_not_a_uuid_is_a_400_and_writes_nothing(client, token_for, certified_household, client_id):
    """The harvest's id must be a UUID: anything else is named in the answer and nothing is recorded."""
    headers = token_for("admin", "api-admin")
    before = database_rows()
    answer = client.post("/api/v1/batches", json=batch_input(certified_household, client_id=client_id), headers=headers)
    assert answer.status_code == 400 and set(answer.json["error"]["fields"]) == {"client_id"}
    assert database_rows() == before


# --- The shopper's trace page -----------------------------------------------------------------


def test_trace_page_shows_where_the_food_comes_from(client, batch, certified_household):
    page = client.get(f"/b/{batch.code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for expected in ("คะน้า", "สวนป้าศรี", "หมู่ที่ 1", "แปลงริมคลอง", str(TODAY.year + 543),
                     certified_household["certificate"].number, codes.format_code(batch.code)):
        assert expected in html, expected
    assert f'href="/c/{certified_household["certificate"].number}"' in html
    assert 'data-testid="certification-status"' in html and "status-certified" in html
    assert "<script" not in html
    assert page.headers["Cache-Control"] == "no-cache"


def test_trace_page_never_shows_personal_data(client, batch, household_data):
    html = client.get(f"/b/{batch.code}").get_data(as_text=True)
    for value in (household_data["head_name"], household_data["phone"], household_data["address"], "ผู้สูงอายุ"):
        assert value not in html


def test_trace_page_shows_a_suspension_made_after_printing(client, batch, certified_household):
    certification.suspend(certified_household["certificate"], {"reason": "พบการใช้ปุ๋ยเคมี"}, certified_household["committee"])
    html = client.get(f"/b/{batch.code}").get_data(as_text=True)
    assert "status-suspended" in html and "status-certified" not in html


def test_trace_page_tells_the_batch_story(client, batch, certified_household):
    BatchEvent.create(batch=batch, kind="labelled")
    BatchEvent.create(batch=batch, kind="at_market")
    story = client.get(f"/b/{batch.code}").get_data(as_text=True).split('data-testid="story"')[1]
    assert story.index("เก็บเกี่ยว") < story.index("ติดฉลาก") < story.index("ตลาดเขียว")


def test_trace_page_in_english_is_one_tap_away(client, batch):
    html = client.get(f"/b/{batch.code}").get_data(as_text=True)
    assert 'data-testid="lang-en"' in html
    client.set_cookie("lang", "en")
    html = client.get(f"/b/{batch.code}").get_data(as_text=True)
    assert "Chinese kale" in html and "Certified organic" in html and str(TODAY.year) in html


def test_mistyped_code_on_the_trace_page_says_so(client, batch):
    typo = batch.code[:-1] + ("2" if batch.code[-1] != "2" else "3")
    page = client.get(f"/b/{typo}")
    assert page.status_code == 400
    assert "พิมพ์ผิด" in page.get_data(as_text=True)


def test_unknown_code_on_the_trace_page_says_not_found(client):
    body = "".join(random.choice(codes.ALPHABET) for _ in range(7))
    page = client.get(f"/b/{body}{codes.check_symbol(body)}")
    assert page.status_code == 404
    assert "ไม่พบ" in page.get_data(as_text=True)


@pytest.mark.parametrize("junk", ["%00%01%ff", "x" * 5000, "<script>alert(1)</script>", "๑๒๓", "../../etc/passwd"])
def test_junk_on_the_trace_page_is_a_4xx_not_a_500(client, junk):
    page = client.get(f"/b/{junk}")
    assert 400 <= page.status_code < 500
    assert "<script>alert" not in page.get_data(as_text=True)


def test_trace_page_with_its_css_fits_in_14_kb_compressed(client, batch, certified_household):
    """One TCP round trip on a slow phone connection (about 14 KB after the handshake)."""
    from core.models import Plot, Product
    Product.update(name_th=LONG_NAME).where(Product.id == certified_household["product"].id).execute()
    Plot.update(name="แปลงผักอินทรีย์ริมคลองแหฝั่งทิศตะวันออก").where(Plot.id == certified_household["plot"].id).execute()
    for kind in ("labelled", "at_market", "sold_out"):
        BatchEvent.create(batch=batch, kind=kind)
    page = client.get(f"/b/{batch.code}")
    html = page.get_data()
    stylesheets = [part.split('"')[0] for part in html.decode().split('rel="stylesheet" href="')[1:]]
    assert stylesheets, "the page links its stylesheet"
    total = len(gzip.compress(html, 9)) + sum(len(gzip.compress(client.get(url).get_data(), 9)) for url in stylesheets)
    assert total <= 14 * 1024, f"{total} bytes compressed"


# --- Staff pages ------------------------------------------------------------------------------


def test_admin_records_a_harvest_through_the_form(client, auth, certified_household):
    auth.login("admin")
    form = client.get(f"/batches/new?household_id={certified_household['household'].id}")
    assert form.status_code == 200 and "แปลงริมคลอง" in form.get_data(as_text=True)
    answer = client.post("/batches/new", data=batch_input(certified_household, price="55", best_before=""))
    assert answer.status_code == 302
    made = Batch.get()
    assert answer.headers["Location"].endswith(f"/batches/{made.code}")
    assert made.price_satang == 5500
    detail = client.get(f"/batches/{made.code}").get_data(as_text=True)
    assert codes.format_code(made.code) in detail and "12.5" in detail


def test_harvest_form_asks_for_the_household_first_then_offers_only_its_plots(client, auth, certified_household, make_user):
    """From the batch list the form asks whose harvest it is; from a household it offers only that
    household's plots, with their names and areas, and never another household's."""
    from core import households

    setup = certified_household
    neighbour = households.create_household({"code": "KH-02-002", "head_name": "เพื่อนบ้าน", "village_no": "2",
                                             "grower_status": "applicant", "pledge_date": "2025-01-10"}, setup["committee"])
    households.create_plot(neighbour, {"name": "แปลงของเพื่อนบ้าน", "area_m2": "800"}, setup["committee"])
    auth.login("admin")
    first = client.get("/batches/new").get_data(as_text=True)
    assert 'data-testid="choose-household"' in first and 'data-testid="batch-form"' not in first
    assert "KH-02-002" in first and "แปลงของเพื่อนบ้าน" not in first
    form = client.get(f"/batches/new?household_id={setup['household'].id}").get_data(as_text=True)
    assert 'data-testid="batch-form"' in form
    assert "แปลงริมคลอง · 1 ไร่ (1,600 m²)" in form and "แปลงของเพื่อนบ้าน" not in form


def test_the_harvest_form_sent_twice_records_one_batch(client, auth, certified_household):
    """A double click or a reload of the sent form leads to the same batch, not a second one."""
    import re

    auth.login("admin")
    form = client.get(f"/batches/new?household_id={certified_household['household'].id}").get_data(as_text=True)
    client_id = re.search(r'name="client_id" value="([0-9a-f-]{36})"', form).group(1)
    answers = [client.post("/batches/new", data=batch_input(certified_household, client_id=client_id)) for _ in range(2)]
    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    assert Batch.select().count() == 1


def test_form_shows_every_problem_and_saves_nothing(client, auth, certified_household):
    auth.login("admin")
    before = database_rows()
    answer = client.post("/batches/new", data=batch_input(certified_household, quantity="abc", harvest_date=""))
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert html.count('class="error-text"') >= 2
    assert database_rows() == before


def test_batch_list_filters_by_household_and_status(client, auth, certified_household):
    setup = certified_household
    sold = batches.create_batch(batch_input(setup), setup["committee"])
    fresh = batches.create_batch(batch_input(setup), setup["committee"])
    Batch.update(sold_milli=Batch.quantity_milli).where(Batch.id == sold.id).execute()
    auth.login("inspector")
    html = client.get("/batches?status=available").get_data(as_text=True)
    assert codes.format_code(fresh.code) in html and codes.format_code(sold.code) not in html
    html = client.get(f"/batches?household={setup['household'].id}&q={sold.code[:5]}").get_data(as_text=True)
    assert codes.format_code(sold.code) in html


@pytest.mark.parametrize("url", ["/batches", "/batches/new", "/batches/{code}"])
def test_cashier_does_not_see_batch_pages(client, auth, batch, url):
    auth.login("cashier")
    assert client.get(url.format(code=batch.code)).status_code == 403


def test_unknown_batch_page_is_a_404(client, auth):
    auth.login("admin")
    assert client.get("/batches/ZZZZZZZZ").status_code == 404
