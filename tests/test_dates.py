"""Dates the Thai way: the one parser (core.validation.parse_date), the B.E. display in forms, and the
plausibility rule of each date field, through the services, the pages and the JSON API."""
import datetime
import types

import pytest

from core import households, programme
from core.i18n import format_date_input
from core.models import PROGRAMME_START, Household
from core.validation import ValidationError, local_today, parse_date

TODAY = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=7)).date()  # Thailand's day


@pytest.mark.parametrize("text, expected", [
    ("24/11/2569", datetime.date(2026, 11, 24)),
    ("24/11/2026", datetime.date(2026, 11, 24)),
    ("2026-11-24", datetime.date(2026, 11, 24)),
    ("2569-11-24", datetime.date(2026, 11, 24)),
    ("๒๔/๑๑/๒๕๖๙", datetime.date(2026, 11, 24)),
    ("1/1/2569", datetime.date(2026, 1, 1)),
    (" 01.12.2569 ", datetime.date(2026, 12, 1)),
    ("1-12-2026", datetime.date(2026, 12, 1)),
    ("24 พ.ย. 2569", datetime.date(2026, 11, 24)),
    ("24 พฤศจิกายน 2569", datetime.date(2026, 11, 24)),
    ("24 Nov 2026", datetime.date(2026, 11, 24)),
    ("29/02/2567", datetime.date(2024, 2, 29)),
    (datetime.date(2026, 11, 24), datetime.date(2026, 11, 24)),
    (datetime.datetime(2569, 11, 24, 9, 30), datetime.date(2026, 11, 24)),  # a B.E. date typed into a spreadsheet cell
])
def test_dates_are_read_in_be_ce_thai_digits_and_iso(text, expected):
    """B.E. years (2569 = 2026), C.E. years, Thai digits, day/month/year, ISO and Thai month names all read the same."""
    assert parse_date(text) == expected


@pytest.mark.parametrize("text, message", [
    ("2026-12-01garbage", "Write the date as day/month/year"),
    ("2026-12-01T10:00", "Write the date as day/month/year"),
    ("20261201", "Write the date as day/month/year"),
    ("24/11/69", "Write the date as day/month/year"),
    ("11/24", "Write the date as day/month/year"),
    ("yesterday", "Write the date as day/month/year"),
    ("", "Write the date as day/month/year"),
    ("31/02/2569", "There is no such day"),
    ("29/02/2568", "There is no such day"),  # 2025 is no leap year
    ("13/13/2569", "There is no such day"),
    ("24/11/3112", "Check the year"),  # B.E. added twice
    ("24/11/0026", "Check the year"),
    ("24 Foo 2569", "Write the date as day/month/year"),
    (20261124, "Write the date as day/month/year"),
])
def test_what_is_not_wholly_a_date_is_refused_with_how_to_write_one(app, text, message):
    """Trailing garbage, two-digit years, impossible days and wild years are refused, never guessed."""
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        with pytest.raises(ValueError) as caught:
            parse_date(text)
        assert message in str(caught.value.args[0])


def test_a_form_shows_a_date_in_be_in_thai_and_ce_in_english(app):
    """Prefilled date fields read 24/11/2569 in Thai and 24/11/2026 in English; typed text comes back as typed."""
    with app.test_request_context():
        assert format_date_input(datetime.date(2026, 11, 24)) == "24/11/2569"
        assert format_date_input("2026-11-24") == "24/11/2569"
        assert format_date_input("31/02/2569x") == "31/02/2569x"
        assert format_date_input("2026-13-01") == "2026-13-01"  # ISO-shaped, no such month: shown as typed
        assert format_date_input(None) == ""
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        assert format_date_input(datetime.date(2026, 11, 24)) == "24/11/2026"


class _Moment(type):
    def __instancecheck__(cls, value):
        return isinstance(value, datetime.datetime)


def clock_at(moment):
    """A stand-in for the datetime module whose now() is always `moment` (an aware UTC time)."""
    class FrozenDatetime(datetime.datetime, metaclass=_Moment):
        @classmethod
        def now(cls, tz=None):
            return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)
    return types.SimpleNamespace(datetime=FrozenDatetime, date=datetime.date, time=datetime.time,
                                 timedelta=datetime.timedelta, UTC=datetime.UTC)


@pytest.fixture
def thai_new_year_night(monkeypatch):
    """Stop the app's clock at 18:30 UTC on 31 Dec 2025: already 01:30 on 1 Jan 2026 (2569 B.E.) in Khlong Hae."""
    import core.db
    import core.validation
    clock = clock_at(datetime.datetime(2025, 12, 31, 18, 30, tzinfo=datetime.UTC))
    monkeypatch.setattr(core.validation, "datetime", clock)
    monkeypatch.setattr(core.db, "datetime", clock)
    return datetime.date(2026, 1, 1)


def test_after_five_in_the_evening_utc_the_pages_are_on_thailands_next_day(app, auth, client, thai_new_year_night):
    """Between 17:00 and 24:00 UTC it is already tomorrow in Thailand: the settlement and dashboard
    periods start on the Thai first of the month, not the server's date (31/12/2568)."""
    with app.app_context():
        assert local_today() == thai_new_year_night
    auth.login("admin")
    settlements_page = client.get("/market/settlements").get_data(as_text=True)
    assert 'value="01/01/2569"' in settlements_page
    assert "31/12/2568" not in settlements_page
    dashboard_page = client.get("/market/dashboard").get_data(as_text=True)
    assert 'value="01/01/2569"' in dashboard_page
    assert "31/12/2568" not in dashboard_page


def test_local_today_is_thailands_day(app):
    """Dates are judged by Thailand's day (UTC+7): late in the Thai evening is not yesterday."""
    with app.app_context():
        now = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=7)
        assert local_today() == now.date()


# Every date field of every form: typed in B.E., and implausible dates refused with a reason ----------


def test_household_form_takes_a_be_pledge_date_and_shows_it_back_in_be(client, auth, household_data):
    """The household form takes ๑๕/๐๑/๒๕๖๗ and its edit page shows 15/01/2567 in a text field, not a C.E. date picker."""
    auth.login("admin")
    response = client.post("/households/new", data=dict(household_data, pledge_date="๑๕/๐๑/๒๕๖๗"))
    assert response.status_code == 302
    household = Household.get()
    assert household.pledge_date == datetime.date(2024, 1, 15)
    page = client.get(f"/households/{household.id}/edit").get_data(as_text=True)
    assert 'name="pledge_date" type="text"' in page and 'value="15/01/2567"' in page
    assert 'type="date"' not in page
    assert "วัน/เดือน/ปี พ.ศ. เช่น" in page


def test_no_page_uses_the_browsers_date_picker(app):
    """No template renders <input type="date"> (its calendar shows C.E. years only)."""
    import pathlib

    templates = pathlib.Path(app.root_path).parent / "templates"
    offenders = [str(path) for path in templates.rglob("*.html") if 'type="date"' in path.read_text()]
    assert offenders == []


@pytest.mark.parametrize("pledge, message", [
    ("1/1/2580", "วันที่ให้คำมั่นเป็นวันในอนาคต"),
    ("30/09/2565", "ต้องไม่ก่อนวันเริ่มโครงการ (1 ต.ค. 2565)"),
])
def test_an_implausible_pledge_is_refused_over_the_api_too(client, auth, make_user, household_data, pledge, message):
    """The JSON API refuses a pledge in the future or before the programme began, with the reason."""
    from core import accounts

    admin = make_user("admin", "api-admin")
    token = accounts.create_token(admin)
    response = client.post("/api/v1/households", json=dict(household_data, pledge_date=pledge),
                           headers={"Authorization": f"Bearer {token}", "Accept-Language": "th", "Cookie": "lang=th"})
    assert response.status_code == 400
    assert message in response.get_json()["error"]["fields"]["pledge_date"]
    assert Household.select().count() == 0


def test_the_api_takes_a_be_date_with_thai_digits(client, make_user, household_data):
    """An API client may send ๒๔/๑๑/๒๕๖๘ as well as 2025-11-24."""
    from core import accounts

    token = accounts.create_token(make_user("admin", "api-admin"))
    response = client.post("/api/v1/households", json=dict(household_data, pledge_date="๒๔/๑๑/๒๕๖๘"),
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["pledge_date"] == "2025-11-24"


def test_a_survey_before_the_programme_or_in_the_future_is_refused(app, admin_user, household_data):
    """An income survey dated before PROGRAMME_START or after today is refused with the reason."""
    household = households.create_household(household_data, admin_user)
    for day, reason in ((PROGRAMME_START - datetime.timedelta(days=1), "programme began"),
                        (TODAY + datetime.timedelta(days=2), "too far ahead")):
        with app.test_request_context(headers={"Cookie": "lang=en"}):
            with pytest.raises(ValidationError) as caught:
                programme.save_survey(household, {"surveyed_on": day.isoformat()}, admin_user)
            assert reason in str(caught.value.errors["surveyed_on"])
    survey = programme.save_survey(household, {"surveyed_on": format_be(TODAY)}, admin_user)
    assert survey.surveyed_on == TODAY


def format_be(day):
    """A date as a Thai person types it: day/month/B.E. year."""
    return f"{day.day}/{day.month}/{day.year + 543}"


@pytest.mark.parametrize("start, reason", [
    (PROGRAMME_START - datetime.timedelta(days=1), "programme began"),
    (TODAY + datetime.timedelta(days=400), "too far ahead"),
])
def test_a_course_outside_the_programme_is_refused(app, admin_user, start, reason):
    """A course starting before the programme or more than a year ahead is refused."""
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        with pytest.raises(ValidationError) as caught:
            programme.create_course({"curriculum": "3", "name_th": "เพาะเห็ด", "starts_on": start.isoformat()}, admin_user)
        assert reason in str(caught.value.errors["starts_on"])


def test_harvest_and_best_before_dates_must_be_plausible(app, certified_household):
    """A harvest more than a year back or in the future is refused; best-before before the harvest or
    ten years on too; a harvest typed in B.E. with Thai digits is recorded."""
    from traceability import batches

    setup = certified_household
    base = {"household_id": setup["household"].id, "product_id": setup["product"].id, "quantity": "5"}
    refused = [
        ({"harvest_date": (TODAY - datetime.timedelta(days=400)).isoformat()}, "harvest_date", "more than a year ago"),
        ({"harvest_date": (TODAY + datetime.timedelta(days=2)).isoformat()}, "harvest_date", "in the future"),
        ({"harvest_date": "2026-12-01garbage"}, "harvest_date", "Write the date as"),
        ({"harvest_date": TODAY.isoformat(), "best_before": (TODAY - datetime.timedelta(days=1)).isoformat()},
         "best_before", "before the harvest"),
        ({"harvest_date": TODAY.isoformat(), "best_before": (TODAY + datetime.timedelta(days=3700)).isoformat()},
         "best_before", "ten years"),
    ]
    for fields, field, reason in refused:
        with app.test_request_context(headers={"Cookie": "lang=en"}):
            with pytest.raises(ValidationError) as caught:
                batches.create_batch(dict(base, **fields), setup["committee"])
            assert reason in str(caught.value.errors[field]), fields
    thai = format_be(TODAY).translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
    with app.test_request_context():
        batch = batches.create_batch(dict(base, harvest_date=thai, best_before=format_be(TODAY + datetime.timedelta(days=7))),
                                     setup["committee"])
    assert (batch.harvest_date, batch.best_before) == (TODAY, TODAY + datetime.timedelta(days=7))


def test_a_market_day_far_from_today_is_refused(app, admin_user):
    """A market day more than a month back or ahead is refused; today's, typed in B.E., opens."""
    from market import sales

    for day, reason in ((TODAY - datetime.timedelta(days=40), "more than a month ago"),
                        (TODAY + datetime.timedelta(days=40), "more than a month ahead")):
        with app.test_request_context(headers={"Cookie": "lang=en"}):
            with pytest.raises(ValidationError) as caught:
                sales.open_market_day({"counter": "A", "opening_float": "500", "market_date": day.isoformat()}, admin_user)
            assert reason in str(caught.value.errors["market_date"])
    with app.test_request_context():
        day = sales.open_market_day({"counter": "A", "opening_float": "500", "market_date": format_be(TODAY)}, admin_user)
    assert day.market_date == TODAY


def test_inspection_and_certificate_dates_must_be_plausible(app, certified_household):
    """A visit planned two years ahead and a certificate valid for ten years are refused with the reason."""
    from certificates import certification, inspections

    setup = certified_household
    inspection = setup["inspection"]
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        with pytest.raises(ValidationError) as caught:
            inspections.schedule_inspection(setup["household"], {
                "standard_id": inspection.standard_id, "body_id": inspection.body_id,
                "scheduled_for": (TODAY + datetime.timedelta(days=800)).isoformat()}, setup["committee"])
        assert "more than a year ahead" in str(caught.value.errors["scheduled_for"])
        setup["certificate"].delete_instance(recursive=True)
        for fields, field, reason in (
            ({"issued_on": (TODAY + datetime.timedelta(days=3)).isoformat()}, "issued_on", "in the future"),
            ({"valid_until": (TODAY + datetime.timedelta(days=3660)).isoformat()}, "valid_until", "at most five years"),
        ):
            with pytest.raises(ValidationError) as caught:
                certification.issue_certificate(setup["decision"], dict(
                    fields, product_ids=[setup["product"].id], plot_ids=[setup["plot"].id]), setup["committee"])
            assert reason in str(caught.value.errors[field])


def test_a_payout_before_the_period_or_in_the_future_is_refused(app, certified_household, make_user):
    """A settlement's payout date is refused before its period began or after today; today in B.E. is taken."""
    from market import sales, settlements
    from traceability import batches

    setup = certified_household
    admin = setup["committee"]
    batch = batches.create_batch({"household_id": setup["household"].id, "product_id": setup["product"].id,
                                  "harvest_date": TODAY.isoformat(), "quantity": "10"}, admin)
    day = sales.open_market_day({"counter": "A", "opening_float": "500"}, admin)
    sales.record_sale({"client_id": "0f0e7a8c-6a53-4f0b-9d0e-3a4c3d1f2b12", "market_day_id": day.id,
                       "lines": [{"batch_code": batch.code, "quantity": "1"}], "payment": {"method": "cash"}},
                      make_user("cashier", "kaew"), "http://market.test")
    sales.close_market_day(day, {"counted_cash": "560"}, admin)
    settlement = settlements.create_settlements({"period_start": TODAY.isoformat(), "period_end": TODAY.isoformat()}, admin)[0]
    for day_paid, reason in ((TODAY - datetime.timedelta(days=1), "before the settled period"),
                             (TODAY + datetime.timedelta(days=1), "in the future")):
        with app.test_request_context(headers={"Cookie": "lang=en"}):
            with pytest.raises(ValidationError) as caught:
                settlements.mark_paid(settlement, {"paid_on": day_paid.isoformat(), "paid_method": "cash"}, admin)
            assert reason in str(caught.value.errors["paid_on"])
    with app.test_request_context():
        paid = settlements.mark_paid(settlement, {"paid_on": format_be(TODAY), "paid_method": "cash"}, admin)
    assert paid.paid_on == TODAY
