"""The hot paths stay lean: statements per public page and per sale, conditional requests, and
connections that live across requests. Speed itself is measured in bench/, never here."""
import datetime
import os
import time
import uuid

import pytest
from flask import template_rendered
from playhouse.test_utils import count_queries

from certificates import certification, records
from core import households
from core.db import checkpoint_wal, db, start_wal_checkpoints
from market import sales
from traceability import batches

TODAY = datetime.date.today()
PAGE_STATEMENTS = 3  # the trace and certificate pages: the goal of issue 18


@pytest.fixture
def batch(certified_household):
    setup = certified_household
    return batches.create_batch({"household_id": setup["household"].id, "product_id": setup["product"].id,
                                 "plot_id": setup["plot"].id, "harvest_date": TODAY.isoformat(), "quantity": "20"},
                                setup["committee"])


def statements_of(client, url, **kwargs):
    """The answer to GET `url` and the SQL statements the app sent for it."""
    with count_queries() as counted:
        answer = client.get(url, **kwargs)
    return answer, [record.msg[0] for record in counted.get_queries()]


# --- Public pages -----------------------------------------------------------------------------


def test_trace_page_takes_at_most_three_statements(client, batch):
    """Batch with household, product and plot; the household's certificates; the batch's story."""
    client.get(f"/b/{batch.code}")  # the first request of a process may open the connection
    answer, statements = statements_of(client, f"/b/{batch.code}")
    assert answer.status_code == 200 and "status-certified" in answer.get_data(as_text=True)
    assert len(statements) <= PAGE_STATEMENTS, statements


def test_certificate_page_takes_at_most_three_statements(client, certified_household):
    """Certificate with household, standard and body; its products; its plots."""
    number = certified_household["certificate"].number
    client.get(f"/c/{number}")
    answer, statements = statements_of(client, f"/c/{number}")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "คะน้า" in html and "แปลงริมคลอง" in html
    assert len(statements) <= PAGE_STATEMENTS, statements


@pytest.mark.parametrize("page", ["trace", "certificate"])
def test_a_phone_that_reloads_an_unchanged_page_gets_a_bodiless_304(client, batch, certified_household, page):
    """The ETag is the page's own hash: sent back, an unchanged page answers 304 with nothing in it."""
    url = f"/b/{batch.code}" if page == "trace" else f"/c/{certified_household['certificate'].number}"
    first = client.get(url)
    assert first.status_code == 200 and first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache", "the phone must ask every time: the status is live"
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]


def test_a_suspension_changes_both_pages_at_once(client, batch, certified_household):
    """A phone holding yesterday's 'certified' page gets the new page, not a 304, right after a suspension."""
    certificate = certified_household["certificate"]
    urls = [f"/b/{batch.code}", f"/c/{certificate.number}"]
    before = {url: client.get(url).headers["ETag"] for url in urls}
    certification.suspend(certificate, {"reason": "ตรวจพบสารเคมี"}, certified_household["committee"])
    for url in urls:
        answer = client.get(url, headers={"If-None-Match": before[url]})
        assert answer.status_code == 200, url
        assert answer.headers["ETag"] != before[url]
        assert "ระงับ" in answer.get_data(as_text=True)
    certification.reinstate(certificate, {"reason": "แก้ไขแล้ว"}, certified_household["committee"])
    assert client.get(urls[0], headers={"If-None-Match": before[urls[0]]}).status_code == 304, \
        "reinstated, the page is the same as before"


def test_a_recall_changes_the_trace_page_etag(client, batch, certified_household):
    """A recalled batch's page is never answered from the phone's old copy."""
    url = f"/b/{batch.code}"
    old = client.get(url).headers["ETag"]
    batches.recall_batch(batch, {"reason": "พบเชื้อรา"}, certified_household["committee"])
    answer = client.get(url, headers={"If-None-Match": old})
    assert answer.status_code == 200 and 'data-testid="recall-notice"' in answer.get_data(as_text=True)


def test_the_etag_differs_per_language(client, batch):
    """Thai and English pages are different pages: the English one is never a 304 of the Thai one."""
    url = f"/b/{batch.code}"
    thai = client.get(url).headers["ETag"]
    client.set_cookie("lang", "en")
    english = client.get(url, headers={"If-None-Match": thai})
    assert english.status_code == 200 and english.headers["ETag"] != thai


@pytest.fixture
def rendered(app):
    """The names of the templates rendered while the test runs."""
    names = []

    def note(sender, template, context, **extra):
        names.append(template.name)

    template_rendered.connect(note, app)
    yield names
    template_rendered.disconnect(note, app)


@pytest.mark.parametrize("page", ["trace", "certificate"])
def test_an_unchanged_page_is_answered_without_rendering_it_again(client, batch, certified_household, page, rendered):
    """The second asker of an unchanged page gets the kept bytes: same body, same ETag, no template run."""
    url = f"/b/{batch.code}" if page == "trace" else f"/c/{certified_household['certificate'].number}"
    first = client.get(url)
    assert len(rendered) == 1
    again = client.get(url)
    assert again.status_code == 200 and again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    assert len(rendered) == 1, "answered from the kept page"


def test_a_page_whose_status_reads_the_conversion_records_is_never_kept(client, certified_household, rendered):
    """A plot outside the certificate is "in conversion" by its plot record: a changed record shows at once."""
    setup = certified_household
    young = households.create_plot(setup["household"], {"name": "แปลงใหม่", "area_m2": "400"}, setup["committee"])
    records.save_plot_record(young, {"conversion_start": (TODAY - datetime.timedelta(days=30)).isoformat()},
                             setup["committee"])
    batch = batches.create_batch({"household_id": setup["household"].id, "product_id": setup["product"].id,
                                  "plot_id": young.id, "harvest_date": TODAY.isoformat(), "quantity": "5"},
                                 setup["committee"])
    url = f"/b/{batch.code}"
    assert "status-in_conversion" in client.get(url).get_data(as_text=True)
    assert "status-in_conversion" in client.get(url).get_data(as_text=True)
    assert len(rendered) == 2, "rendered for each asker"
    records.save_plot_record(young, {"conversion_start": ""}, setup["committee"])
    assert "status-in_conversion" not in client.get(url).get_data(as_text=True)


# --- Recording a sale -------------------------------------------------------------------------

SALE_STATEMENTS = 8  # a one-line sale, BEGIN and COMMIT aside: the goal of issue 18


@pytest.fixture
def counter(batch, certified_household, token_for):
    day = sales.open_market_day({"counter": "A", "opening_float": "0"}, certified_household["committee"])
    return {"day": day, "headers": token_for("cashier")}


def one_line_sale(batch, day):
    return {"client_id": str(uuid.uuid4()), "market_day_id": day.id,
            "lines": [{"batch_code": batch.code, "quantity": "0.5", "unit_price_satang": batch.price_satang}],
            "payment": {"method": "cash"}}


def test_a_one_line_sale_takes_at_most_eight_statements(client, batch, counter):
    """Token, sale id and day, tolerance, batch, certificates, then the sale, the stock and the line."""
    first = client.post("/api/v1/sales", json=one_line_sale(batch, counter["day"]), headers=counter["headers"])
    assert first.status_code == 201
    with count_queries() as counted:
        answer = client.post("/api/v1/sales", json=one_line_sale(batch, counter["day"]), headers=counter["headers"])
    statements = [record.msg[0] for record in counted.get_queries()]
    assert answer.status_code == 201, answer.json
    assert answer.json["lines"][0]["batch_code"] == batch.code and answer.json["lines"][0]["household_public_name"]
    assert len(statements) <= SALE_STATEMENTS, statements


# --- Connections ------------------------------------------------------------------------------


def test_requests_reuse_one_connection(app, client):
    """A request borrows a pooled connection and gives it back: the next request gets the same one."""
    seen = []

    @app.before_request
    def note_connection():
        seen.append(db.connection())

    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert seen[0] is seen[1] is seen[2]


@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="SQLite's PRAGMAs and WAL")
def test_pragmas_run_once_per_connection_not_per_request(app, client):
    """After the first request the connection keeps its settings; later requests send no PRAGMA at all."""
    seen = []

    @app.before_request
    def note_connection():
        seen.append(db.connection())

    client.get("/c/KH-2569-0001")
    connection = seen[0]
    sent = []
    connection.set_trace_callback(sent.append)
    try:
        for _ in range(3):
            assert client.get("/c/KH-2569-0001").status_code == 404  # one SELECT each
    finally:
        connection.set_trace_callback(None)
    assert sent and not [sql for sql in sent if "PRAGMA" in sql.upper()], sent
    assert connection.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="SQLite's PRAGMAs and WAL")
def test_the_wal_is_checkpointed_on_a_schedule_not_by_requests(app, client, certified_household, app_config):
    """Requests leave what they wrote in the WAL; the scheduled checkpoint copies it into the file."""
    path = app_config["DATABASE_URL"][len("sqlite:///"):]
    checkpoint_wal()
    size = os.path.getsize(path)
    db.execute_sql("CREATE TABLE filler (text TEXT)")
    db.execute_sql("INSERT INTO filler SELECT hex(randomblob(400)) FROM (WITH RECURSIVE n(i) AS "
                   "(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) SELECT i FROM n)")
    for _ in range(3):
        client.get("/login")
    assert os.path.getsize(path) == size, "no request checkpointed the WAL"
    stop_checkpoints = start_wal_checkpoints(interval=0.05)
    try:
        for _ in range(100):
            if os.path.getsize(path) > size:
                break
            time.sleep(0.05)
    finally:
        stop_checkpoints()
    assert os.path.getsize(path) > size, "the scheduled checkpoint wrote the new pages into the file"


# --- QR codes ---------------------------------------------------------------------------------


def test_the_fast_qr_matrix_is_module_for_module_the_qrcode_librarys():
    """The version found once per shape, the table-driven Reed-Solomon and the data laid on a template give the library's own codes."""
    import random
    import string

    import qrcode
    from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q

    from core.qr import qr_matrix

    def library(data, mask, level):
        code = qrcode.QRCode(error_correction=level, border=0, mask_pattern=mask)
        code.add_data(data)
        code.make(fit=True)
        return tuple(tuple(row) for row in code.get_matrix())

    chance = random.Random(18)
    samples = ["https://market.test/b/ABCD2345", "0002010102122937001600000677010111" * 3, "1234567890" * 40,
               "HELLO WORLD 123", "สวนป้าศรี หมู่ที่ 1", ""]
    samples += ["".join(chance.choice(string.printable) for _ in range(chance.randint(1, 700))) for _ in range(25)]
    for data in samples:
        assert qr_matrix(data) == library(data, None, ERROR_CORRECT_M), data[:30]
        for level in (ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q, ERROR_CORRECT_H):
            assert qr_matrix(data, level, 2) == library(data, 2, level), (data[:30], level)
    for mask in range(8):  # the data laid on a template made once per version, level and mask
        for data in samples[:2]:
            assert qr_matrix(data, ERROR_CORRECT_M, mask) == library(data, mask, ERROR_CORRECT_M), (data[:30], mask)
