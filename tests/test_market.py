"""The market: recording sales exactly once, refusing what cannot be sold, stock under concurrency,
voids and refunds, the Z-report, settlements with households, receipts."""
import csv
import datetime
import io
import re
import threading
import uuid
from decimal import Decimal

import pytest

from certificates import certification
from core import products
from core.db import db
from core.validation import ValidationError
from market import sales, settings, settlements
from market.models import MarketDay, Refund, Sale, SaleLine, Settlement
from traceability import batches
from traceability.models import Batch, BatchEvent

from tests.support import database_rows, pdf_text, qr_picture

BASE_URL = "http://market.test"
TODAY = datetime.date.today()


@pytest.fixture
def counter(certified_household, make_user):
    """A certified household's 10 kg batch at ฿60/kg, a cashier, and counter A open with ฿500."""
    setup = dict(certified_household)
    setup["batch"] = batches.create_batch({
        "household_id": setup["household"].id, "product_id": setup["product"].id, "plot_id": setup["plot"].id,
        "harvest_date": TODAY.isoformat(), "quantity": "10"}, setup["committee"])
    setup["cashier"] = make_user("cashier", "kaew")
    setup["admin"] = setup["committee"]
    setup["day"] = sales.open_market_day({"counter": "A", "opening_float": "500"}, setup["admin"])
    return setup


def sale_data(setup, *lines, method="cash", tendered=None, client_id=None, **payment):
    return {
        "client_id": client_id or str(uuid.uuid4()),
        "market_day_id": setup["day"].id,
        "lines": [{"batch_code": code, "quantity": quantity, "unit_price_satang": 6000} for code, quantity in lines]
                 or [{"batch_code": setup["batch"].code, "quantity": "1.5", "unit_price_satang": 6000}],
        "payment": {"method": method, **({"cash_tendered_satang": tendered} if tendered is not None else {}), **payment},
    }


def sell(setup, *lines, **options):
    return sales.record_sale(sale_data(setup, *lines, **options), setup["cashier"], BASE_URL)


def reload(batch):
    return Batch.get_by_id(batch.id)


# --- Recording a sale -------------------------------------------------------------------------


def test_a_sale_takes_stock_and_records_lines_totals_and_change(counter):
    sale, created = sell(counter, (counter["batch"].code, "1.25"), tendered=10000)
    assert created
    assert sale.total_satang == 7500 and sale.cash_satang == 7500 and sale.change_satang == 2500
    line = SaleLine.get(SaleLine.sale == sale)
    assert (line.quantity_milli, line.unit_price_satang, line.total_satang) == (1250, 6000, 7500)
    assert line.household_id == counter["household"].id and line.certification_state == "certified"
    assert reload(counter["batch"]).sold_milli == 1250
    assert BatchEvent.select().where(BatchEvent.kind == "at_market").count() == 1


def test_the_full_label_url_works_as_the_code(counter):
    sale, _created = sell(counter, (f"{BASE_URL}/b/{counter['batch'].code}", "1"))
    assert sale.total_satang == 6000


def test_the_same_sale_id_twice_is_one_sale(counter):
    data = sale_data(counter, (counter["batch"].code, "2"))
    first, created = sales.record_sale(data, counter["cashier"], BASE_URL)
    rows = database_rows()
    again, created_again = sales.record_sale(data, counter["cashier"], BASE_URL)
    assert created and not created_again and again.id == first.id
    assert database_rows() == rows, "a retry writes nothing"
    assert reload(counter["batch"]).sold_milli == 2000


def test_a_retry_of_the_sale_that_sold_the_batch_out_is_that_sale_not_a_refusal(counter):
    """A retry finds its sale before any line is checked again, so never "sold out"."""
    data = sale_data(counter, (counter["batch"].code, "10"))
    first, _created = sales.record_sale(data, counter["cashier"], BASE_URL)
    rows = database_rows()
    again, created_again = sales.record_sale(data, counter["cashier"], BASE_URL)
    assert not created_again and again.id == first.id
    assert database_rows() == rows


def test_line_discount_and_rounding_to_the_satang(counter):
    data = sale_data(counter)
    data["lines"] = [{"batch_code": counter["batch"].code, "quantity": "0.333", "unit_price_satang": 6000, "discount_satang": 500}]
    sale, _created = sales.record_sale(data, counter["cashier"], BASE_URL)
    assert sale.total_satang == 1998 - 500  # 0.333 kg × ฿60 = ฿19.98


def test_sold_out_batch_gets_its_sold_out_step(counter):
    sell(counter, (counter["batch"].code, "10"))
    assert reload(counter["batch"]).status == "sold_out"
    assert [e.kind for e in BatchEvent.select().order_by(BatchEvent.id)][-1] == "sold_out"


def assert_refused(setup, code, *lines, **options):
    before = database_rows()
    with pytest.raises(sales.SaleRefused) as refused:
        sell(setup, *lines, **options)
    assert [r.code for r in refused.value.refusals] == [code], refused.value.refusals
    assert str(refused.value.refusals[0].message)
    assert database_rows() == before, "a refused sale writes nothing"


def test_a_suspended_households_batch_is_refused(counter):
    certification.suspend(counter["certificate"], {"reason": "พบการใช้ปุ๋ยเคมี"}, counter["committee"])
    assert_refused(counter, "suspended", (counter["batch"].code, "1"))


def test_a_recalled_batch_is_refused(counter):
    Batch.update(recalled_at=datetime.datetime.now(), recall_reason="สงสัยปนเปื้อน").where(Batch.id == counter["batch"].id).execute()
    assert_refused(counter, "recalled", (counter["batch"].code, "1"))


def test_more_than_the_batch_plus_tolerance_is_refused(counter):
    """10 kg with the default 5 % tolerance: 10.5 kg may be sold, 10.6 kg may not."""
    assert_refused(counter, "not_enough", (counter["batch"].code, "10.6"))
    sell(counter, (counter["batch"].code, "10.5"))
    assert_refused(counter, "sold_out", (counter["batch"].code, "0.001"))


def test_two_lines_of_one_batch_count_together(counter):
    assert_refused(counter, "not_enough", (counter["batch"].code, "6"), (counter["batch"].code, "6"))


def test_a_changed_price_is_refused(counter):
    Batch.update(price_satang=7000).where(Batch.id == counter["batch"].id).execute()
    assert_refused(counter, "price_changed", (counter["batch"].code, "1"))


def test_uncertified_product_is_refused_but_a_handicraft_sells(counter):
    setup = counter
    kale = products.create_product({"name_th": "ผักบุ้ง", "unit": "bunch", "category": "vegetable",
                                    "is_certifiable": True, "default_price": "15"}, setup["admin"])
    outside = batches.create_batch({"household_id": setup["household"].id, "product_id": kale.id,
                                    "harvest_date": TODAY.isoformat(), "quantity": "20"}, setup["admin"])
    with pytest.raises(sales.SaleRefused) as refused:
        sales.record_sale({**sale_data(setup), "lines": [{"batch_code": outside.code, "quantity": "1"}]},
                          setup["cashier"], BASE_URL)
    assert refused.value.refusals[0].code == "not_in_scope"
    basket = products.create_product({"name_th": "ตะกร้าสาน", "unit": "piece", "category": "handicraft",
                                      "default_price": "120"}, setup["admin"])
    woven = batches.create_batch({"household_id": setup["household"].id, "product_id": basket.id,
                                  "harvest_date": TODAY.isoformat(), "quantity": "3"}, setup["admin"])
    sale, _created = sales.record_sale({**sale_data(setup), "lines": [{"batch_code": woven.code, "quantity": "1"}]},
                                       setup["cashier"], BASE_URL)
    assert sale.total_satang == 12000


def test_every_refused_line_is_listed(counter):
    certification.suspend(counter["certificate"], {"reason": "ตรวจพบสารเคมี"}, counter["committee"])
    code = counter["batch"].code
    typo = code[:-1] + ("2" if code[-1] != "2" else "3")
    with pytest.raises(sales.SaleRefused) as refused:
        sell(counter, (code, "1"), (typo, "1"))
    assert {(r.index, r.code) for r in refused.value.refusals} == {(0, "suspended"), (1, "mistyped_code")} or \
        [r.code for r in refused.value.refusals] == ["mistyped_code"]


@pytest.mark.parametrize("quantity", ["-1", "0", "1e309", "NaN", "1.2345", "", "abc", None])
def test_bad_quantities_are_a_validation_error(counter, quantity):
    before = database_rows()
    data = sale_data(counter)
    data["lines"][0]["quantity"] = quantity
    with pytest.raises(Exception) as raised:
        sales.record_sale(data, counter["cashier"], BASE_URL)
    assert raised.type.__name__ == "ValidationError" and "lines.0.quantity" in raised.value.errors
    assert database_rows() == before


@pytest.mark.parametrize("change", [
    {"client_id": "not-a-uuid"}, {"lines": []}, {"lines": "x"}, {"market_day_id": "x"},
    {"payment": {"method": "gold"}}, {"payment": {"method": "cash", "cash_tendered_satang": 100}},
    {"payment": {"method": "split", "promptpay_satang": 0}},
])
def test_bad_sales_are_refused_whole(counter, change):
    before = database_rows()
    with pytest.raises(Exception) as raised:
        sales.record_sale({**sale_data(counter), **change}, counter["cashier"], BASE_URL)
    assert raised.type.__name__ == "ValidationError"
    assert database_rows() == before


def test_split_payment(counter):
    sale, _created = sell(counter, (counter["batch"].code, "2"), method="split", promptpay_satang=5000, tendered=10000)
    assert (sale.total_satang, sale.cash_satang, sale.promptpay_satang, sale.change_satang) == (12000, 7000, 5000, 3000)


def test_no_sale_on_a_closed_day(counter):
    sales.close_market_day(counter["day"], {"counted_cash": "500"}, counter["admin"])
    with pytest.raises(Exception) as raised:
        sell(counter)
    assert "market_day_id" in raised.value.errors


def test_one_open_day_per_counter(counter):
    with pytest.raises(Exception) as raised:
        sales.open_market_day({"counter": "A", "opening_float": "100"}, counter["admin"])
    assert "counter" in raised.value.errors


# --- Concurrency ------------------------------------------------------------------------------


def test_counters_selling_the_last_kilograms_at_once_never_oversell(app, counter):
    """Twelve counters each sell 1 kg of a 10 kg batch with no tolerance, all at the same moment."""
    settings.save_settings({"market_name": "ตลาด", "promptpay_id": "", "commission_percent": "0",
                            "stock_tolerance_percent": "0"}, counter["admin"])
    db.close()
    start = threading.Barrier(12)
    outcomes = []

    def counter_thread():
        with app.test_request_context(), db.connection_context():
            start.wait()
            try:
                sale, _created = sell(counter, (counter["batch"].code, "1"))
                outcomes.append(("sold", sale.id))
            except sales.SaleRefused as refused:
                outcomes.append(("refused", refused.refusals[0].code))

    threads = [threading.Thread(target=counter_thread) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    sold = [sale_id for outcome, sale_id in outcomes if outcome == "sold"]
    assert len(outcomes) == 12
    assert len(sold) == 10 and len(set(sold)) == 10
    assert sorted(code for outcome, code in outcomes if outcome == "refused") == ["sold_out", "sold_out"]
    assert reload(counter["batch"]).sold_milli == 10_000
    assert Sale.select().count() == 10 and SaleLine.select().count() == 10


def test_the_same_sale_sent_by_many_retries_at_once_is_recorded_once(app, counter):
    data = sale_data(counter, (counter["batch"].code, "1"))
    db.close()
    start = threading.Barrier(6)
    ids = []

    def retry():
        with app.test_request_context(), db.connection_context():
            start.wait()
            ids.append(sales.record_sale(data, counter["cashier"], BASE_URL)[0].id)

    threads = [threading.Thread(target=retry) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(ids) == 6 and len(set(ids)) == 1
    assert Sale.select().count() == 1 and reload(counter["batch"]).sold_milli == 1000


# --- Voids and refunds ------------------------------------------------------------------------


def test_void_returns_the_stock_and_keeps_the_record(counter):
    sale, _created = sell(counter, (counter["batch"].code, "3"))
    sales.void_sale(sale, {"reason": "ลูกค้าเปลี่ยนใจ"}, counter["cashier"])
    voided = Sale.get_by_id(sale.id)
    assert voided.voided_at and voided.void_reason == "ลูกค้าเปลี่ยนใจ" and voided.voided_by_id == counter["cashier"].id
    assert reload(counter["batch"]).sold_milli == 0
    with pytest.raises(ValidationError):
        sales.void_sale(voided, {"reason": "อีกครั้ง"}, counter["cashier"])
    assert reload(counter["batch"]).sold_milli == 0


def test_cashier_cannot_void_after_the_day_is_closed_but_admin_can(counter):
    sale, _created = sell(counter, (counter["batch"].code, "1"))
    sales.close_market_day(counter["day"], {"counted_cash": "560"}, counter["admin"])
    with pytest.raises(Exception) as raised:
        sales.void_sale(sale, {"reason": "ผิด"}, counter["cashier"])
    assert "reason" in raised.value.errors
    sales.void_sale(sale, {"reason": "คีย์ผิด"}, counter["admin"])
    assert Sale.get_by_id(sale.id).voided_at is not None


def test_partial_refunds_add_up_to_the_line_exactly(counter):
    sale, _created = sell(counter, (counter["batch"].code, "1"))  # ฿60.00
    line = SaleLine.get(SaleLine.sale == sale)
    amounts = [sales.refund_line(line, {"quantity": q, "reason": "เหี่ยว"}, counter["cashier"]).amount_satang
               for q in ("0.333", "0.333", "0.334")]
    assert sum(amounts) == 6000 and amounts[:2] == [1998, 1998]
    assert reload(counter["batch"]).sold_milli == 0
    with pytest.raises(Exception) as raised:
        sales.refund_line(line, {"quantity": "0.001", "reason": "อีก"}, counter["cashier"])
    assert "quantity" in raised.value.errors


# --- Z-report and settlements -----------------------------------------------------------------


def test_z_report_counts_methods_voids_refunds_and_cash(counter):
    code = counter["batch"].code
    sell(counter, (code, "1"), tendered=10000)  # cash 60
    sell(counter, (code, "2"), method="promptpay")  # promptpay 120
    voided, _ = sell(counter, (code, "1"))
    sales.void_sale(voided, {"reason": "ผิด"}, counter["cashier"])
    kept, _ = sell(counter, (code, "0.5"))  # cash 30
    sales.refund_line(SaleLine.get(SaleLine.sale == kept), {"quantity": "0.5", "reason": "เสีย"}, counter["cashier"])
    day = sales.close_market_day(counter["day"], {"counted_cash": "585"}, counter["admin"])
    report = settlements.z_report(day)
    methods = {row["payment_method"]: row for row in report["by_method"]}
    assert methods["cash"]["total_satang"] == 9000 and methods["promptpay"]["total_satang"] == 12000
    assert report["sales_count"] == 3 and report["sales_total"] == 21000
    assert report["voided"] == {"count": 1, "total": 6000}
    assert report["refunds"] == {"count": 1, "total": 3000}
    assert report["expected_cash"] == 50000 + 9000 - 3000
    assert report["difference"] == 58500 - 56000
    assert report["by_household"][0]["total_satang"] == 21000
    assert report["by_product"][0]["quantity_milli"] == 3500


def test_settlement_claims_each_line_once_with_commission(counter):
    settings.save_settings({"market_name": "ตลาด", "promptpay_id": "", "commission_percent": "5",
                            "stock_tolerance_percent": "5"}, counter["admin"])
    code = counter["batch"].code
    sell(counter, (code, "2"))
    sell(counter, (code, "1.5"))
    period = {"period_start": TODAY.isoformat(), "period_end": TODAY.isoformat()}
    assert settlements.preview(period)[3] == [], "an open day is not settled yet"
    sales.close_market_day(counter["day"], {"counted_cash": "710"}, counter["admin"])
    made = settlements.create_settlements(period, counter["admin"])
    assert len(made) == 1
    settlement = made[0]
    assert (settlement.gross_satang, settlement.commission_satang, settlement.net_satang) == (21000, 1050, 19950)
    assert SaleLine.select().where(SaleLine.settlement == settlement).count() == 2
    with pytest.raises(Exception) as raised:
        settlements.create_settlements(period, counter["admin"])
    assert "period_start" in raised.value.errors
    assert Settlement.select().count() == 1


def test_refund_after_settlement_goes_to_the_next_settlement(counter):
    """The secretariat refunds a settled line on a later day: the next settlement takes it off."""
    sale, _ = sell(counter, (counter["batch"].code, "2"))
    sales.close_market_day(counter["day"], {"counted_cash": "620"}, counter["admin"])
    period = {"period_start": TODAY.isoformat(), "period_end": TODAY.isoformat()}
    settlements.create_settlements(period, counter["admin"])
    with pytest.raises(ValidationError):
        sales.void_sale(sale, {"reason": "ผิด"}, counter["admin"])
    day2 = sales.open_market_day({"counter": "A", "opening_float": "500"}, counter["admin"])
    line = SaleLine.get(SaleLine.sale == sale)
    with pytest.raises(Exception) as raised:
        sales.refund_line(line, {"quantity": "1", "reason": "เน่า", "market_day_id": day2.id}, counter["cashier"])
    assert "quantity" in raised.value.errors, "a cashier changes only sales of a day still open"
    sales.refund_line(line, {"quantity": "1", "reason": "เน่า", "market_day_id": day2.id}, counter["admin"])
    sales.close_market_day(day2, {"counted_cash": "440"}, counter["admin"])
    second = settlements.create_settlements(period, counter["admin"])[0]
    assert (second.gross_satang, second.refunds_satang, second.net_satang) == (0, 6000, -6000)
    assert Refund.get().settlement_id == second.id


def test_mark_paid_once_and_statement_pdf(app, counter):
    sell(counter, (counter["batch"].code, "2"))
    sales.close_market_day(counter["day"], {"counted_cash": "620"}, counter["admin"])
    settlement = settlements.create_settlements({"period_start": TODAY.isoformat(), "period_end": TODAY.isoformat()},
                                                counter["admin"])[0]
    paid = settlements.mark_paid(settlement, {"paid_on": TODAY.isoformat(), "paid_method": "cash"}, counter["admin"])
    assert paid.paid_on == TODAY
    with pytest.raises(ValidationError):
        settlements.mark_paid(paid, {"paid_on": TODAY.isoformat(), "paid_method": "cash"}, counter["admin"])
    from core import report
    from market import documents
    with app.test_request_context():
        text = pdf_text(report.to_pdf(documents.settlement_statement(paid, settlements.statement_lines(paid),
                                                                     settlements.statement_refunds(paid), "ตลาดเขียว")))
    assert "฿120.00" in text and counter["batch"].code[:4] in text


# --- Over HTTP --------------------------------------------------------------------------------


def test_api_sale_201_then_200_for_a_retry(client, token_for, counter):
    headers = token_for("cashier", "api-cashier")
    data = sale_data(counter, (counter["batch"].code, "1.5"), tendered=10000)
    first = client.post("/api/v1/sales", json=data, headers=headers)
    assert first.status_code == 201, first.json
    assert first.json["total_satang"] == 9000 and first.json["payment"]["change_satang"] == 1000
    assert first.json["lines"][0]["household_public_name"] == "สวนป้าศรี"
    again = client.post("/api/v1/sales", json=data, headers=headers)
    assert again.status_code == 200 and again.json == first.json


def test_api_refusal_is_409_with_the_reason_in_thai(client, token_for, counter):
    certification.suspend(counter["certificate"], {"reason": "ตรวจพบสารเคมี"}, counter["committee"])
    answer = client.post("/api/v1/sales", json=sale_data(counter), headers=token_for("cashier", "api-cashier"))
    assert answer.status_code == 409
    assert answer.json["error"]["code"] == "suspended"
    assert "ระงับ" in answer.json["error"]["message"]
    assert answer.json["error"]["lines"][0]["index"] == 0


def test_pos_lookup_tells_sellable_refused_mistyped_and_unknown(client, token_for, counter):
    headers = token_for("cashier", "api-cashier")
    code = counter["batch"].code
    found = client.get(f"/api/v1/pos/lookup?scan={BASE_URL}/b/{code}", headers=headers)
    assert found.status_code == 200 and found.json["sellable"] and found.json["price_satang"] == 6000
    assert "phone" not in found.get_data(as_text=True)
    typo = code[:-1] + ("2" if code[-1] != "2" else "3")
    assert client.get(f"/api/v1/pos/lookup?scan={typo}", headers=headers).json["error"]["code"] == "mistyped_code"
    assert client.get("/api/v1/pos/lookup?scan=https://evil.example/b/" + code, headers=headers).status_code == 400
    assert client.get("/api/v1/pos/lookup?scan=" + "x" * 10_000, headers=headers).status_code == 400
    Batch.update(sold_milli=Batch.quantity_milli).where(Batch.id == counter["batch"].id).execute()
    refused = client.get(f"/api/v1/pos/lookup?scan={code}", headers=headers).json
    assert not refused["sellable"] and refused["refusal"]["code"] == "sold_out"


def test_pos_search_by_thai_or_english_name(client, token_for, counter):
    headers = token_for("cashier", "api-cashier")
    assert [i["code"] for i in client.get("/api/v1/pos/search?q=คะน้า", headers=headers).json["items"]] == [counter["batch"].code]
    assert [i["code"] for i in client.get("/api/v1/pos/search?q=kale", headers=headers).json["items"]] == [counter["batch"].code]
    assert client.get("/api/v1/pos/search?q=durian", headers=headers).json["items"] == []


def test_camera_frame_is_decoded_on_the_server(client, token_for, counter):
    url = f"{BASE_URL}/b/{counter['batch'].code}"
    frame = io.BytesIO()
    qr_picture(url, 8).save(frame, format="JPEG")
    frame.seek(0)
    headers = token_for("cashier", "api-cashier")
    answer = client.post("/api/v1/pos/decode", data={"frame": (frame, "frame.jpg")}, headers=headers)
    assert answer.status_code == 200 and answer.json["text"] == url
    junk = client.post("/api/v1/pos/decode", data={"frame": (io.BytesIO(b"not an image"), "x.jpg")}, headers=headers)
    assert junk.status_code == 404


def test_session_writes_need_the_pages_csrf_token(app, counter):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/login", data={"username": "kaew", "password": "correct-horse-battery", "csrf_token": token}).status_code == 302
    data = sale_data(counter)
    assert client.post("/api/v1/sales", json=data).status_code == 401
    assert client.post("/api/v1/sales", json=data, headers={"X-CSRFToken": "forged"}).status_code == 401
    assert Sale.select().count() == 0
    page_token = re.search(r'data-[a-z-]*csrf[a-z-]*="([^"]+)"', client.get("/pos").get_data(as_text=True)).group(1)
    assert client.post("/api/v1/sales", json=data, headers={"X-CSRFToken": page_token}).status_code == 201


@pytest.mark.parametrize("role, status", [("inspector", 403), (None, 401)])
def test_only_counter_roles_sell(client, token_for, counter, role, status):
    headers = token_for(role, "someone") if role else {}
    before = database_rows()
    assert client.post("/api/v1/sales", json=sale_data(counter), headers=headers).status_code == status
    assert database_rows() == before


def test_promptpay_qr_needs_the_markets_id(client, auth, counter):
    auth.login("cashier", "qr-cashier")
    assert client.get("/api/v1/pos/promptpay.svg?amount_satang=12050").status_code == 409
    settings.save_settings({"market_name": "ตลาด", "promptpay_id": "081-234-5678", "commission_percent": "0",
                            "stock_tolerance_percent": "5"}, counter["admin"])
    answer = client.get("/api/v1/pos/promptpay.svg?amount_satang=12050")
    assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
    payload = answer.headers["X-PromptPay-Payload"]
    assert "0066812345678" in payload and "5406120.50" in payload
    assert client.get("/api/v1/pos/promptpay.svg?amount_satang=-5").status_code == 400
    assert client.get("/api/v1/pos/promptpay.svg?amount_satang=abc").status_code == 400


def test_receipt_and_its_public_page(client, auth, counter, household_data):
    sale, _ = sell(counter, (counter["batch"].code, "1"), tendered=10000)
    auth.login("cashier", "receipt-cashier")
    for paper in ("58", "80", "a4"):
        page = client.get(f"/pos/sales/{sale.id}/receipt?paper={paper}").get_data(as_text=True)
        assert "คะน้า" in page and "สวนป้าศรี" in page and "฿60.00" in page and "<svg" in page
    auth.logout()
    public = client.get(f"/r/{sale.receipt_token}")
    assert public.status_code == 200
    html = public.get_data(as_text=True)
    assert f'href="/b/{counter["batch"].code}"' in html
    for value in (household_data["head_name"], household_data["phone"], "kaew"):
        assert value not in html
    assert client.get("/r/nothing-here").status_code == 404


def test_market_day_pages_open_close_and_z_report_pdf(client, auth, counter):
    sell(counter, (counter["batch"].code, "1"), tendered=10000)
    auth.login("admin", "council2")
    page = client.get(f"/market/days/{counter['day'].id}").get_data(as_text=True)
    assert "฿560.00" in page
    asked = client.post(f"/market/days/{counter['day'].id}", data={"counted_cash": "550", "notes": "เงินทอนขาด 10 บาท"})
    assert asked.status_code == 200 and "-฿10.00" in asked.get_data(as_text=True), "the difference is shown before closing"
    assert MarketDay.get_by_id(counter["day"].id).is_open, "nothing is closed before the confirmation"
    answer = client.post(f"/market/days/{counter['day'].id}", data={"counted_cash": "550", "notes": "เงินทอนขาด 10 บาท",
                                                                     "confirmed": "1"})
    assert answer.status_code == 302
    assert "เงินทอนขาด 10 บาท" in client.get(f"/market/days/{counter['day'].id}").get_data(as_text=True)
    assert MarketDay.get_by_id(counter["day"].id).counted_cash_satang == 55000
    pdf = client.get(f"/market/days/{counter['day'].id}.pdf")
    assert pdf.status_code == 200
    text = pdf_text(pdf.data)
    assert "฿560.00" in text and "-฿10.00" in text and "เงินทอนขาด" in text
    assert client.post("/market/days", data={"counter": "B", "opening_float": "abc"}).status_code == 400


def test_settlement_pages(client, auth, counter):
    sell(counter, (counter["batch"].code, "2"))
    sales.close_market_day(counter["day"], {"counted_cash": "620"}, counter["admin"])
    auth.login("admin", "council2")
    period = f"period_start={TODAY.isoformat()}&period_end={TODAY.isoformat()}"
    preview = client.get(f"/market/settlements?{period}").get_data(as_text=True)
    assert "฿120.00" in preview
    assert client.post("/market/settlements", data={"period_start": TODAY.isoformat(), "period_end": TODAY.isoformat()}).status_code == 302
    settlement = Settlement.get()
    pdf = client.get(f"/market/settlements/{settlement.id}.pdf")
    assert pdf.status_code == 200 and "฿120.00" in pdf_text(pdf.data)
    paying = {"paid_on": TODAY.isoformat(), "paid_method": "cash"}
    assert client.post(f"/market/settlements/{settlement.id}", data=paying).status_code == 302


def test_cashier_cannot_reach_admin_market_pages(client, auth, counter):
    auth.login("cashier", "someone")
    for url in ("/market/days", f"/market/days/{counter['day'].id}", "/market/settlements", "/market/settings"):
        assert client.get(url).status_code == 403, url
    assert client.get("/pos").status_code == 200



# --- Recall -----------------------------------------------------------------------------------


def test_a_recall_stops_the_pos_warns_shoppers_and_lists_every_sale(client, auth, counter):
    code = counter["batch"].code
    sold, _ = sell(counter, (code, "1.5"), tendered=10000)
    voided, _ = sell(counter, (code, "1"))
    sales.void_sale(voided, {"reason": "ผิด"}, counter["cashier"])
    auth.login("inspector", "checker")
    answer = client.post(f"/batches/{code}/recall", data={"reason": "ตรวจพบสารตกค้างเกินมาตรฐาน"})
    assert answer.status_code == 302
    assert client.post(f"/batches/{code}/recall", data={"reason": "อีกครั้ง"}).status_code == 400
    assert [e.kind for e in BatchEvent.select().order_by(BatchEvent.id)][-1] == "recalled"
    assert_refused(counter, "recalled", (code, "1"))
    trace = client.get(f"/b/{code}").get_data(as_text=True)
    assert 'data-testid="recall-notice"' in trace and "ตรวจพบสารตกค้างเกินมาตรฐาน" in trace
    report = client.get(f"/market/recalls/{code}").get_data(as_text=True)
    sold_lines = report.split('data-testid="recall-sales"')[1]
    assert sold_lines.count("<tr>") == 3 and f">{sold.id}<" in sold_lines
    csv_text = client.get(f"/market/recalls/{code}.csv").get_data().decode("utf-8-sig")
    assert csv_text.splitlines()[1].startswith(str(sold.id)) and "1.5" in csv_text
    pdf = client.get(f"/market/recalls/{code}.pdf")
    assert pdf.status_code == 200 and "฿90.00" in pdf_text(pdf.data)
    assert client.get(f"/market/recalls/{code}.exe").status_code == 404


def test_cashier_cannot_recall(client, auth, counter):
    auth.login("cashier", "till")
    before = database_rows()
    assert client.post(f"/batches/{counter['batch'].code}/recall", data={"reason": "x"}).status_code == 403
    assert database_rows() == before


# --- Mass balance -----------------------------------------------------------------------------


def test_mass_balance_figures_and_flags_by_hand(app, counter):
    """1 rai in scope, norm 100 kg per rai per 90 days: over 90 days the land can yield 100 kg.
    Harvested = the batches (10 + 150 kg) plus an older farm-record harvest (8 kg) never made a batch."""
    from certificates import yields
    from certificates.models import Activity
    from reports import massbalance

    setup = counter
    yields.save_norm(setup["product"], {"quantity_per_rai": "100", "season_days": "90"}, setup["admin"])
    Activity.create(household=setup["household"], plot=setup["plot"], done_on=TODAY, activity="harvest",
                    product=setup["product"], quantity=Decimal("8"), unit="kg")
    big = batches.create_batch({"household_id": setup["household"].id, "product_id": setup["product"].id,
                                "plot_id": setup["plot"].id, "harvest_date": TODAY.isoformat(), "quantity": "150"},
                               setup["admin"])
    sell(setup, (setup["batch"].code, "4"))
    sale, _ = sell(setup, (big.code, "120"))
    sales.refund_line(SaleLine.get(SaleLine.sale == sale), {"quantity": "10", "reason": "ช้ำ"}, setup["cashier"])
    start, end = TODAY - datetime.timedelta(days=89), TODAY
    [balance] = massbalance.balances(start, end)
    assert balance.harvested_milli == 168_000
    assert balance.sold_milli == 114_000  # 4 + 120 − 10
    assert balance.certified_area_m2 == Decimal("1600")
    assert balance.capacity_milli == 100_000
    assert balance.flags == ("harvested_over_capacity", "sold_over_capacity")
    assert massbalance.alerts(start, end) == [balance]
    shown = massbalance.evidence([balance], start, end)[(setup["household"].id, setup["product"].id)]
    assert [b.code for b in shown] == [setup["batch"].code, big.code]


def test_mass_balance_page_and_exports(client, auth, counter):
    """A harvest recorded once (its batch) and sold within it is not flagged; the exports carry the figures."""
    sell(counter, (counter["batch"].code, "2"))
    auth.login("inspector", "checker")
    page = client.get("/market/mass-balance")
    assert page.status_code == 200 and 'data-testid="mass-balance"' in page.get_data(as_text=True)
    assert 'data-testid="flag-' not in page.get_data(as_text=True)
    csv_body = client.get("/market/mass-balance.csv").get_data().decode("utf-8-sig")
    assert "10.000" in csv_body and "2.000" in csv_body
    assert client.get("/market/mass-balance.xlsx").status_code == 200
    alerts_page = client.get("/market/mass-balance?alerts=1").get_data(as_text=True)
    csv_link = re.search(r'href="(/market/mass-balance\.csv[^"]*)"', alerts_page).group(1).replace("&amp;", "&")
    assert "alerts=1" in csv_link  # the export holds what the page shows
    assert "10.000" not in client.get(csv_link).get_data().decode("utf-8-sig")
    assert client.get("/market/mass-balance?start=2026-13-01").status_code == 400
    norms = client.post("/yield-norms", data={"product_id": counter["product"].id, "quantity_per_rai": "-1", "season_days": "90"})
    assert norms.status_code == 400
    assert client.post("/yield-norms", data={"product_id": counter["product"].id, "quantity_per_rai": "250.5",
                                             "season_days": "60"}).status_code == 302


# --- Dashboard and the council's report -------------------------------------------------------


def test_dashboard_figures_by_hand(client, auth, counter):
    """฿120 of certified kale and ฿120 of a basket (no claim), ฿30 of kale refunded, one sale voided."""
    from core.models import HouseholdOccupation, OccupationGroup
    from reports import dashboard

    setup = counter
    group = OccupationGroup.create(name_th="กลุ่มปลูกผัก")
    HouseholdOccupation.create(household=setup["household"], group=group)
    basket = products.create_product({"name_th": "ตะกร้าสาน", "unit": "piece", "category": "handicraft",
                                      "default_price": "120"}, setup["admin"])
    woven = batches.create_batch({"household_id": setup["household"].id, "product_id": basket.id,
                                  "harvest_date": TODAY.isoformat(), "quantity": "3"}, setup["admin"])
    kale, _ = sell(setup, (setup["batch"].code, "2"))
    sales.record_sale({**sale_data(setup), "lines": [{"batch_code": woven.code, "quantity": "1"}]}, setup["cashier"], BASE_URL)
    voided, _ = sell(setup, (setup["batch"].code, "1"))
    sales.void_sale(voided, {"reason": "ผิด"}, setup["cashier"])
    sales.refund_line(SaleLine.get(SaleLine.sale == kale), {"quantity": "0.5", "reason": "ช้ำ"}, setup["cashier"])
    start, end = TODAY, TODAY
    assert dashboard.totals(start, end) == {"sales": 2, "net_satang": 21000, "certified_satang": 9000, "certified_percent": 43}
    assert [(p.name_th, amount) for p, amount in dashboard.by_product(start, end)] == [("ตะกร้าสาน", 12000), ("คะน้า", 9000)]
    assert [(h.code, amount) for h, amount in dashboard.by_household(start, end)] == [("KH-01-001", 21000)]
    assert dashboard.by_village(start, end) == [(1, 21000)]
    assert [(g.name_th, amount) for g, amount in dashboard.by_occupation_group(start, end)] == [("กลุ่มปลูกผัก", 21000)]
    assert dashboard.by_day(start, end) == [(TODAY, 21000)]

    auth.login("admin", "council2")
    page = client.get("/market/dashboard").get_data(as_text=True)
    assert "฿210.00" in page and "43%" in page and page.count("<svg") == 5
    csv_body = client.get("/market/dashboard.csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(csv_body)))
    assert rows[:4] == [["ยอดขายตามผลผลิต"], ["สินค้า", "การขาย"], ["ตะกร้าสาน", "120.00"], ["คะน้า", "90.00"]]
    assert rows[4] == [], "each table of the report is its own block"
    assert client.get("/market/dashboard.xlsx").status_code == 200
    assert client.get("/market/dashboard.exe").status_code == 404
    pdf = client.get("/market/dashboard.pdf")
    assert pdf.status_code == 200 and "฿210.00" in pdf_text(pdf.data)
    assert client.get("/market/dashboard?start=2026-99-01").status_code == 400


# --- Courses, surveys and income impact -------------------------------------------------------


def test_income_impact_by_hand(app, counter, make_user):
    """Baseline ฿5,000 income; at 6 months ฿6,000 reported plus ฿120 sold at the market in the 30 days before."""
    from core import programme
    from reports import impact

    setup = counter
    household = setup["household"]
    base_day = TODAY - datetime.timedelta(days=200)
    programme.save_survey(household, {"surveyed_on": base_day.isoformat(), "is_baseline": "1",
                                      "farming_income": "5000", "expenses": "4000"}, setup["admin"])
    programme.save_survey(household, {"surveyed_on": TODAY.isoformat(), "farming_income": "6000", "expenses": "3600",
                                      "home_produced": "400"}, setup["admin"])
    sell(setup, (setup["batch"].code, "2"))  # ฿120 today, in the window
    result = impact.household_impact(household)
    assert result.baseline.income == 500_000 and result.follow_ups["12"] is None
    six = result.follow_ups["6"]
    assert (six.surveyed_income, six.market_income, six.income, six.expenses) == (600_000, 12_000, 612_000, 360_000)
    summary = impact.programme()["summary"]["6"]
    assert summary["income_change"] == 112_000 and summary["income_percent"] == 22.4
    assert summary["expenses_change"] == -40_000 and summary["expenses_percent"] == -10.0
    splits = impact.programme()["splits"]
    assert splits[("village", 1)] == (None, 1), "a group of one household is never shown"
    with pytest.raises(Exception) as raised:
        programme.save_survey(household, {"surveyed_on": TODAY.isoformat(), "is_baseline": "1"}, setup["admin"])
    assert "is_baseline" in raised.value.errors


def test_courses_sign_up_attendance_and_the_household_page(client, auth, counter):
    auth.login("admin", "council2")
    answer = client.post("/courses", data={"curriculum": "3", "name_th": "การเพาะเห็ด รุ่น 2", "teacher": "ครูอนันต์"})
    assert answer.status_code == 302
    course_url = answer.headers["Location"]
    household = counter["household"]
    assert client.post(course_url, data={"action": "signup", "household_id": household.id}).status_code == 302
    assert client.post(course_url, data={"action": "session", "held_on": TODAY.isoformat(), "topic": "เตรียมก้อนเชื้อ"}).status_code == 302
    from core.models import CourseSession
    session = CourseSession.get()
    assert client.post(course_url, data={"action": "attendance", "session_id": session.id,
                                         "household_ids": [household.id]}).status_code == 302
    assert client.post(course_url, data={"action": "attendance", "session_id": session.id,
                                         "household_ids": ["999"]}).status_code == 400
    page = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert "การเพาะเห็ด รุ่น 2" in page
    assert client.post(f"/households/{household.id}/surveys", data={"surveyed_on": TODAY.isoformat(), "is_baseline": "1",
                                                                   "farming_income": "4500.50"}).status_code == 302
    assert client.post(f"/households/{household.id}/surveys", data={"surveyed_on": "yesterday"}).status_code == 400
    assert client.get("/market/impact").status_code == 200
    assert client.get(f"/market/impact?course={session.course_id}").status_code == 200
    assert client.get("/market/impact.pdf").status_code == 200
    assert client.get(f"/market/impact/households/{household.id}").status_code == 200


def test_every_report_table_downloads_as_csv_and_xlsx(client, auth, counter):
    sell(counter, (counter["batch"].code, "2"))
    sales.close_market_day(counter["day"], {"counted_cash": "620"}, counter["admin"])
    auth.login("admin", "council2")
    period = f"period_start={TODAY.isoformat()}&period_end={TODAY.isoformat()}"
    for url in (f"/market/days/{counter['day'].id}.{{}}", f"/market/settlements.{{}}?{period}",
                "/market/impact.{}", "/market/mass-balance.{}", f"/market/recalls/{counter['batch'].code}.{{}}",
                "/market/dashboard.{}"):
        for fmt in ("csv", "xlsx"):
            answer = client.get(url.format(fmt))
            assert answer.status_code == 200, url.format(fmt)
            if fmt == "csv":
                assert answer.mimetype == "text/csv"
            else:
                assert answer.data[:2] == b"PK"
    z_report = client.get(f"/market/days/{counter['day'].id}.csv").get_data().decode("utf-8-sig")
    assert "KH-01-001" in z_report and "120.00" in z_report and "2.000" in z_report
    owed = client.get(f"/market/settlements.csv?{period}").get_data().decode("utf-8-sig")
    assert "120.00" in owed
