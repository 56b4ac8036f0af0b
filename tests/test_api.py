"""The JSON API under /api/v1: tokens and roles, households, plots, products, errors, OpenAPI.

Every call goes through real HTTP (Flask's test client) with real bearer tokens; every refused
call is checked against the database as well as its status.
"""
import json
import re
from decimal import Decimal

import pytest
from flask import Blueprint
from openapi_schema_validator import OAS30Validator
from openapi_schema_validator import validate as validate_instance
from openapi_spec_validator import validate as validate_spec

from core import households, products
from core.answers import schemas
from core.models import AuditEntry, Household, OccupationGroup, Plot, Product
from core.openapi import document, json_response

from tests.support import database_rows

API = "/api/v1"
THAI = re.compile(r"[\u0e00-\u0e7f]")

HOUSEHOLD = {
    "code": "KH-01-001",
    "head_name": "สมศรี ทองคำ",
    "display_name": "สวนป้าศรี",
    "village_no": 1,
    "address": "12 หมู่ที่ 1 ต.คลองแห",
    "phone": "081-234-5678",
    "national_id": "1101700230708",
    "is_elderly": True,
    "is_disabled": False,
    "is_low_income": True,
    "disadvantaged_other": "ผู้ดูแลหลาน",
    "grower_status": "active",
    "pledge_date": "2024-01-15",
    "notes": "ปลูกผักบุ้ง",
    "sensitive_consent": True,
}
PERSONAL_FIELDS = {"phone", "national_id", "is_elderly", "is_disabled", "is_low_income", "disadvantaged_other"}
PLOT = {"name": "แปลงริมคลอง", "area_m2": "1600.50", "main_crops": "คะน้า"}
PRODUCT = {"name_th": "คะน้า", "name_en": "Chinese kale", "unit": "kg", "category": "vegetable",
           "is_certifiable": True, "default_price_satang": 6000}



def no_floats(text):
    """Parse a JSON answer, failing on any number with a fraction or exponent (money never float)."""

    def refuse(number):
        raise AssertionError(f"float {number} in answer: {text[:200]}")

    return json.loads(text, parse_float=refuse)


def assert_json_error(response, status, code, field=None):
    """The answer is the API's error shape with this status, code and (optionally) field."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == code
    assert error["message"]
    if field is not None:
        assert field in error["fields"], error
    return error


@pytest.fixture
def admin(token_for):
    return token_for("admin", "council-api")


@pytest.fixture
def inspector(token_for):
    return token_for("inspector", "peer-api")


@pytest.fixture
def cashier(token_for):
    return token_for("cashier", "counter-api")


@pytest.fixture
def world(app, admin_user):
    """One household with a plot, a second household, an occupation group and a product."""
    group = OccupationGroup.create(name_th="กลุ่มเพาะเห็ด", name_en="Mushroom growers")
    household = households.create_household(dict(HOUSEHOLD, occupation_group_ids=[group.id]), admin_user)
    other = households.create_household(
        dict(HOUSEHOLD, code="KH-02-001", head_name="อับดุลเลาะ หมัดอาดั้ม", display_name="", village_no=2,
             grower_status="applicant", pledge_date=None, phone="", national_id="",
             is_elderly=False, is_low_income=False, disadvantaged_other=""), admin_user)
    plot = households.create_plot(household, PLOT, admin_user)
    product = products.create_product(PRODUCT, admin_user)
    return {"household": household, "other": other, "plot": plot, "product": product, "group": group}


def create_household(client, headers, **changes):
    response = client.post(f"{API}/households", json=dict(HOUSEHOLD, **changes), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# Tokens and roles -------------------------------------------------------------------------

# (method, path, roles allowed, a valid body); {h}, {p}, {x} are the world's household, plot, product.
ENDPOINTS = [
    ("GET", "/households", {"admin", "inspector"}, None),
    ("POST", "/households", {"admin"}, dict(HOUSEHOLD, code="KH-03-001")),
    ("GET", "/households/{h}", {"admin", "inspector"}, None),
    ("PATCH", "/households/{h}", {"admin"}, {"display_name": "สวนใหม่"}),
    ("GET", "/households/{h}/plots", {"admin", "inspector"}, None),
    ("POST", "/households/{h}/plots", {"admin"}, {"name": "แปลงหลังบ้าน", "area_m2": "400"}),
    ("GET", "/plots/{p}", {"admin", "inspector"}, None),
    ("PATCH", "/plots/{p}", {"admin"}, {"main_crops": "ผักบุ้ง"}),
    ("GET", "/products", {"admin", "inspector", "cashier"}, None),
    ("POST", "/products", {"admin"}, dict(PRODUCT, name_th="เห็ดนางฟ้า", category="mushroom")),
    ("GET", "/products/{x}", {"admin", "inspector", "cashier"}, None),
    ("PATCH", "/products/{x}", {"admin"}, {"default_price_satang": 6500}),
]


def endpoint_url(path, world):
    return API + path.format(h=world["household"].id, p=world["plot"].id, x=world["product"].id)


def endpoint_id(endpoint):
    return f"{endpoint[0]} {endpoint[1]}"


@pytest.mark.parametrize("method, path, roles, body", ENDPOINTS, ids=map(endpoint_id, ENDPOINTS))
def test_token_required(client, world, method, path, roles, body):
    """Without a token every route answers a JSON 401 and writes nothing."""
    before = database_rows()
    response = client.open(endpoint_url(path, world), method=method, json=body)
    assert_json_error(response, 401, "unauthorized")
    assert database_rows() == before


@pytest.mark.parametrize(
    "header",
    ["Bearer not-a-token", "Bearer ", "Bearer", "Basic YWRtaW46cGFzc3dvcmQ=", "{token}", "Token {token}",
     "Bearer {token}x"],
)
def test_bad_token_is_refused(client, world, admin, header):
    """A wrong, empty or mis-labelled token is a 401, both for reading and for writing."""
    token = admin["Authorization"].split(" ", 1)[1]
    headers = {"Authorization": header.format(token=token)}
    before = database_rows()
    assert_json_error(client.get(f"{API}/households", headers=headers), 401, "unauthorized")
    response = client.post(f"{API}/households", json=dict(HOUSEHOLD, code="KH-03-001"), headers=headers)
    assert_json_error(response, 401, "unauthorized")
    assert database_rows() == before


def test_bearer_scheme_is_case_insensitive(client, world, admin):
    """`bearer` and `BEARER` work like `Bearer` (HTTP auth schemes are case-insensitive)."""
    token = admin["Authorization"].split(" ", 1)[1]
    for scheme in ("bearer", "BEARER"):
        response = client.get(f"{API}/households", headers={"Authorization": f"{scheme} {token}"})
        assert response.status_code == 200


@pytest.mark.parametrize("role", ["admin", "inspector", "cashier"])
@pytest.mark.parametrize("method, path, roles, body", ENDPOINTS, ids=map(endpoint_id, ENDPOINTS))
def test_role_required(client, world, token_for, role, method, path, roles, body):
    """Each role gets exactly its routes; any other route is a JSON 403 that writes nothing."""
    headers = token_for(role, f"{role}-matrix")
    before = database_rows()
    response = client.open(endpoint_url(path, world), method=method, json=body, headers=headers)
    if role in roles:
        assert response.status_code == (201 if method == "POST" else 200), response.get_json()
    else:
        assert_json_error(response, 403, "forbidden")
        assert database_rows() == before


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("GET", "/households/999", None),
        ("PATCH", "/households/999", {"display_name": "x"}),
        ("GET", "/households/999/plots", None),
        ("POST", "/households/999/plots", PLOT),
        ("GET", "/plots/999", None),
        ("PATCH", "/plots/999", {"name": "x"}),
        ("GET", "/products/999", None),
        ("PATCH", "/products/999", {"name_en": "x"}),
    ],
)
def test_unknown_id_is_a_json_404(client, world, admin, method, path, body):
    """A record that does not exist is a JSON 404, for reading and for writing."""
    before = database_rows()
    response = client.open(API + path, method=method, json=body, headers=admin)
    assert_json_error(response, 404, "not_found")
    assert database_rows() == before


def test_unknown_address_and_wrong_method_are_json(client, world, admin):
    """An unknown API address is a JSON 404; DELETE on a household is a JSON 405 and deletes nothing."""
    assert_json_error(client.get(f"{API}/no-such-thing", headers=admin), 404, "not_found")
    response = client.delete(f"{API}/households/{world['household'].id}", headers=admin)
    assert_json_error(response, 405, "method_not_allowed")
    assert Household.select().count() == 2


# Households -------------------------------------------------------------------------------


def test_create_household_answers_201_with_location(client, admin):
    """A POST stores the household, answers 201 with it, and Location reads it back."""
    response = client.post(f"{API}/households", json=HOUSEHOLD, headers=admin)
    assert response.status_code == 201
    created = response.get_json()
    assert created["code"] == "KH-01-001" and created["village_no"] == 1
    assert created["is_elderly"] is True and created["pledge_date"] == "2024-01-15"
    household = Household.get(Household.code == "KH-01-001")
    assert created["id"] == household.id
    assert household.head_name == "สมศรี ทองคำ" and household.national_id == "1101700230708"
    location = response.headers["Location"]
    assert location.endswith(f"{API}/households/{household.id}")
    assert client.get(location, headers=admin).get_json() == created
    entry = AuditEntry.get(AuditEntry.entity == "household", AuditEntry.entity_id == household.id)
    assert entry.action == "create"
    assert json.loads(entry.changes)["code"] == [None, "KH-01-001"]


def test_read_household(client, world, admin):
    """GET /households/<id> answers the household with its occupation groups."""
    household = world["household"]
    answer = client.get(f"{API}/households/{household.id}", headers=admin).get_json()
    assert answer["id"] == household.id
    assert answer["head_name"] == "สมศรี ทองคำ"
    assert answer["occupation_group_ids"] == [world["group"].id]
    assert answer["phone"] == "081-234-5678"


def test_patch_changes_only_the_given_fields(client, world, admin):
    """A PATCH changes the fields it names, leaves every other one, and logs only the change."""
    household = world["household"]
    url = f"{API}/households/{household.id}"
    before = client.get(url, headers=admin).get_json()
    audit_before = AuditEntry.select().count()
    response = client.patch(url, json={"display_name": "สวนป้าศรีอินทรีย์", "village_no": 3}, headers=admin)
    assert response.status_code == 200
    after = response.get_json()
    assert after == dict(before, display_name="สวนป้าศรีอินทรีย์", village_no=3)
    assert client.get(url, headers=admin).get_json() == after
    stored = Household.get_by_id(household.id)
    assert stored.phone == "081-234-5678" and stored.is_low_income is True
    assert stored.pledge_date.isoformat() == "2024-01-15"
    assert AuditEntry.select().count() == audit_before + 1
    entry = AuditEntry.select().order_by(AuditEntry.id.desc()).get()
    assert (entry.action, entry.entity, entry.entity_id) == ("update", "household", household.id)
    assert entry.user.username == "council-api"
    assert json.loads(entry.changes) == {
        "display_name": ["สวนป้าศรี", "สวนป้าศรีอินทรีย์"], "village_no": [1, 3]}


def test_patch_without_a_real_change_writes_no_audit_entry(client, world, admin):
    """Sending a field's current value changes nothing and logs nothing."""
    household = world["household"]
    before = database_rows()
    response = client.patch(f"{API}/households/{household.id}", json={"village_no": 1, "code": "kh-01-001"},
                            headers=admin)
    assert response.status_code == 200
    assert database_rows() == before


def test_patch_replaces_occupation_groups(client, world, admin):
    """occupation_group_ids in a PATCH replaces the household's groups, and the change is logged."""
    weavers = OccupationGroup.create(name_th="กลุ่มจักสาน")
    household = world["household"]
    response = client.patch(f"{API}/households/{household.id}", json={"occupation_group_ids": [weavers.id]},
                            headers=admin)
    assert response.get_json()["occupation_group_ids"] == [weavers.id]
    entry = AuditEntry.select().order_by(AuditEntry.id.desc()).get()
    assert json.loads(entry.changes) == {"occupation_group_ids": [[world["group"].id], [weavers.id]]}


def test_list_households_searches_and_filters(client, world, admin):
    """q matches part of a code or name; village_no, grower_status and group filter the list."""
    create_household(client, admin, code="KH-02-002", head_name="มะลิ ศรีสุข", display_name="", village_no=2,
                     grower_status="none", pledge_date=None)

    def codes(**params):
        answer = client.get(f"{API}/households", query_string=params, headers=admin).get_json()
        assert answer["total"] == len(answer["items"])
        return [item["code"] for item in answer["items"]]

    assert codes() == ["KH-01-001", "KH-02-001", "KH-02-002"]
    assert codes(q="อับดุล") == ["KH-02-001"]
    assert codes(q="kh-02") == ["KH-02-001", "KH-02-002"]
    assert codes(q="สวนป้า") == ["KH-01-001"]
    assert codes(village_no=2) == ["KH-02-001", "KH-02-002"]
    assert codes(grower_status="applicant") == ["KH-02-001"]
    assert codes(village_no=2, grower_status="none") == ["KH-02-002"]
    assert codes(occupation_group_id=world["group"].id) == ["KH-01-001"]
    assert codes(q="nobody") == []


def test_list_households_pages(client, admin_user, admin):
    """page and per_page slice the list; total counts every match; per_page has a ceiling."""
    for number in range(1, 6):
        households.create_household(dict(HOUSEHOLD, code=f"KH-04-{number:03d}", village_no=4), admin_user)
    answer = client.get(f"{API}/households?per_page=2&page=2", headers=admin).get_json()
    assert (answer["page"], answer["per_page"], answer["total"]) == (2, 2, 5)
    assert [item["code"] for item in answer["items"]] == ["KH-04-003", "KH-04-004"]
    last = client.get(f"{API}/households?per_page=2&page=3", headers=admin).get_json()
    assert [item["code"] for item in last["items"]] == ["KH-04-005"]
    beyond = client.get(f"{API}/households?per_page=2&page=9", headers=admin).get_json()
    assert beyond["items"] == [] and beyond["total"] == 5
    default = client.get(f"{API}/households", headers=admin).get_json()
    assert (default["page"], default["per_page"], len(default["items"])) == (1, 50, 5)


@pytest.mark.parametrize(
    "path, field",
    [
        ("/households?village_no=abc", "village_no"),
        ("/households?village_no=0", "village_no"),
        ("/households?grower_status=boss", "grower_status"),
        ("/households?occupation_group_id=x", "occupation_group_id"),
        ("/households?page=0", "page"),
        ("/households?page=two", "page"),
        ("/households?per_page=201", "per_page"),
        ("/products?category=weapons", "category"),
        ("/products?per_page=-1", "per_page"),
    ],
)
def test_unreadable_list_filter_is_a_400(client, world, admin, path, field):
    """A filter that cannot be read is refused by name, instead of being ignored (which lists all)."""
    assert_json_error(client.get(API + path, headers=admin), 400, "invalid", field)


def test_duplicate_household_code_is_refused(client, world, admin):
    """A code already used (in any letter case) is a 400 on the code field; nothing is written."""
    before = database_rows()
    response = client.post(f"{API}/households", json=dict(HOUSEHOLD, code="kh-01-001"), headers=admin)
    error = assert_json_error(response, 400, "invalid", "code")
    assert "KH-01-001" in error["fields"]["code"] and "ถูกใช้แล้ว" in error["fields"]["code"]
    response = client.patch(f"{API}/households/{world['other'].id}", json={"code": "KH-01-001"}, headers=admin)
    assert_json_error(response, 400, "invalid", "code")
    assert database_rows() == before


# Plots ------------------------------------------------------------------------------------


def test_create_plot_with_area_in_square_metres(client, world, admin):
    """area_m2 as a decimal string is kept exactly, and answered as a decimal string."""
    household = world["household"]
    response = client.post(f"{API}/households/{household.id}/plots",
                           json={"name": "แปลงหลังบ้าน", "area_m2": "2400.75", "latitude": "7.123456"},
                           headers=admin)
    assert response.status_code == 201
    created = response.get_json()
    assert isinstance(created["area_m2"], str) and Decimal(created["area_m2"]) == Decimal("2400.75")
    assert created["household_id"] == household.id and created["latitude"] == "7.123456"
    plot = Plot.get_by_id(created["id"])
    assert plot.area_m2 == Decimal("2400.75") and plot.latitude == Decimal("7.123456")
    assert response.headers["Location"].endswith(f"{API}/plots/{plot.id}")
    entry = AuditEntry.select().where(AuditEntry.entity == "plot", AuditEntry.entity_id == plot.id).get()
    assert entry.action == "create"


def test_create_plot_with_area_in_rai_ngan_wa(client, world, admin):
    """2 ไร่ 1 งาน 50 ตร.ว. is stored as 3,800 m²."""
    household = world["household"]
    response = client.post(f"{API}/households/{household.id}/plots",
                           json={"name": "สวนยาง", "rai": 2, "ngan": 1, "wa": "50"}, headers=admin)
    assert response.status_code == 201
    assert Decimal(response.get_json()["area_m2"]) == Decimal(3800)
    assert Plot.get_by_id(response.get_json()["id"]).area_m2 == Decimal(3800)


def test_list_and_read_plots(client, world, admin, inspector):
    """A household's plots are listed in order of entry and each can be read alone."""
    household = world["household"]
    client.post(f"{API}/households/{household.id}/plots", json={"name": "แปลงสอง", "area_m2": "400"},
                headers=admin)
    listed = client.get(f"{API}/households/{household.id}/plots", headers=inspector).get_json()["items"]
    assert [plot["name"] for plot in listed] == ["แปลงริมคลอง", "แปลงสอง"]
    assert client.get(f"{API}/households/{world['other'].id}/plots", headers=inspector).get_json() == {"items": []}
    one = client.get(f"{API}/plots/{world['plot'].id}", headers=inspector).get_json()
    assert one == listed[0]
    assert Decimal(one["area_m2"]) == Decimal("1600.50")


def test_patch_plot_changes_only_the_given_fields(client, world, admin):
    """A plot PATCH changes what it names, keeps the area, and logs the change."""
    plot = world["plot"]
    response = client.patch(f"{API}/plots/{plot.id}", json={"main_crops": "ผักบุ้ง, กวางตุ้ง"}, headers=admin)
    assert response.status_code == 200
    stored = Plot.get_by_id(plot.id)
    assert stored.main_crops == "ผักบุ้ง, กวางตุ้ง"
    assert stored.area_m2 == Decimal("1600.50") and stored.name == "แปลงริมคลอง"
    entry = AuditEntry.select().order_by(AuditEntry.id.desc()).get()
    assert (entry.action, entry.entity) == ("update", "plot")
    assert json.loads(entry.changes) == {"main_crops": ["คะน้า", "ผักบุ้ง, กวางตุ้ง"]}


def test_patch_plot_area_in_rai(client, world, admin):
    """A PATCH may give the area in rai alone: 1 ไร่ = 1,600 m²."""
    plot = world["plot"]
    response = client.patch(f"{API}/plots/{plot.id}", json={"rai": 1}, headers=admin)
    assert response.status_code == 200
    assert Plot.get_by_id(plot.id).area_m2 == Decimal(1600)


# Products ---------------------------------------------------------------------------------


def test_create_and_read_product_with_price_in_satang(client, admin):
    """default_price_satang is an integer of satang, stored, answered and read back as that integer."""
    response = client.post(f"{API}/products", json=dict(PRODUCT, default_price_satang=4550), headers=admin)
    assert response.status_code == 201
    created = no_floats(response.get_data(as_text=True))
    assert created["default_price_satang"] == 4550 and created["is_active"] is True
    product = Product.get_by_id(created["id"])
    assert product.default_price_satang == 4550 and product.is_certifiable is True
    location = response.headers["Location"]
    assert location.endswith(f"{API}/products/{product.id}")
    assert client.get(location, headers=admin).get_json() == created
    assert AuditEntry.select().where(AuditEntry.entity == "product").count() == 1


def test_list_products_filters(client, world, admin_user, cashier):
    """q, category and active filter the catalogue, which a cashier may read."""
    products.create_product({"name_th": "น้ำผึ้งชันโรง", "name_en": "Stingless-bee honey", "unit": "bottle",
                             "category": "honey", "default_price_satang": 25000}, admin_user)
    products.create_product({"name_th": "ดอกไม้ใบเตย", "unit": "piece", "category": "handicraft",
                             "is_active": False}, admin_user)

    def names(**params):
        answer = client.get(f"{API}/products", query_string=params, headers=cashier).get_json()
        assert answer["total"] == len(answer["items"])
        return [item["name_th"] for item in answer["items"]]

    assert len(names()) == 3
    assert names(q="honey") == ["น้ำผึ้งชันโรง"]
    assert names(q="คะน้า") == ["คะน้า"]
    assert names(category="handicraft") == ["ดอกไม้ใบเตย"]
    assert "ดอกไม้ใบเตย" not in names(active="true")
    assert len(names(active="1")) == 2


def test_patch_product_changes_price_only(client, world, admin):
    """A product PATCH changes its price in satang and nothing else; the change is logged."""
    product = world["product"]
    response = client.patch(f"{API}/products/{product.id}", json={"default_price_satang": 6550}, headers=admin)
    assert response.status_code == 200
    assert no_floats(response.get_data(as_text=True))["default_price_satang"] == 6550
    stored = Product.get_by_id(product.id)
    assert (stored.default_price_satang, stored.name_th, stored.unit) == (6550, "คะน้า", "kg")
    entry = AuditEntry.select().order_by(AuditEntry.id.desc()).get()
    assert json.loads(entry.changes) == {"default_price_satang": [6000, 6550]}


def test_patch_cannot_make_a_certifiable_product_a_handicraft(client, world, admin):
    """Handicrafts are never certifiable, whichever of the two fields a PATCH changes."""
    product = world["product"]
    response = client.patch(f"{API}/products/{product.id}", json={"category": "handicraft"}, headers=admin)
    assert_json_error(response, 400, "invalid", "is_certifiable")
    assert Product.get_by_id(product.id).category == "vegetable"


# Bad input --------------------------------------------------------------------------------

LONG = "ก" * 300

# (target, body, field named in the error); targets: households (POST), household (PATCH),
# plots (POST), plot (PATCH), products (POST), product (PATCH).
BAD_INPUT = [
    ("households", {}, "code"),
    ("households", dict(HOUSEHOLD, head_name=LONG), "head_name"),
    ("households", dict(HOUSEHOLD, code="KH 03/001"), "code"),
    ("households", dict(HOUSEHOLD, code="K" * 21), "code"),
    ("households", dict(HOUSEHOLD, village_no=[1]), "village_no"),
    ("households", dict(HOUSEHOLD, village_no="abc"), "village_no"),
    ("households", dict(HOUSEHOLD, village_no=31), "village_no"),
    ("households", dict(HOUSEHOLD, village_no=1.5), "village_no"),
    ("households", dict(HOUSEHOLD, village_no=True), "village_no"),
    ("households", dict(HOUSEHOLD, grower_status=5), "grower_status"),
    ("households", dict(HOUSEHOLD, grower_status="boss"), "grower_status"),
    ("households", dict(HOUSEHOLD, pledge_date=123), "pledge_date"),
    ("households", dict(HOUSEHOLD, pledge_date="2024-13-01"), "pledge_date"),
    ("households", dict(HOUSEHOLD, pledge_date=None), "pledge_date"),
    ("households", dict(HOUSEHOLD, occupation_group_ids="abc"), "occupation_group_ids"),
    ("households", dict(HOUSEHOLD, occupation_group_ids=[999]), "occupation_group_ids"),
    ("households", dict(HOUSEHOLD, occupation_group_ids=[[1]]), "occupation_group_ids"),
    ("households", dict(HOUSEHOLD, national_id="1234567890123"), "national_id"),
    ("households", dict(HOUSEHOLD, phone="call me"), "phone"),
    ("household", {"village_no": [1]}, "village_no"),
    ("household", {"grower_status": 5}, "grower_status"),
    ("household", {"pledge_date": 123}, "pledge_date"),
    ("household", {"occupation_group_ids": "abc"}, "occupation_group_ids"),
    ("household", {"head_name": LONG}, "head_name"),
    ("household", {"head_name": None}, "head_name"),
    ("household", {"code": ""}, "code"),
    ("household", {"pledge_date": None}, "pledge_date"),
    ("household", {"notes": "น" * 2001}, "notes"),
    ("plots", {"name": "แปลง", "area_m2": "-1"}, "area_m2"),
    ("plots", {"name": "แปลง", "area_m2": "0"}, "area_m2"),
    ("plots", {"name": "แปลง", "area_m2": "abc"}, "area_m2"),
    ("plots", {"name": "แปลง", "area_m2": [1600]}, "area_m2"),
    ("plots", {"name": "แปลง", "area_m2": "1600.123"}, "area_m2"),
    ("plots", {"name": "แปลง", "area_m2": "NaN"}, "area_m2"),
    ("plots", {"name": "แปลง", "area_m2": "1e12"}, "area_m2"),
    ("plots", {"name": "แปลง"}, "area_m2"),
    ("plots", {"name": LONG, "area_m2": "400"}, "name"),
    ("plots", {"area_m2": "400"}, "name"),
    ("plots", {"name": "แปลง", "rai": -1, "ngan": 0, "wa": "0"}, "rai"),
    ("plots", {"name": "แปลง", "rai": 0, "ngan": 4, "wa": "0"}, "ngan"),
    ("plots", {"name": "แปลง", "rai": 1, "wa": "1.234"}, "wa"),
    ("plots", {"name": "แปลง", "rai": [1]}, "rai"),
    ("plots", {"name": "แปลง", "area_m2": "400", "latitude": "91"}, "latitude"),
    ("plot", {"area_m2": "-5"}, "area_m2"),
    ("plot", {"name": ""}, "name"),
    ("plot", {"longitude": [100]}, "longitude"),
    ("products", dict(PRODUCT, name_th=LONG), "name_th"),
    ("products", dict(PRODUCT, unit="tonne"), "unit"),
    ("products", dict(PRODUCT, category=["vegetable"]), "category"),
    ("products", dict(PRODUCT, default_price_satang=-1), "default_price_satang"),
    ("products", dict(PRODUCT, default_price_satang=12.5), "default_price_satang"),
    ("products", dict(PRODUCT, default_price_satang="abc"), "default_price_satang"),
    ("products", dict(PRODUCT, category="handicraft", is_certifiable=True), "is_certifiable"),
    ("products", dict(PRODUCT, name_th="คะน้า "), "name_th"),
    ("product", {"unit": 5}, "unit"),
    ("product", {"name_th": None}, "name_th"),
    ("product", {"default_price_satang": [100]}, "default_price_satang"),
]

TARGETS = {
    "households": ("POST", "/households"),
    "household": ("PATCH", "/households/{h}"),
    "plots": ("POST", "/households/{h}/plots"),
    "plot": ("PATCH", "/plots/{p}"),
    "products": ("POST", "/products"),
    "product": ("PATCH", "/products/{x}"),
}


@pytest.mark.parametrize("target, body, field", BAD_INPUT)
def test_bad_input_is_a_json_400_and_writes_nothing(client, world, admin, target, body, field):
    """Each bad field is a 400 naming it in Thai, never a 500, and nothing is written."""
    method, path = TARGETS[target]
    before = database_rows()
    response = client.open(endpoint_url(path, world), method=method, json=body, headers=admin)
    error = assert_json_error(response, 400, "invalid", field)
    assert error["message"] == "มีช่องที่ต้องแก้ไข"
    assert THAI.search(error["fields"][field]), error
    assert database_rows() == before


@pytest.mark.parametrize(
    "kwargs",
    [
        {"data": "code=KH-03-001&head_name=x&village_no=1"},
        {"data": "code=KH-03-001", "content_type": "application/x-www-form-urlencoded"},
        {"json": [HOUSEHOLD]},
        {"json": "KH-03-001"},
        {"json": None, "data": "null", "content_type": "application/json"},
        {"data": '{"code": "KH-03-001",', "content_type": "application/json"},
        {},
    ],
    ids=["text", "form", "array", "string", "null", "broken-json", "empty"],
)
@pytest.mark.parametrize("target", ["households", "household", "plots", "products"])
def test_body_must_be_a_json_object(client, world, admin, kwargs, target):
    """Anything but a JSON object as the body is a 400 that says what to send."""
    method, path = TARGETS[target]
    kwargs = {key: value for key, value in kwargs.items() if value is not None}
    before = database_rows()
    response = client.open(endpoint_url(path, world), method=method, headers=admin, **kwargs)
    error = assert_json_error(response, 400, "invalid", "body")
    assert "application/json" in error["fields"]["body"]
    assert database_rows() == before


@pytest.mark.parametrize("value", [["สมศรี"], {"name": "สมศรี"}, True])
def test_text_field_refuses_lists_objects_and_booleans(client, world, admin, value):
    """head_name must be text: a list, object or boolean is a 400, not stored as "['สมศรี']"."""
    before = database_rows()
    response = client.patch(f"{API}/households/{world['household'].id}", json={"head_name": value}, headers=admin)
    assert_json_error(response, 400, "invalid", "head_name")
    assert database_rows() == before


def test_boolean_field_refuses_unknown_values(client, world, admin):
    """is_elderly must be a boolean: "maybe" is a 400 and the stored flag stays True."""
    response = client.patch(f"{API}/households/{world['household'].id}", json={"is_elderly": "maybe"},
                            headers=admin)
    assert_json_error(response, 400, "invalid", "is_elderly")
    assert Household.get_by_id(world["household"].id).is_elderly is True


def test_plot_area_is_answered_as_a_plain_decimal(client, world, admin):
    """An area given in exponent form is answered as a plain decimal string, the same on every read."""
    household = world["household"]
    created = client.post(f"{API}/households/{household.id}/plots", json={"name": "แปลง", "area_m2": "1e3"},
                          headers=admin).get_json()
    read = client.get(f"{API}/plots/{created['id']}", headers=admin).get_json()
    assert created["area_m2"] == read["area_m2"] == "1000.00"


# Languages --------------------------------------------------------------------------------


def test_errors_are_thai_by_default(client, world, admin, cashier):
    """401, 403, 404 and 400 messages are Thai without a language cookie."""
    messages = [
        assert_json_error(client.get(f"{API}/households"), 401, "unauthorized")["message"],
        assert_json_error(client.get(f"{API}/households", headers=cashier), 403, "forbidden")["message"],
        assert_json_error(client.get(f"{API}/households/999", headers=admin), 404, "not_found")["message"],
    ]
    error = assert_json_error(client.post(f"{API}/households", json={}, headers=admin), 400, "invalid", "code")
    assert messages[0].startswith("ส่งโทเค็น API ที่ถูกต้อง")
    assert messages[1] == "บทบาทของคุณทำรายการนี้ไม่ได้"
    assert all(THAI.search(message) for message in messages)
    assert error["message"] == "มีช่องที่ต้องแก้ไข" and error["fields"]["code"] == "ต้องกรอกช่องนี้"


def test_errors_are_english_with_the_lang_cookie(client, world, admin, cashier):
    """With the cookie lang=en the same errors come in English."""
    client.set_cookie("lang", "en")
    assert client.get(f"{API}/households").get_json()["error"]["message"].startswith("Send a valid API token")
    assert client.get(f"{API}/households", headers=cashier).get_json()["error"]["message"] == (
        "Your role does not allow this.")
    assert client.get(f"{API}/households/999", headers=admin).get_json()["error"]["message"].startswith("Nothing is here")
    error = client.post(f"{API}/households", json=dict(HOUSEHOLD, head_name=LONG), headers=admin).get_json()["error"]
    assert error["message"] == "Some fields need attention."
    assert error["fields"]["head_name"] == "At most 120 characters."
    body = client.post(f"{API}/households", data="x", headers=admin).get_json()["error"]["fields"]["body"]
    assert body.startswith("Send a JSON object")


# Signed-in sessions -----------------------------------------------------------------------


def test_staff_session_may_read_through_the_api(client, auth, world):
    """A signed-in admin's browser session reads the API without a token."""
    auth.login("admin")
    answer = client.get(f"{API}/households").get_json()
    assert answer["total"] == 2
    assert client.get(f"{API}/plots/{world['plot'].id}").status_code == 200


@pytest.mark.parametrize("target", list(TARGETS))
def test_session_without_a_token_cannot_write(client, auth, world, target):
    """Writing needs a bearer token: a session alone (what another site could ride on) gets a 401."""
    auth.login("admin")
    method, path = TARGETS[target]
    body = {"households": dict(HOUSEHOLD, code="KH-03-001"), "plots": PLOT, "products": dict(PRODUCT, name_th="ผักบุ้ง")}
    before = database_rows()
    response = client.open(endpoint_url(path, world), method=method, json=body.get(target, {"name": "ใหม่"}))
    assert_json_error(response, 401, "unauthorized")
    assert database_rows() == before


def test_session_readers_get_their_roles_view(client, auth, world):
    """An inspector's session reads households without personal data; a cashier's reads none."""
    auth.login("inspector")
    item = client.get(f"{API}/households").get_json()["items"][0]
    assert not PERSONAL_FIELDS & set(item)
    auth.logout()
    auth.login("cashier")
    assert_json_error(client.get(f"{API}/households"), 403, "forbidden")


# Personal data and money ------------------------------------------------------------------


def test_inspector_never_sees_personal_data(client, world, admin, inspector):
    """The inspector's answers have no phone, ID or disadvantaged keys; the admin's have them all."""
    household = world["household"]
    for url in (f"{API}/households", f"{API}/households/{household.id}",
                f"{API}/households?q=KH-01"):
        answer = client.get(url, headers=inspector).get_json()
        for record in answer.get("items", [answer]):
            assert not PERSONAL_FIELDS & set(record), record
            assert record["code"]
        text = client.get(url, headers=inspector).get_data(as_text=True)
        assert "081-234-5678" not in text and "1101700230708" not in text and "ผู้ดูแลหลาน" not in text
    admin_view = client.get(f"{API}/households/{household.id}", headers=admin).get_json()
    assert PERSONAL_FIELDS <= set(admin_view)
    assert admin_view["national_id"] == "1101700230708" and admin_view["is_low_income"] is True


def test_no_answer_carries_a_float(client, world, admin):
    """No API answer has a number with a fraction: money is integer satang, areas are strings."""
    household, plot, product = world["household"], world["plot"], world["product"]
    answers = [
        client.get(f"{API}/households", headers=admin),
        client.get(f"{API}/households/{household.id}", headers=admin),
        client.get(f"{API}/households/{household.id}/plots", headers=admin),
        client.get(f"{API}/plots/{plot.id}", headers=admin),
        client.get(f"{API}/products", headers=admin),
        client.get(f"{API}/products/{product.id}", headers=admin),
        client.post(f"{API}/products", json=dict(PRODUCT, name_th="เห็ดนางฟ้า", default_price_satang="4999"),
                    headers=admin),
        client.patch(f"{API}/plots/{plot.id}", json={"area_m2": 1600.25}, headers=admin),
        client.post(f"{API}/products", json={"name_th": "เห็ดฟาง", "unit": "kg", "category": "mushroom",
                                             "default_price": "45.50"}, headers=admin),
    ]
    for response in answers:
        assert response.status_code in (200, 201), response.get_data(as_text=True)
        no_floats(response.get_data(as_text=True))
    assert Product.get(Product.name_th == "เห็ดฟาง").default_price_satang == 4550
    assert Plot.get_by_id(plot.id).area_m2 == Decimal("1600.25")


# OpenAPI ----------------------------------------------------------------------------------


@pytest.fixture
def spec(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def rule_for(path, operation_parameters):
    """The Flask rule a documented path stands for: {x} becomes <int:x> for integer parameters."""
    types = {p["name"]: p["schema"].get("type") for p in operation_parameters if p["in"] == "path"}

    def convert(match):
        name = match.group(1)
        return f"<int:{name}>" if types.get(name) == "integer" else f"<{name}>"

    return API + re.sub(r"\{(\w+)\}", convert, path)


def documented_operations(spec):
    """(Flask rule, METHOD) for every operation the document describes."""
    operations = set()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            parameters = item.get("parameters", []) + operation.get("parameters", [])
            operations.add((rule_for(path, parameters), method.upper()))
    return operations


def served_operations(app, endpoint_prefix=""):
    """(Flask rule, METHOD) for every /api/v1 route the app serves."""
    return {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API + "/") and rule.endpoint.startswith(endpoint_prefix)
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def resolve(schema, spec):
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def documented_keys(schema, spec):
    """Every property name a schema allows, following $ref and allOf."""
    schema = resolve(schema, spec)
    keys = set(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        keys |= documented_keys(part, spec)
    return keys


def test_openapi_document_is_valid_openapi_3(client):
    """The document is served without a token and passes the OpenAPI 3 validator."""
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate_spec(spec)
    assert spec["openapi"].startswith("3.")


def test_every_documented_operation_exists(app, spec):
    """Each path and method in the document is a route the app really serves."""
    missing = documented_operations(spec) - served_operations(app)
    assert not missing, f"documented but not served: {sorted(missing)}"


def test_every_core_api_route_is_documented(app, spec):
    """Each route of core's API is in the document, so a new route cannot ship undocumented."""
    missing = served_operations(app, "api.") - documented_operations(spec)
    assert not missing, f"served but not documented: {sorted(missing)}"


def test_every_api_route_is_documented(app, spec):
    """Each /api/v1 route of every domain is in the document."""
    missing = served_operations(app) - documented_operations(spec)
    assert not missing, f"served but not documented: {sorted(missing)}"


def test_answers_have_the_documented_shape(app, client, world, admin, spec):
    """Every documented GET of core answers what its schema says, and no key the schema does not list."""
    ids = {"household_id": world["household"].id, "plot_id": world["plot"].id, "product_id": world["product"].id}
    core_rules = {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")}
    checked = 0
    for path, item in spec["paths"].items():
        operation = item.get("get")
        schema = operation and operation["responses"]["200"].get("content", {}).get("application/json", {}).get("schema")
        parameters = item.get("parameters", []) + (operation or {}).get("parameters", [])
        if not schema or rule_for(path, parameters) not in core_rules:
            continue  # another domain's route: its own tests check its answers
        response = client.get(API + path.format(**ids), headers=admin)
        assert response.status_code == 200, path
        answer = response.get_json()
        validate_instance(answer, {**schema, "components": spec["components"]}, cls=OAS30Validator)
        resolved = resolve(schema, spec)
        if "items" in resolved.get("properties", {}):
            assert set(answer) <= documented_keys(resolved, spec), path
            item_schema = resolved["properties"]["items"]["items"]
            assert answer["items"], f"{path}: nothing listed, so nothing checked"
            for record in answer["items"]:
                assert set(record) <= documented_keys(item_schema, spec), (path, set(record) - documented_keys(item_schema, spec))
        else:
            assert set(answer) <= documented_keys(resolved, spec), path
        checked += 1
    assert checked >= 6


def test_created_answers_have_the_documented_shape(client, world, admin, spec):
    """The 201 answers of POST match the documented record schema."""
    components = spec["components"]
    for path, body in [("/households", dict(HOUSEHOLD, code="KH-05-001")),
                       ("/households/{household_id}/plots", PLOT),
                       ("/products", dict(PRODUCT, name_th="ผักกาด"))]:
        schema = spec["paths"][path]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
        response = client.post(API + path.format(household_id=world["household"].id), json=body, headers=admin)
        assert response.status_code == 201
        assert "Location" in spec["paths"][path]["post"]["responses"]["201"]["headers"]
        validate_instance(response.get_json(), {**schema, "components": components}, cls=OAS30Validator)
        assert set(response.get_json()) <= documented_keys(schema, spec)


# Answers whose shape is not fixed, so no strict schema can state it.
FREE_FORM_ANSWERS = {
    ("/openapi.json", "get"),  # this document: openapi_spec_validator checks it
    ("/households/{household_id}/personal-data", "get"),  # whatever is held about a person (privacy.person_data)
}


def success_answers(spec):
    """(path, method, status, response) for every documented 2xx answer."""
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            successes = [(status, response) for status, response in operation["responses"].items() if status.startswith("2")]
            assert successes, f"{method.upper()} {path}: no success answer documented"
            for status, response in successes:
                yield path, method, status, response


def test_every_operation_documents_the_schema_of_its_success_answer(spec):
    """Each operation states its success status and the schema of what it answers; a JSON record is
    strict (what is always there is required, nothing else is allowed), so checking it means something."""
    strict = 0
    for path, method, status, response in success_answers(spec):
        where = f"{method.upper()} {path} {status}"
        if (path, method) in FREE_FORM_ANSWERS:
            continue
        assert response.get("content"), f"{where}: no content documented"
        for media, content in response["content"].items():
            assert content.get("schema"), f"{where}: {media} without a schema"
        json_schema = response["content"].get("application/json", {}).get("schema")
        if json_schema is None:
            continue
        resolved = resolve(json_schema, spec)
        assert resolved.get("additionalProperties") is False, f"{where}: the answer allows keys it does not list"
        assert set(resolved["required"]) <= set(resolved["properties"]), where
        strict += 1
    assert strict >= 40


def test_an_answer_unlike_its_schema_is_caught(app_config):
    """The check every test's app runs (tests.support.AnswerCheck) reports an answer whose keys or types
    differ from its documented schema, and lets a documented one through."""
    from core import create_app
    from core.answers import Answer, Int, Str

    from tests.support import AnswerCheck

    class Pong(Answer):
        word = Str()
        count = Int()

    application = create_app(app_config)
    extra = Blueprint("extra_api", __name__, url_prefix=API)
    extra.add_url_rule("/right", "right", lambda: Pong.dump({"word": "pong", "count": 1}))
    extra.add_url_rule("/wrong", "wrong", lambda: {"word": "pong", "count": "1", "extra": True})
    ok = {"get": {"summary": "Ping", "security": [], "responses": {"200": json_response(Pong)}}}
    document(extra, {"/right": ok, "/wrong": ok}, schemas(Pong))
    application.register_blueprint(extra)
    check = AnswerCheck(application)
    client = application.test_client()
    assert client.get(f"{API}/right").status_code == 200
    assert not check.mismatches
    assert client.get(f"{API}/wrong").status_code == 200
    assert len(check.mismatches) == 2 and all(m.startswith("GET /api/v1/wrong 200") for m in check.mismatches)


def test_a_domain_documents_its_routes_beside_them(app_config):
    """document(bp, ...) adds a domain's paths and schemas to the one OpenAPI document."""
    from core import create_app

    application = create_app(app_config)
    extra = Blueprint("extra_api", __name__, url_prefix=API)

    @extra.route("/ping")
    def ping():
        return {"pong": True}

    document(extra, {"/ping": {"get": {"summary": "Ping", "security": [],
                                       "responses": {"200": {"description": "OK", "content": {"application/json": {
                                           "schema": {"$ref": "#/components/schemas/Pong"}}}}}}}},
             {"Pong": {"type": "object", "properties": {"pong": {"type": "boolean"}}}})
    application.register_blueprint(extra)
    spec = application.test_client().get(f"{API}/openapi.json").get_json()
    validate_spec(spec)
    assert "/ping" in spec["paths"] and "Pong" in spec["components"]["schemas"]
    assert "/households" in spec["paths"]
