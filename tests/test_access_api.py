"""Who may call what in the JSON API: every /api/v1 route and method, for every role.

ROUTES names each operation the app serves under /api/v1 with the roles whose call gets through
after every check the view makes: the decorator's roles, a narrower role check inside the view,
and the certification committee flag. Each case calls one route with a bearer token as
anonymous, cashier, inspector and admin, in that order: no token is a JSON 401 and a role not
allowed a JSON 403, both writing nothing; an allowed role gets the route's success status for a
valid request, and its write lands. A signed-in browser session may read, but writes only through
the POS's routes and only with the page's CSRF token. A test walks the app's URL map, so a new
API route cannot ship without being classified here.
"""
import io
import re
import uuid
from dataclasses import dataclass

import pytest

from certificates import certification, inspections, records
from certificates.models import CertifyingBody, Requirement, Standard
from certificates.standards import ensure_default_standards
from core import households, products
from core.models import Consent
from market import sales, settings
from traceability import batches

from tests.support import bearer, database_rows, days_ago, matrix_roles, pgs_peers, qr_picture, sign_in, staff

API = "/api/v1"
BASE_URL = "http://market.test"  # GREENMARKET_BASE_URL of the test app (conftest.py)
# Refusals first, then the roles that may; a route's allowed writes run in this order too.
# A grower (of the world's household) is refused every staff route, even about its own household.
ORDER = matrix_roles(["anonymous", "grower", "cashier", "inspector", "admin"])
PUBLIC = frozenset(ORDER)
STAFF = frozenset({"admin", "inspector", "cashier"})
READERS = frozenset({"admin", "inspector"})
COUNTER = frozenset({"admin", "cashier"})
ADMIN = frozenset({"admin"})
GROWER = frozenset({"grower"})

HOUSEHOLD = {
    "code": "KH-01-001", "head_name": "สมศรี ทองคำ", "display_name": "สวนป้าศรี", "village_no": 1,
    "address": "12 หมู่ที่ 1 ต.คลองแห", "phone": "081-234-5678", "national_id": "1101700230708",
    "is_elderly": True, "grower_status": "active", "pledge_date": "2024-01-15", "sensitive_consent": True,
}


def qr_frame(text):
    """A camera frame (PNG) showing one QR code of `text`, as the POS uploads it."""
    frame = io.BytesIO()
    qr_picture(text, 8).save(frame, format="PNG")
    frame.seek(0)
    return frame


@pytest.fixture
def world(seed, app):
    """A certified household with a batch on sale, an open market day, and one token per role.

    Built once per worker; each test gets it back in a database of its own.
    """
    return seed(build_world).start(app)


def build_world(app):
    """Make the world's records in `app`'s database.

    The inspector and admin each get their own inspection at every step of certification, and the
    cashier and admin their own sales, so both allowed roles of a route can write in one test.
    """
    council = staff("admin", "council")
    users = {"cashier": staff("cashier", "kaew"), "inspector": staff("inspector", "ploy", is_committee=True),
             "admin": council}
    ensure_default_standards()
    standard = Standard.get(Standard.code == "PGS-KH")
    body = CertifyingBody.get(CertifyingBody.kind == "pgs")
    requirements = list(Requirement.select().where(Requirement.standard == standard))
    household = households.create_household(HOUSEHOLD, council)
    users["grower"] = staff("grower", "mali", household=household)
    plot = households.create_plot(household, {"name": "แปลงริมคลอง", "area_m2": "1600"}, council)
    records.save_plot_record(plot, {"conversion_start": days_ago(800)}, council)
    product = products.create_product({"name_th": "คะน้า", "name_en": "Chinese kale", "unit": "kg",
                                       "category": "vegetable", "is_certifiable": True, "default_price": "60"}, council)

    def inspection(step):
        """Take an inspection to `step`: the scheduled or recorded inspection, its decision or its certificate."""
        made = inspections.schedule_inspection(
            household, {"standard_id": standard.id, "body_id": body.id, "scheduled_for": days_ago(40)}, council)
        if step == "scheduled":
            return made
        inspections.record_inspection(made, {"inspected_on": days_ago(40), "inspectors": pgs_peers(), "results": {
            str(r.id): {"result": "pass"} for r in requirements}}, council)
        if step == "recorded":
            return made
        decision = certification.decide(made, {"outcome": "approve"}, council)
        if step == "decided":
            return decision
        return certification.issue_certificate(decision, {
            "issued_on": days_ago(30), "product_ids": [product.id], "plot_ids": [plot.id]}, council)

    certificate = inspection("certified")
    batch = batches.create_batch({"household_id": household.id, "product_id": product.id, "plot_id": plot.id,
                                  "harvest_date": days_ago(1), "quantity": "12.5"}, council)
    day = sales.open_market_day({"counter": "A", "opening_float": "500"}, council)
    settings.save_settings({"market_name": "ตลาดเขียวคลองแห", "promptpay_id": "0812345678",
                            "commission_percent": "0", "stock_tolerance_percent": "5"}, council)

    def sale():
        made, _created = sales.record_sale({"client_id": str(uuid.uuid4()), "market_day_id": day.id,
                                            "lines": [{"batch_code": batch.code, "quantity": "1"}],
                                            "payment": {"method": "cash"}}, council, BASE_URL)
        return made

    own = {role: {} for role in users}
    for role in ("inspector", "admin"):
        own[role] = {"scheduled": inspection("scheduled").id, "recorded": inspection("recorded").id,
                     "decision": inspection("decided").id, "suspendable": inspection("certified").number}
    for role in ("cashier", "admin"):
        own[role].update({"voidable": sale().id, "refundable": sale().lines[0].id})
    return {
        "users": users, "tokens": {role: bearer(user) for role, user in users.items()},
        "standard": standard, "body": body, "requirements": requirements, "household": household,
        "plot": plot, "product": product, "certificate": certificate, "batch": batch, "day": day,
        "sale": sale(), "own": own,
    }


def ids(world, role):
    """The values of the {placeholders} in ROUTES: a role's own records where it writes to one, and the
    admin's for a role that must be refused before it touches them."""
    values = {
        "household": world["household"].id, "plot": world["plot"].id, "product": world["product"].id,
        "certificate": world["certificate"].number, "inspection": world["certificate"].decision.inspection_id,
        "batch": world["batch"].code, "sale": world["sale"].id,
        "consent": Consent.get(Consent.household == world["household"]).id,
    }
    return {**values, **world["own"]["admin"], **world["own"].get(role, {})}


def schedule_body(world, role):
    return {"standard_id": world["standard"].id, "body_id": world["body"].id, "scheduled_for": days_ago(-7)}


def record_body(world, role):
    return {"inspected_on": days_ago(2), "inspectors": pgs_peers(), "findings": "แปลงสะอาด มีบันทึกครบ",
            "results": {str(r.id): {"result": "pass"} for r in world["requirements"]}}


def issue_body(world, role):
    return {"product_ids": [world["product"].id], "plot_ids": [world["plot"].id]}


def input_body(world, role):
    return {"plot_id": world["plot"].id, "used_on": days_ago(3), "input_type": "compost",
            "name": "ปุ๋ยหมักใบไม้", "quantity": "20", "unit": "kg"}


def activity_body(world, role):
    return {"plot_id": world["plot"].id, "done_on": days_ago(3), "activity": "planting"}


def batch_body(world, role):
    return {"household_id": world["household"].id, "product_id": world["product"].id,
            "plot_id": world["plot"].id, "harvest_date": days_ago(0), "quantity": "3"}


def made_body(world, role):
    return {"household_id": world["household"].id, "product_id": world["product"].id, "made_on": days_ago(0),
            "quantity": "2", "inputs": [{"batch_code": world["batch"].code, "quantity": "0.5"}]}


def sale_body(world, role):
    return {"client_id": str(uuid.uuid4()), "market_day_id": world["day"].id,
            "lines": [{"batch_code": world["batch"].code, "quantity": "0.5"}], "payment": {"method": "cash"}}


def frame_form(world, role):
    return {"frame": (qr_frame(f"{BASE_URL}/b/{world['batch'].code}"), "frame.png")}


@dataclass(frozen=True)
class Route:
    """One API operation, the roles whose call gets through, and a valid request for it."""

    method: str
    rule: str  # as in app.url_map, without the /api/v1 prefix
    roles: frozenset
    url: str  # the rule with {placeholders} from ids(), and a query string where one is needed
    body: object = None  # a JSON body, or a function (world, role) -> body
    form: object = None  # a function (world, role) -> multipart form, instead of a JSON body
    status: int = None  # an allowed role's answer, when not the method's usual one
    mimetype: str = "application/json"
    pos_page: bool = False  # the POS page may also call it with its session and CSRF token
    writes: bool = True  # an allowed POST or PATCH changes the database
    committee: bool = False  # the rule itself also asks for the certification committee

    @property
    def expected(self):
        return self.status or (201 if self.method == "POST" else 200)

    def request(self, world, role):
        """Keyword arguments for client.open: the JSON body or multipart form for `role`."""
        if self.form is not None:
            return {"data": self.form(world, role), "content_type": "multipart/form-data"}
        if self.body is not None:
            return {"json": self.body(world, role) if callable(self.body) else self.body}
        return {}

    def __str__(self):
        return f"{self.method} {self.rule}"


PDF = "application/pdf"
# The world's inspector sits on the certification committee (User.is_committee), so the routes
# marked `committee` (decisions, certificates and their status actions) admit admin and that
# inspector; test_inspector_off_the_committee_is_refused covers an inspector who does not sit on it.

ROUTES = [
    # core/api.py
    Route("GET", "/openapi.json", PUBLIC, "/openapi.json"),
    # growers/api.py: the grower's own household
    Route("GET", "/me", GROWER, "/me"), Route("GET", "/me/batches", GROWER, "/me/batches"),
    Route("POST", "/me/batches", GROWER, "/me/batches",
          lambda world, role: {"product_id": world["product"].id, "harvest_date": days_ago(0), "quantity": "2"}),
    Route("GET", "/me/sales", GROWER, "/me/sales"), Route("GET", "/me/diary", GROWER, "/me/diary"),
    Route("POST", "/me/diary", GROWER, "/me/diary", lambda world, role: {
        "kind": "activity", "plot_id": world["plot"].id, "done_on": days_ago(1), "activity": "care"}),
    Route("GET", "/me/settlements", GROWER, "/me/settlements"),
    Route("GET", "/households", READERS, "/households?q=KH"),
    Route("POST", "/households", ADMIN, "/households", dict(HOUSEHOLD, code="KH-03-001")),
    Route("GET", "/households/<int:household_id>", READERS, "/households/{household}"),
    # core/privacy_views.py (PDPA)
    Route("GET", "/households/<int:household_id>/consents", ADMIN, "/households/{household}/consents"),
    Route("POST", "/households/<int:household_id>/consents", ADMIN, "/households/{household}/consents",
          {"given_on": "2026-01-05"}),
    Route("POST", "/consents/<int:consent_id>/withdraw", ADMIN, "/consents/{consent}/withdraw", {}, status=200),
    Route("GET", "/households/<int:household_id>/personal-data", ADMIN, "/households/{household}/personal-data"),
    Route("POST", "/households/<int:household_id>/erase", ADMIN, "/households/{household}/erase", {}, status=200),
    Route("GET", "/personal-data-views", ADMIN, "/personal-data-views"),
    Route("PATCH", "/households/<int:household_id>", ADMIN, "/households/{household}", {"display_name": "สวนใหม่"}),
    Route("GET", "/households/<int:household_id>/plots", READERS, "/households/{household}/plots"),
    Route("POST", "/households/<int:household_id>/plots", ADMIN, "/households/{household}/plots",
          {"name": "แปลงหลังบ้าน", "area_m2": "400"}),
    Route("GET", "/plots/<int:plot_id>", READERS, "/plots/{plot}"),
    Route("PATCH", "/plots/<int:plot_id>", ADMIN, "/plots/{plot}", {"main_crops": "ผักบุ้ง"}),
    Route("GET", "/products", STAFF, "/products?category=vegetable"),
    Route("POST", "/products", ADMIN, "/products",
          {"name_th": "เห็ดนางฟ้า", "unit": "kg", "category": "mushroom", "is_certifiable": True,
           "default_price_satang": 8000}),
    Route("GET", "/products/<int:product_id>", STAFF, "/products/{product}"),
    Route("PATCH", "/products/<int:product_id>", ADMIN, "/products/{product}", {"default_price_satang": 6500}),
    # certificates/api.py
    Route("GET", "/households/<int:household_id>/certification", STAFF,
          "/households/{household}/certification?product_id={product}"),
    Route("GET", "/certificates", STAFF, "/certificates?household_id={household}"),
    Route("GET", "/network-register", READERS, "/network-register"),
    Route("GET", "/certificates/<number>", STAFF, "/certificates/{certificate}"),
    Route("GET", "/certificates/<number>.pdf", STAFF, "/certificates/{certificate}.pdf", mimetype=PDF),
    Route("POST", "/certificates/<number>/<action>", READERS, "/certificates/{suspendable}/suspend",
          {"reason": "พบการใช้สารเคมีในแปลง"}, status=200, committee=True),
    Route("GET", "/households/<int:household_id>/inputs", READERS, "/households/{household}/inputs"),
    # The decorator admits inspectors; the view itself keeps recording inputs for admin.
    Route("POST", "/households/<int:household_id>/inputs", ADMIN, "/households/{household}/inputs", input_body),
    Route("GET", "/households/<int:household_id>/activities", READERS, "/households/{household}/activities"),
    Route("POST", "/households/<int:household_id>/activities", ADMIN, "/households/{household}/activities",
          activity_body),
    Route("POST", "/households/<int:household_id>/inspections", READERS, "/households/{household}/inspections",
          schedule_body),
    Route("GET", "/inspections/<int:inspection_id>", READERS, "/inspections/{inspection}"),
    Route("POST", "/inspections/<int:inspection_id>/record", READERS, "/inspections/{scheduled}/record",
          record_body, status=200),
    Route("POST", "/inspections/<int:inspection_id>/decision", READERS, "/inspections/{recorded}/decision",
          {"outcome": "approve"}, committee=True),
    Route("GET", "/inspections/<int:inspection_id>/report.pdf", READERS, "/inspections/{inspection}/report.pdf",
          mimetype=PDF),
    Route("POST", "/decisions/<int:decision_id>/certificate", READERS, "/decisions/{decision}/certificate",
          issue_body, committee=True),
    # traceability/api.py
    Route("GET", "/batches", STAFF, "/batches?household_id={household}"),
    Route("POST", "/batches", ADMIN, "/batches", batch_body),
    Route("GET", "/batches/<code>", STAFF, "/batches/{batch}"),
    Route("GET", "/batches/<code>/labels.pdf", ADMIN, "/batches/{batch}/labels.pdf?template=thermal-50x30&copies=2",
          mimetype=PDF),
    Route("GET", "/labels.pdf", ADMIN, "/labels.pdf?batch={batch}", mimetype=PDF),
    Route("POST", "/made-batches", ADMIN, "/made-batches", made_body),
    Route("GET", "/batches/<code>/inputs", STAFF, "/batches/{batch}/inputs"),
    Route("GET", "/batches/<code>/outputs", STAFF, "/batches/{batch}/outputs"),
    # Printing records the print (a GET only shows the labels); the batch pages post with their CSRF token.
    Route("POST", "/batches/<code>/labels.pdf", ADMIN, "/batches/{batch}/labels.pdf?template=thermal-50x30&copies=2",
          status=200, mimetype=PDF, pos_page=True),
    Route("POST", "/labels.pdf", ADMIN, "/labels.pdf?batch={batch}", status=200, mimetype=PDF, pos_page=True),
    # market/api.py
    Route("GET", "/pos/lookup", COUNTER, "/pos/lookup?scan={batch}"),
    Route("GET", "/pos/batches", COUNTER, "/pos/batches"),
    Route("GET", "/pos/search", COUNTER, "/pos/search?q=คะน้า"),
    Route("POST", "/pos/decode", COUNTER, "/pos/decode", form=frame_form, status=200, pos_page=True, writes=False),
    Route("GET", "/market-days", COUNTER, "/market-days"),
    Route("POST", "/sales", COUNTER, "/sales", sale_body, pos_page=True),
    Route("GET", "/sales/<int:sale_id>", COUNTER, "/sales/{sale}"),
    Route("POST", "/sales/<int:sale_id>/void", COUNTER, "/sales/{voidable}/void", {"reason": "ลูกค้าเปลี่ยนใจ"},
          status=200, pos_page=True),
    Route("POST", "/sale-lines/<int:line_id>/refund", COUNTER, "/sale-lines/{refundable}/refund",
          {"quantity": "0.5", "reason": "ผักช้ำ"}, pos_page=True),
    Route("GET", "/pos/promptpay.svg", COUNTER, "/pos/promptpay.svg?amount_satang=12050", mimetype="image/svg+xml"),
]
WRITES = [route for route in ROUTES if route.method != "GET"]


def call(client, world, route, role, headers=None):
    """Send `route`'s valid request, with the records `role` may write to."""
    url = API + route.url.format(**ids(world, role))
    return client.open(url, method=route.method, headers=headers or {}, **route.request(world, role))


def assert_json_error(response, status, code, where):
    """The answer is the API's error shape, {"error": {"code", "message"}}, with this status and code."""
    assert response.status_code == status, (where, response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == "application/json", where
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"], (where, error)


def check(client, world, route, role):
    """Call `route` as `role` with a bearer token; a refusal writes nothing, an allowed call succeeds."""
    where = f"{route} as {role}"
    headers = world["tokens"].get(role)
    before = database_rows()
    response = call(client, world, route, role, headers)
    if role not in route.roles:
        if role == "anonymous":
            assert_json_error(response, 401, "unauthorized", where)
        else:
            assert_json_error(response, 403, "forbidden", where)
        assert database_rows() == before, where
        return
    assert response.status_code == route.expected, (where, response.get_data(as_text=True)[:1000])
    assert response.mimetype == route.mimetype, where
    if route.method != "GET" and route.writes:
        assert database_rows() != before, f"{where} answered {response.status_code} but wrote nothing"


@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_route_admits_exactly_its_roles(client, world, route):
    """Anonymous gets a JSON 401 and a refused role a JSON 403, both writing nothing; allowed roles succeed."""
    for role in ORDER:
        check(client, world, route, role)


def test_every_api_route_is_classified(app):
    """Each /api/v1 rule and method the app serves is in ROUTES, once, and ROUTES lists nothing else."""
    served = {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(API + "/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    classified = [(API + route.rule, route.method) for route in ROUTES]
    assert len(classified) == len(set(classified)), "ROUTES lists an operation twice"
    assert served - set(classified) == set(), "API routes missing from ROUTES in tests/test_access_api.py"
    assert set(classified) - served == set(), "ROUTES lists API routes the app does not have"


def test_session_reads_but_never_writes_without_the_csrf_header(client, world):
    """A signed-in admin's browser session reads the API, but every write without X-CSRFToken is a 401."""
    sign_in(client, world["users"]["admin"])
    assert client.get(f"{API}/households/{world['household'].id}").status_code == 200
    for route in WRITES:
        for headers in ({}, {"X-CSRFToken": "forged"}):
            where = f"{route} by session with {headers}"
            before = database_rows()
            assert_json_error(call(client, world, route, "admin", headers), 401, "unauthorized", where)
            assert database_rows() == before, where


def test_session_with_the_pages_csrf_token_writes_only_through_the_pos(client, world):
    """With the POS page's CSRF token a session may sell, void, refund and decode; every other write is a 401
    (a 403 on the grower's own routes, which take a grower's page session: staff are not growers)."""
    sign_in(client, world["users"]["admin"])
    page = client.get("/pos").get_data(as_text=True)
    headers = {"X-CSRFToken": re.search(r'data-csrf-token="([^"]+)"', page).group(1)}
    for route in WRITES:
        where = f"{route} by session with the page's token"
        before = database_rows()
        response = call(client, world, route, "admin", headers)
        if route.pos_page:
            assert response.status_code == route.expected, (where, response.get_data(as_text=True)[:1000])
        elif route.roles == GROWER:
            assert_json_error(response, 403, "forbidden", where)
            assert database_rows() == before, where
        else:
            assert_json_error(response, 401, "unauthorized", where)
            assert database_rows() == before, where


def test_inspector_off_the_committee_is_refused(client, world):
    """An inspector not on the certification committee cannot decide, issue or change a certificate."""
    headers = bearer(staff("inspector", "somchai"))
    for route in (route for route in ROUTES if route.committee):
        where = f"{route} by an inspector off the committee"
        before = database_rows()
        response = call(client, world, route, "inspector", headers)
        assert response.status_code == 400, (where, response.get_data(as_text=True)[:500])
        assert "user" in response.get_json()["error"]["fields"], where
        assert database_rows() == before, where
