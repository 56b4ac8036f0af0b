"""Hostile and odd input, property-based (hypothesis), and a database that cannot be written."""
import datetime
import uuid
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.db import close_connections, db, is_sqlite
from core.validation import Checkbox, Form, Schema, ValidationError, parse_decimal
from market import promptpay, sales
from market.models import Sale
from traceability import batches, codes
from traceability.models import Batch

from tests.support import TEST_DATABASE_URL, database_rows

BASE_URL = "http://market.test"
ANY_TEXT = st.text(max_size=400)


# --- Properties of the pure rules ---------------------------------------------------------------


@given(st.text(alphabet=codes.ALPHABET, min_size=7, max_size=7))
def test_every_code_body_with_its_check_symbol_parses_back(body):
    code = body + codes.check_symbol(body)
    assert codes.parse_code(code) == code
    assert codes.parse_code(codes.format_code(code).lower()) == code


@given(ANY_TEXT)
def test_any_scan_is_a_code_or_a_mistyped_code_never_a_crash(text):
    try:
        code = codes.code_from_scan(text, BASE_URL)
    except codes.MistypedCode:
        return
    assert len(code) == 8 and set(code) <= set(codes.ALPHABET)


@given(st.one_of(ANY_TEXT, st.integers(), st.floats(allow_nan=True), st.none(), st.booleans(),
                 st.lists(st.integers(), max_size=3)))
def test_money_fields_never_hold_a_float_and_never_crash(value):
    form = Form({"price": value})
    form.money("price")
    try:
        cleaned = form.finish()
    except ValidationError as refused:
        assert "price" in refused.errors
        return
    assert cleaned["price"] is None or (isinstance(cleaned["price"], int) and cleaned["price"] >= 0)


@given(st.decimals(min_value=0, max_value=10**6, places=3, allow_nan=False))
def test_decimals_are_read_exactly(value):
    assert parse_decimal(str(value), 3) == value


def test_thai_digits_are_numbers():
    assert parse_decimal("๑๒.๕", 1) == Decimal("12.5")
    form = Form({"n": "๑๒"})
    form.integer("n")
    assert form.finish()["n"] == 12


class Ticked(Schema):
    agreed = Checkbox()


@given(st.one_of(ANY_TEXT, st.integers(), st.none(), st.booleans()))
def test_a_checkbox_is_ticked_or_not_never_an_error(value):
    """A page's checkbox (a critical criterion, screening required, keep the photo's position) never refuses a form."""
    assert Ticked.clean({"agreed": value})["agreed"] in (True, False)


@pytest.mark.parametrize(("sent", "ticked"), [("on", True), ("1", True), ("YES", True), ("true", True), (True, True),
                                              ("", False), ("off", False), ("maybe", False), (None, False)])
def test_a_checkbox_is_ticked_only_by_what_a_browser_sends_for_it(sent, ticked):
    assert Ticked.clean({"agreed": sent})["agreed"] is ticked
    assert Ticked.clean({})["agreed"] is False


@given(st.integers(min_value=1, max_value=promptpay.MAX_AMOUNT_SATANG),
       st.sampled_from(["0812345678", "1234567890123", "123456789012345"]))
def test_every_promptpay_payload_carries_a_valid_crc(amount, account):
    payload = promptpay.payload(account, amount)
    assert promptpay.crc16_ccitt_false(payload[:-4].encode()) == int(payload[-4:], 16)
    assert f"54{len(f'{amount // 100}.{amount % 100:02d}'):02d}{amount // 100}.{amount % 100:02d}" in payload


# --- Hostile sales through the API -------------------------------------------------------------


@pytest.fixture
def counter(certified_household, make_user):
    from core import accounts

    setup = certified_household
    batch = batches.create_batch({"household_id": setup["household"].id, "product_id": setup["product"].id,
                                  "plot_id": setup["plot"].id, "harvest_date": datetime.date.today().isoformat(),
                                  "quantity": "100"}, setup["committee"])
    day = sales.open_market_day({"counter": "A", "opening_float": "0"}, setup["committee"])
    token = accounts.create_token(make_user("cashier", "kaew"))
    return {"batch": batch, "day": day, "headers": {"Authorization": f"Bearer {token}"}}


def sale(counter, quantity="1", code=None):
    return {"client_id": str(uuid.uuid4()), "market_day_id": counter["day"].id,
            "lines": [{"batch_code": code or counter["batch"].code, "quantity": quantity}],
            "payment": {"method": "cash"}}


@pytest.mark.parametrize("quantity", ["-1", "0", "1e309", "NaN", "Infinity", -1, 0, 1e309, "", None, [], {}, True])
def test_hostile_quantities_are_a_400_and_write_nothing(client, counter, quantity):
    before = database_rows()
    answer = client.post("/api/v1/sales", json=sale(counter, quantity), headers=counter["headers"])
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert database_rows() == before


def test_thai_digit_quantities_are_understood(client, counter):
    answer = client.post("/api/v1/sales", json=sale(counter, "๑๒"), headers=counter["headers"])
    assert answer.status_code == 201, answer.json
    assert answer.json["lines"][0]["quantity"] == "12.000"


@pytest.mark.parametrize("code", ["\x00\xff\x10junk", "A" * 10_000, "https://evil.example/b/{code}", "{typo}",
                                  "<script>alert(1)</script>", "../../etc/passwd"])
def test_hostile_scans_are_refused_with_a_reason_and_write_nothing(client, counter, code):
    real = counter["batch"].code
    typo = real[:-1] + ("2" if real[-1] != "2" else "3")
    before = database_rows()
    answer = client.post("/api/v1/sales", json=sale(counter, code=code.format(code=real, typo=typo)),
                         headers=counter["headers"])
    assert 400 <= answer.status_code < 500
    assert database_rows() == before
    lookup = client.get("/api/v1/pos/lookup", query_string={"scan": code.format(code=real, typo=typo)},
                        headers=counter["headers"])
    assert lookup.status_code in (400, 404)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(["client_id", "market_day_id", "lines", "payment", "x"]),
                       st.one_of(ANY_TEXT, st.integers(), st.none(), st.lists(st.dictionaries(
                           st.sampled_from(["batch_code", "quantity", "unit_price_satang", "discount_satang"]),
                           st.one_of(ANY_TEXT, st.integers(), st.none()), max_size=4), max_size=3))))
def test_any_json_body_is_an_answer_never_a_500(client, counter, body):
    answer = client.post("/api/v1/sales", json=body, headers=counter["headers"])
    assert answer.status_code < 500, answer.get_data(as_text=True)


# --- A database that cannot be written ---------------------------------------------------------


def test_a_read_only_database_is_a_clear_503_and_no_half_written_sale(app, client, counter):
    """A database that cannot be written (SQLite's query_only, PostgreSQL's read-only transactions) refuses the whole sale."""
    @app.before_request
    def read_only():
        db.execute_sql("PRAGMA query_only = 1" if is_sqlite() else "SET default_transaction_read_only = on")

    before = {"sales": Sale.select().count(), "sold": Batch.get_by_id(counter["batch"].id).sold_milli}
    answer = client.post("/api/v1/sales", json=sale(counter), headers=counter["headers"])
    assert answer.status_code == 503
    assert answer.json["error"]["code"] == "storage_unavailable"
    assert "ไม่ได้บันทึก" in answer.json["error"]["message"] or "Nothing was saved" in answer.json["error"]["message"]
    db.close()
    with db.connection_context():
        assert Sale.select().count() == before["sales"]
        assert Batch.get_by_id(counter["batch"].id).sold_milli == before["sold"]


@pytest.mark.parametrize("url", ["/api/v1/products?q=%00", "/households?q=a%00b", "/c/KH-2569-%00", "/b/AB%00CD"])
def test_a_nul_character_anywhere_is_a_400_on_every_database(client, counter, url):
    """PostgreSQL cannot hold a NUL character: it must be refused before it reaches the database."""
    answer = client.get(url, headers=counter["headers"])
    assert answer.status_code == 400


def test_a_nul_character_in_json_text_is_refused(client, counter, make_user):
    from core import accounts

    headers = {"Authorization": f"Bearer {accounts.create_token(make_user('admin', 'nul-admin'))}"}
    before = database_rows()
    answer = client.post("/api/v1/products", json={"name_th": "ผัก\x00", "unit": "kg", "category": "vegetable"},
                         headers=headers)
    assert answer.status_code == 400 and "name_th" in answer.json["error"]["fields"]
    assert database_rows() == before


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="uses SQLite's max_page_count to play a disk that fills up")
def test_a_disk_that_fills_during_the_day_refuses_the_sale_that_does_not_fit_and_keeps_the_rest(
        app, client, counter, caplog):
    """Sales go on until the disk is full; that sale is a clear 503, written not at all, and logged."""
    with db.connection_context():
        room = db.execute_sql("PRAGMA page_count").fetchone()[0] + 3  # the disk holds three more pages

    @app.before_request
    def disk_with_little_room():
        db.execute_sql(f"PRAGMA max_page_count = {room}")

    acknowledged = []
    for _ in range(500):
        answer = client.post("/api/v1/sales", json=sale(counter, "0.1"), headers=counter["headers"])
        if answer.status_code != 201:
            break
        acknowledged.append(answer.json["client_id"])
    else:
        pytest.fail("the disk never filled")
    assert answer.status_code == 503, answer.get_data(as_text=True)
    assert answer.json["error"]["code"] == "storage_unavailable"
    assert "ไม่ได้บันทึก" in answer.json["error"]["message"]
    assert any("cannot be written" in record.getMessage() and record.levelname == "ERROR" for record in caplog.records)
    db.close()
    with db.connection_context():
        assert sorted(s.client_id for s in Sale.select()) == sorted(acknowledged), "every sale before is kept, none after"
        assert Batch.get_by_id(counter["batch"].id).sold_milli == 100 * len(acknowledged)


@pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="removes the SQLite file's folder to play a database that is gone")
def test_a_database_that_cannot_be_reached_is_a_503_with_retry_after(app, client, counter, app_config):
    """When the database cannot be opened the counter hears 'nothing was saved, try again', never a 500."""
    import pathlib
    import shutil

    close_connections()  # the pool's open connections would still reach the moved file, as at a restart they do not
    folder = pathlib.Path(app_config["DATABASE_URL"][len("sqlite:///"):]).parent
    moved = folder.with_name(folder.name + "-away")
    shutil.move(folder, moved)
    try:
        answer = client.post("/api/v1/sales", json=sale(counter), headers=counter["headers"])
        page = client.get("/login")
        health = client.get("/healthz")
    finally:
        shutil.move(moved, folder)
    assert answer.status_code == 503 and answer.json["error"]["code"] == "database_unavailable"
    assert answer.headers["Retry-After"] == "5"
    assert page.status_code == 503 and "ไม่ได้บันทึก" in page.get_data(as_text=True)
    assert health.status_code == 503, "monitoring sees it too"
    with db.connection_context():
        assert Sale.select().count() == 0
