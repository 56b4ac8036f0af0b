"""The grower's own phone: Today, the farm diary, harvests, sales and payouts, `/api/v1/me/...`.

Every route serves only the signed-in grower's own household; another household's records are
not found, staff are refused, and a refused form keeps what was typed and writes nothing.
"""
import datetime
import io
import uuid

import pytest
from PIL import Image

from certificates import records
from certificates.models import Activity, Evidence, InputEntry, NonCompliance
from core import accounts, households, products
from core.models import Household
from market import sales, settlements
from market.models import Sale
from traceability import batches
from traceability.models import Batch

from tests.support import PASSWORD, database_rows, pdf_text, qr_texts

TODAY = datetime.date.today()
BE_TODAY = f"{TODAY.day}/{TODAY.month}/{TODAY.year + 543}"


def make_grower(household, username="somsri"):
    """A grower account of `household` with a password, as the member would set it up from the invitation."""
    return accounts.create_user({"username": username, "full_name": "สมศรี", "role": "grower", "password": PASSWORD},
                                household=household)


def sign_in(client, user):
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.data
    return user


def photo_bytes():
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 180, 40)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def farm(certified_household, make_user, household_data):
    """The certified household with a grower signed in, a second household with its own batch, a cashier."""
    setup = dict(certified_household)
    setup["grower"] = make_grower(setup["household"])
    other = households.create_household(dict(household_data, code="KH-02-002", display_name="สวนลุงดำ",
                                             phone="089-999-0000"), setup["committee"])
    setup["other"] = other
    setup["other_plot"] = households.create_plot(other, {"name": "แปลงหลังบ้าน", "area_m2": "800"}, setup["committee"])
    basket = products.create_product({"name_th": "ตะกร้าใบเตย", "name_en": "Pandan basket", "unit": "piece",
                                      "category": "handicraft", "is_certifiable": False, "default_price": "150"},
                                     setup["committee"])
    setup["other_batch"] = batches.create_batch({"household_id": other.id, "product_id": basket.id,
                                                 "harvest_date": TODAY.isoformat(), "quantity": "3"}, setup["committee"])
    setup["cashier"] = make_user("cashier", "kaew")
    return setup


def harvest_form(farm, **extra):
    return {"product_id": farm["product"].id, "plot_id": farm["plot"].id, "harvest_date": BE_TODAY,
            "quantity": "๕", "price": "60", "client_id": str(uuid.uuid4()), **extra}


# --- Services -----------------------------------------------------------------------------------


def test_a_growers_harvest_waits_for_the_check_and_a_retry_is_one_batch(farm):
    """A harvest recorded on the phone is a batch of the grower's own household, waiting; the same id again is the same batch."""
    from growers import me

    data = harvest_form(farm, household_id=farm["other"].id)
    batch, created = me.record_harvest(farm["household"], data, farm["grower"])
    again, created_again = me.record_harvest(farm["household"], data, farm["grower"])
    assert created and not created_again and again.id == batch.id
    assert batch.household_id == farm["household"].id, "the household is the grower's own, whatever the form says"
    assert batch.awaiting_check and batch.recorded_by_id == farm["grower"].id
    assert batch.quantity_milli == 5000 and batch.price_satang == 6000
    assert me.harvests(farm["household"])[0].state == "awaiting_check"


def test_diary_entries_are_the_growers_and_a_resent_entry_is_kept_once(app, farm):
    """An input with a photo and an activity go into the farm records, marked as the grower's; a resend is one entry."""
    from growers import diary

    data = {"plot_id": farm["plot"].id, "used_on": BE_TODAY, "input_type": "compost", "name": "ปุ๋ยหมักใบไม้",
            "client_id": str(uuid.uuid4())}
    with app.app_context():
        entry, created = diary.record("input", farm["household"], data, farm["grower"], (photo_bytes(), "bag.jpg"))
        again, created_again = diary.record("input", farm["household"], data, farm["grower"], (photo_bytes(), "bag.jpg"))
        assert created and not created_again and again.id == entry.id
        assert InputEntry.select().count() == 1 and Evidence.select().where(Evidence.input_entry == entry).count() == 1
        assert records.input_log(farm["household"])[0].by_grower
        diary.record("activity", farm["household"], {"plot_id": farm["plot"].id, "done_on": BE_TODAY,
                                                     "activity": "care", "client_id": str(uuid.uuid4())}, farm["grower"])
        assert [e.by_grower for e in records.activity_log(farm["household"]) if e.activity_id] == [True]


def test_a_photo_that_is_not_a_photo_leaves_no_entry(app, farm):
    """The input and its photo are one write: an unreadable photo is refused and no entry is left behind."""
    from core.validation import ValidationError
    from growers import diary

    data = {"plot_id": farm["plot"].id, "used_on": BE_TODAY, "input_type": "compost", "name": "ปุ๋ยหมัก"}
    with app.app_context(), pytest.raises(ValidationError) as refused:
        diary.record("input", farm["household"], data, farm["grower"], (b"not a photo", "bag.jpg"))
    assert "photo" in refused.value.errors
    assert InputEntry.select().count() == 0


def test_another_households_plot_is_refused_in_the_diary(farm):
    from core.validation import ValidationError
    from growers import diary

    with pytest.raises(ValidationError) as refused:
        diary.record("activity", farm["household"], {"plot_id": farm["other_plot"].id, "done_on": BE_TODAY,
                                                     "activity": "care"}, farm["grower"])
    assert "plot_id" in refused.value.errors and Activity.select().count() == 0


def test_inspector_confirms_or_queries_a_growers_entry(farm):
    """A query needs a comment; the grower's diary shows the inspector's answer."""
    from core.validation import ValidationError
    from growers import diary

    entry, _ = diary.record("input", farm["household"], {"plot_id": farm["plot"].id, "used_on": BE_TODAY,
                                                          "input_type": "compost", "name": "ปุ๋ยหมัก"}, farm["grower"])
    with pytest.raises(ValidationError):
        records.review_entry(entry, {"review_status": "queried", "review_comment": ""}, farm["committee"])
    records.review_entry(entry, {"review_status": "queried", "review_comment": "ขอดูใบเสร็จ"}, farm["committee"])
    entry = InputEntry.get_by_id(entry.id)
    assert (entry.review_status, entry.review_comment, entry.reviewed_by_id) == ("queried", "ขอดูใบเสร็จ", farm["committee"].id)


def test_today_shows_whats_due_todays_sales_and_whats_owed(app, farm):
    """A corrective action and the day's sale of the household's batch; the other household's sale is not counted."""
    from growers import me

    NonCompliance.create(inspection=farm["inspection"], description="ไม่มีป้ายแปลง", severity="minor",
                         corrective_action="ติดป้ายแปลง", due_on=TODAY + datetime.timedelta(days=14))
    own = batches.create_batch({"household_id": farm["household"].id, "product_id": farm["product"].id,
                                "harvest_date": TODAY.isoformat(), "quantity": "10"}, farm["committee"])
    day = sales.open_market_day({"counter": "A", "opening_float": "500"}, farm["committee"])
    for code, price in ((own.code, 6000), (farm["other_batch"].code, 15000)):
        sales.record_sale({"client_id": str(uuid.uuid4()), "market_day_id": day.id, "payment": {"method": "cash"},
                           "lines": [{"batch_code": code, "quantity": "2", "unit_price_satang": price}]},
                          farm["cashier"], "http://market.test")
    with app.app_context():
        now = me.today(farm["household"])
    assert [a.corrective_action for a in now.certification.open_actions] == ["ติดป้ายแปลง"]
    assert now.sales_total_satang == 12000 and len(now.sales) == 1
    assert now.owed.unsettled_satang == 12000 and now.owed.unpaid_satang == 0


# --- Pages --------------------------------------------------------------------------------------


GROWER_PAGES = ["/me", "/me/diary", "/me/harvests", "/me/sales"]


@pytest.mark.parametrize("path", GROWER_PAGES)
def test_grower_pages_are_for_growers_only(client, farm, auth, path):
    """Signed out: to the sign-in page. Staff: 403. The grower: the page, in Thai, with no personal data."""
    assert client.get(path).status_code == 302
    for role in ("admin", "cashier", "inspector"):
        auth.login(role, f"{role}-x")
        assert client.get(path).status_code == 403, role
        auth.logout()
    sign_in(client, farm["grower"])
    page = client.get(path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "สวนป้าศรี" in text and "081-234-5678" not in text and "สวนลุงดำ" not in text


def test_a_grower_lands_on_today(client, farm):
    sign_in(client, farm["grower"])
    assert client.get("/").headers["Location"].endswith("/me")


def test_harvest_form_records_a_waiting_batch_and_a_refusal_keeps_what_was_typed(client, farm):
    sign_in(client, farm["grower"])
    before = database_rows()
    refused = client.post("/me/harvests", data=harvest_form(farm, quantity="ห้า", harvest_date="31/02/2569"))
    assert refused.status_code == 400 and database_rows() == before
    text = refused.get_data(as_text=True)
    assert 'value="ห้า"' in text and "31/02/2569" in text
    data = harvest_form(farm)
    assert client.post("/me/harvests", data=data).status_code == 302
    assert client.post("/me/harvests", data=data).status_code == 302, "a double tap is the same harvest"
    batch = Batch.get(Batch.client_id == data["client_id"])
    assert batch.awaiting_check and Batch.select().where(Batch.household == farm["household"]).count() == 1
    page = client.get("/me/harvests").get_data(as_text=True)
    assert "รอเลขาฯ ตรวจ" in page


def test_diary_form_takes_a_photo_and_shows_it_only_to_its_household(client, farm):
    sign_in(client, farm["grower"])
    response = client.post("/me/diary/input", data={
        "plot_id": str(farm["plot"].id), "used_on": BE_TODAY, "input_type": "compost", "name": "ปุ๋ยหมัก",
        "client_id": str(uuid.uuid4()), "photo": (io.BytesIO(photo_bytes()), "bag.jpg")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    photo = Evidence.get()
    page = client.get("/me/diary").get_data(as_text=True)
    assert f"/me/evidence/{photo.id}/thumb" in page and "บันทึกโดยเกษตรกร" not in page
    assert client.get(f"/me/evidence/{photo.id}/thumb").mimetype == "image/jpeg"
    client.post("/logout")
    sign_in(client, make_grower(farm["other"], "dam"))
    assert client.get(f"/me/evidence/{photo.id}/thumb").status_code == 404


def test_diary_refusal_keeps_what_was_typed(client, farm):
    sign_in(client, farm["grower"])
    before = database_rows()
    response = client.post("/me/diary/activity", data={"plot_id": str(farm["other_plot"].id), "done_on": BE_TODAY,
                                                       "activity": "care", "notes": "ถอนหญ้าแปลงผักบุ้ง"})
    assert response.status_code == 400 and database_rows() == before
    assert "ถอนหญ้าแปลงผักบุ้ง" in response.get_data(as_text=True)
    assert client.post("/me/diary/seeds", data={}).status_code == 404


def test_the_inspector_sees_the_growers_entry_and_reviews_it_on_the_farm_page(client, farm, auth):
    from growers import diary

    entry, _ = diary.record("input", farm["household"], {"plot_id": farm["plot"].id, "used_on": BE_TODAY,
                                                          "input_type": "compost", "name": "ปุ๋ยหมัก"}, farm["grower"])
    auth.login("inspector", "insp")
    page = client.get(f"/households/{farm['household'].id}/farm").get_data(as_text=True)
    assert f'grower-entry-inputs-{entry.id}' in page and "บันทึกโดยเกษตรกร" in page
    refused = client.post(f"/farm-records/inputs/{entry.id}/review", data={"review_status": "queried"})
    assert refused.status_code == 400 and InputEntry.get_by_id(entry.id).review_status == ""
    assert client.post(f"/farm-records/inputs/{entry.id}/review", data={"review_status": "confirmed"}).status_code == 302
    client.post("/logout")
    sign_in(client, farm["grower"])
    assert client.post(f"/farm-records/inputs/{entry.id}/review", data={"review_status": "queried",
                                                                        "review_comment": "x"}).status_code == 403
    assert "ผู้ตรวจยืนยันแล้ว" in client.get("/me/diary").get_data(as_text=True)


def settle(farm):
    """Sell 2 kg of a checked batch of the household, close the day and settle it; return the settlement."""
    own = batches.create_batch({"household_id": farm["household"].id, "product_id": farm["product"].id,
                                "harvest_date": TODAY.isoformat(), "quantity": "10"}, farm["committee"])
    day = sales.open_market_day({"counter": "A", "opening_float": "500"}, farm["committee"])
    sales.record_sale({"client_id": str(uuid.uuid4()), "market_day_id": day.id, "payment": {"method": "cash"},
                       "lines": [{"batch_code": own.code, "quantity": "2", "unit_price_satang": 6000}]},
                      farm["cashier"], "http://market.test")
    sales.close_market_day(day, {"counted_cash": "620"}, farm["committee"])
    return settlements.create_settlements({"period_start": TODAY.isoformat(), "period_end": TODAY.isoformat()},
                                          farm["committee"])[0]


def test_sales_and_the_statement_of_the_households_own_settlement(app, client, farm):
    settlement = settle(farm)
    sign_in(client, farm["grower"])
    page = client.get("/me/sales").get_data(as_text=True)
    assert "฿120.00" in page and "ยังไม่จ่าย" in page
    statement = client.get(f"/me/settlements/{settlement.id}.pdf")
    assert statement.mimetype == "application/pdf" and "฿120.00" in pdf_text(statement.data)
    assert client.get("/me/sales?start=abc").status_code == 400


def test_another_households_settlement_batch_and_labels_are_not_found(client, farm):
    settlement = settle(farm)
    sign_in(client, make_grower(farm["other"], "dam"))
    assert client.get(f"/me/settlements/{settlement.id}.pdf").status_code == 404
    assert client.post(f"/me/harvests/{settlement.lines[0].batch.code}/labels.pdf").status_code == 404


def test_labels_at_home_only_where_allowed_and_only_after_the_check(app, client, farm):
    sign_in(client, farm["grower"])
    data = harvest_form(farm)
    client.post("/me/harvests", data=data)
    batch = Batch.get(Batch.client_id == data["client_id"])
    assert client.post(f"/me/harvests/{batch.code}/labels.pdf").status_code == 400, "not allowed for this household"
    Household.update(grower_prints_labels=True).where(Household.id == farm["household"].id).execute()
    refused = client.post(f"/me/harvests/{batch.code}/labels.pdf")
    assert refused.status_code == 400 and "ยังไม่ได้ตรวจ" in refused.get_data(as_text=True)
    batches.check_harvest(batch, farm["committee"], {})
    assert 'data-testid="labels-at-home"' in client.get("/me/harvests").get_data(as_text=True)
    assert client.post(f"/me/harvests/{batch.code}/labels.pdf", data={"copies": "0"}).status_code == 400
    pdf = client.post(f"/me/harvests/{batch.code}/labels.pdf", data={"copies": "3"})
    assert pdf.mimetype == "application/pdf"
    assert qr_texts(pdf.data) == [f"http://market.test/b/{batch.code}"] * 3


# --- /api/v1/me ---------------------------------------------------------------------------------


def bearer(user):
    return {"Authorization": f"Bearer {accounts.create_token(user)}"}


def test_api_me_answers_only_the_growers_household(client, farm):
    headers = bearer(farm["grower"])
    summary = client.get("/api/v1/me", headers=headers).get_json()
    assert summary["household"]["code"] == "KH-01-001" and summary["certificate"]["status"] == "active"
    assert "phone" not in str(summary) and "081-234-5678" not in str(summary)
    codes = [b["code"] for b in client.get("/api/v1/me/batches", headers=headers).get_json()["items"]]
    assert farm["other_batch"].code not in codes
    assert client.get("/api/v1/me/sales", headers=headers).get_json()["total_satang"] == 0
    assert client.get("/api/v1/me/settlements", headers=headers).get_json() == {"items": []}
    assert client.get("/api/v1/me/diary", headers=headers).get_json() == {"inputs": [], "activities": []}


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/me/batches", "/api/v1/me/sales", "/api/v1/me/diary",
                                  "/api/v1/me/settlements"])
def test_api_me_refuses_staff_and_strangers(client, farm, token_for, path):
    assert client.get(path).status_code == 401
    for role in ("admin", "cashier", "inspector"):
        assert client.get(path, headers=token_for(role, f"{role}-api")).status_code == 403


def test_api_posts_are_recorded_once_and_refusals_write_nothing(client, farm):
    headers = bearer(farm["grower"])
    entry = {"kind": "activity", "plot_id": farm["plot"].id, "done_on": BE_TODAY, "activity": "planting",
             "client_id": str(uuid.uuid4())}
    assert client.post("/api/v1/me/diary", json=entry, headers=headers).status_code == 201
    assert client.post("/api/v1/me/diary", json=entry, headers=headers).status_code == 200
    harvest = harvest_form(farm)
    assert client.post("/api/v1/me/batches", json=harvest, headers=headers).status_code == 201
    again = client.post("/api/v1/me/batches", json=harvest, headers=headers)
    assert again.status_code == 200 and again.get_json()["state"] == "awaiting_check"
    before = database_rows()
    for path, body in (("/api/v1/me/diary", {"kind": "seed"}), ("/api/v1/me/diary", dict(entry, client_id="x")),
                       ("/api/v1/me/batches", dict(harvest, quantity="-1", client_id=str(uuid.uuid4()))),
                       ("/api/v1/me/diary", dict(entry, plot_id=farm["other_plot"].id, client_id=str(uuid.uuid4())))):
        refused = client.post(path, json=body, headers=headers)
        assert refused.status_code == 400 and "error" in refused.get_json(), body
    assert database_rows() == before
    other = client.post("/api/v1/me/diary", json=entry, headers=bearer(make_grower(farm["other"], "dam")))
    assert other.status_code == 400, "another household's phone cannot take over an entry by its id"


def test_a_signed_in_grower_page_writes_to_the_api_only_with_its_csrf_token(app, farm):
    """The offline queue posts with the page's CSRF token; without it a session cannot write."""
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    page = client.get("/login")
    import re
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    client.post("/login", data={"username": farm["grower"].username, "password": PASSWORD, "csrf_token": token})
    entry = {"kind": "activity", "plot_id": farm["plot"].id, "done_on": BE_TODAY, "activity": "care",
             "client_id": str(uuid.uuid4())}
    assert client.post("/api/v1/me/diary", json=entry).status_code == 401
    diary_page = client.get("/me/diary").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', diary_page).group(1)
    assert client.post("/api/v1/me/diary", json=entry, headers={"X-CSRFToken": token}).status_code == 201


def test_todays_sales_follow_the_thai_date_not_utc(app, farm):
    """A sale at 6:30 in the morning in Khlong Hae is 23:30 of the day before in UTC: it is today's sale."""
    from growers import me

    own = batches.create_batch({"household_id": farm["household"].id, "product_id": farm["product"].id,
                                "harvest_date": TODAY.isoformat(), "quantity": "10"}, farm["committee"])
    day = sales.open_market_day({"counter": "A", "opening_float": "500"}, farm["committee"])
    sale, _ = sales.record_sale({"client_id": str(uuid.uuid4()), "market_day_id": day.id, "payment": {"method": "cash"},
                                 "lines": [{"batch_code": own.code, "quantity": "1", "unit_price_satang": 6000}]},
                                farm["cashier"], "http://market.test")
    thai_day = datetime.date(2026, 12, 3)
    Sale.update(created_at=datetime.datetime(2026, 12, 2, 23, 30)).where(Sale.id == sale.id).execute()
    with app.app_context():
        assert me.today(farm["household"], thai_day).sales_total_satang == 6000
        assert me.today(farm["household"], datetime.date(2026, 12, 2)).sales_total_satang == 0
