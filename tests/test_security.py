"""The claims of SECURITY.md, each proved against the running app.

CSRF: every form route of the URL map refuses a signed-in admin's post without its token and
writes nothing; the API never takes a session write without the page's token. Headers: every
kind of answer (public pages, each staff page, API JSON, PDFs, static files, error pages) carries
the strict CSP and the hardening headers, and signed-in answers are never stored. Sessions: a
cookie older than the session lifetime is refused, even one kept in use; the cookie is Secure
behind https. Accounts: the password minimum through the pages, the end of the sign-in brake's
window, and what revoking tokens stops. Routes are walked from the URL map, so a new one is covered.
"""
import base64
import contextlib
import datetime
import functools
import hashlib
import io
import re
import time

import pytest

from core import accounts, create_app
from core.db import utcnow
from core.models import ApiToken, Consent, LoginAttempt, User
from market.models import SaleLine

from tests import test_access
from tests.support import PASSWORD, database_rows
from tests.test_access import PAGES, PUBLIC_RULES, ids, sign_in, staff

world = test_access.world  # the access matrix's records: one of every kind a staff page works on

EXPIRED_FORM = "แบบฟอร์มหมดอายุ"
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def fill(world):
    """A real value for each URL parameter name the app's routes use."""
    return {
        "household_id": world["household"].id, "member_id": world["member"].id, "plot_id": world["plot"].id,
        "product_id": world["product"].id, "user_id": world["user"].id, "inspection_id": world["inspection"].id,
        "decision_id": world["decision"].id, "number": world["certificate"].number, "action": "suspend",
        "code": world["batch"].code, "kind": "inputs", "day_id": world["open_day"].id,
        "settlement_id": world["settlement"].id, "course_id": world["course"].id, "sale_id": world["sale"].id,
        "line_id": SaleLine.get(SaleLine.sale == world["sale"]).id, "fmt": "csv", "table": "households",
        "token": world["sale"].receipt_token, "filename": "css/app.css",
        "consent_id": Consent.get(Consent.household == world["household"]).id,
        "record_id": world["entry"].id, "evidence_id": world["photo"].id,
    }


def public_samples(world):
    """URLs of the public pages by rule, with the status each gives anyone."""
    return {
        "/login": [("/login", 200)], "/healthz": [("/healthz", 200)], "/sw.js": [("/sw.js", 200)],
        "/manifest.webmanifest": [("/manifest.webmanifest", 200)], "/language/<code>": [("/language/en?next=/", 302)],
        "/c/<path:number>": [(f"/c/{world['certificate'].number}", 200)],
        "/b/<path:code>": [(f"/b/{world['batch'].code}", 200)],
        "/r/<token>": [(f"/r/{world['sale'].receipt_token}", 200)],
        "/invite/<token>": [("/invite/not-a-printed-card", 404)],
        "/static/<path:filename>": [("/static/css/app.css", 200), ("/static/js/pos.js", 200),
                                    ("/static/icon.svg", 200)],
    }


def routes(app, world, methods, api):
    """(method, rule, url, form maker, expected status) for each route of the URL map with one of `methods`,
    under /api/ or not as `api` says.

    A route classified in tests/test_access.py takes its URLs and valid forms from there, a public
    page from public_samples(); any other route gets its parameters from fill(), so none is skipped.
    """
    values, public = fill(world), public_samples(world)
    adapter = app.url_map.bind("market.test")
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") != api:
            continue
        for method in sorted(rule.methods & set(methods)):
            pages = [page for page in PAGES if (page.rule, page.method) == (rule.rule, method)]
            if pages:
                found += [(method, rule.rule, page.url.format(**ids(world)), functools.partial(page.form, world),
                           page.status_for("admin") if "admin" in page.roles else 403) for page in pages]
            elif method == "GET" and rule.rule in public:
                found += [(method, rule.rule, url, dict, status) for url, status in public[rule.rule]]
            else:
                missing = sorted(rule.arguments - values.keys())
                assert not missing, f"{rule.rule}: add a value for {missing} to fill() in tests/test_security.py"
                url = adapter.build(rule.endpoint, {name: values[name] for name in rule.arguments}, method=method)
                found.append((method, rule.rule, url, dict, None))
    return found


def page_csrf_token(client):
    """The CSRF token of this client's session, read from a page as a browser would."""
    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def csrf_client(app, world):
    """A client of the app with CSRF protection on, as in production (conftest turns it off)."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app.test_client()


# CSRF ---------------------------------------------------------------------------------------


def test_every_form_refuses_a_post_without_its_csrf_token(app, world, csrf_client):
    """Each non-API POST route refuses a signed-in admin's post without the token (400 in Thai, nothing
    written) and lets the same post with the page's token past the check, so the token is what refused it."""
    cases = routes(app, world, ["POST"], api=False)
    assert {"/households/new", "/logout", "/login", "/market/settings"} <= {rule for _m, rule, *_ in cases}
    failures = []
    for _method, _rule, url, form, _status in cases:
        sign_in(csrf_client, world["council"])
        token = page_csrf_token(csrf_client)
        before = database_rows()
        refused = csrf_client.post(url, data=form(), content_type="multipart/form-data")
        if refused.status_code != 400 or EXPIRED_FORM not in refused.get_data(as_text=True):
            failures.append((url, "accepted without a token", refused.status_code))
        if database_rows() != before:
            failures.append((url, "the database changed"))
        if csrf_client.get("/").status_code != 200:
            failures.append((url, "the refused post signed the admin out"))
        accepted = csrf_client.post(url, data=dict(form(), csrf_token=token), content_type="multipart/form-data")
        if accepted.mimetype == "text/html" and EXPIRED_FORM in accepted.get_data(as_text=True):  # not a PDF
            failures.append((url, "refused even with the page's token", accepted.status_code))
    assert failures == []
    assert len(cases) >= 30


def test_forged_or_foreign_csrf_token_is_refused(app, world, csrf_client):
    """A token made up by another site, or taken from another session, is refused like a missing one."""
    sign_in(csrf_client, world["council"])
    other = app.test_client()
    sign_in(other, world["council"])
    for token in ("forged", page_csrf_token(other)):
        before = database_rows()
        response = csrf_client.post("/occupation-groups", data={"name_th": "กลุ่มปลอม", "csrf_token": token})
        assert response.status_code == 400 and EXPIRED_FORM in response.get_data(as_text=True)
        assert database_rows() == before


def test_api_never_takes_a_session_write_without_the_pages_token(app, world, csrf_client):
    """Every API write route refuses a signed-in browser without a bearer token or a valid X-CSRFToken: 401, no write."""
    cases = routes(app, world, WRITES, api=True)
    assert len(cases) >= 15
    sign_in(csrf_client, world["council"])
    assert csrf_client.get("/api/v1/products").status_code == 200, "the session may read, so a refusal means something"
    failures = []
    for method, _rule, url, _form, _status in cases:
        for headers in ({}, {"X-CSRFToken": "forged"}):
            before = database_rows()
            response = csrf_client.open(url, method=method, json={}, headers=headers)
            if response.status_code != 401:
                failures.append((method, url, headers, response.status_code))
            if database_rows() != before:
                failures.append((method, url, headers, "the database changed"))
    assert failures == []
    token = re.search(r'data-csrf-token="([^"]+)"', csrf_client.get("/pos").get_data(as_text=True)).group(1)
    void = f"/api/v1/sales/{world['sale'].id}/void"
    answer = csrf_client.post(void, json={"reason": "ลูกค้าเปลี่ยนใจ"}, headers={"X-CSRFToken": token})
    assert answer.status_code not in (401, 403), "with the page's token the POS's session write gets through"


# Headers ------------------------------------------------------------------------------------


def header_problems(response):
    """What is missing from the hardening headers SECURITY.md promises on every answer."""
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    problems = []
    if directives.get("default-src") != ["'self'"]:
        problems.append(f"default-src is {directives.get('default-src')}")
    if directives.get("frame-ancestors") != ["'none'"]:
        problems.append(f"frame-ancestors is {directives.get('frame-ancestors')}")
    if "'unsafe-inline'" in csp or "'unsafe-eval'" in csp or re.search(r"https?:|\*", csp):
        problems.append(f"the CSP lets in more than this site: {csp}")
    for name, value in (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                        ("Referrer-Policy", "same-origin")):
        if response.headers.get(name) != value:
            problems.append(f"{name} is {response.headers.get(name)!r}")
    return problems


def not_stored(response):
    return "no-store" in response.headers.get("Cache-Control", "")


def test_public_answers_carry_the_security_headers(app, client, world):
    """Each public GET route of the URL map (sign-in, trace, certificate check, receipt, health, service worker,
    static files), opened by anyone, has the headers."""
    cases = [case for case in routes(app, world, ["GET"], api=False) if case[1] in PUBLIC_RULES]
    urls = {url for _method, _rule, url, _form, _status in cases}
    assert {"/login", "/healthz", f"/r/{world['sale'].receipt_token}", "/static/css/app.css"} <= urls
    failures = {}
    for _method, _rule, url, _form, status in cases:
        response = client.get(url)
        problems = header_problems(response)
        if response.status_code != (status or 200):
            problems.append(f"status {response.status_code}")
        if problems:
            failures[url] = problems
    assert failures == {}


def test_every_staff_page_carries_the_headers_and_is_never_stored(app, client, world):
    """Every GET route outside the API, opened by an admin, has the headers; each staff page (HTML, PDF, CSV,
    XLSX) also says Cache-Control: no-store, so a shared tablet's browser keeps no copy."""
    sign_in(client, world["council"])
    cases = routes(app, world, ["GET"], api=False)
    assert len(cases) >= 60
    kinds = set()
    failures = {}
    for _method, rule, url, _form, status in cases:
        response = client.get(url)
        kinds.add(response.mimetype)
        problems = header_problems(response)
        if status is not None and response.status_code != status:
            problems.append(f"status {response.status_code}, not {status}")
        if rule not in PUBLIC_RULES and not not_stored(response):
            problems.append(f"Cache-Control is {response.headers.get('Cache-Control')!r}")
        if problems:
            failures[url] = problems
    assert failures == {}
    assert {"text/html", "application/pdf", "text/csv"} <= kinds


def test_api_answers_carry_the_security_headers(client, world, token_for):
    """API JSON, an API PDF and the API's 401, 403 and 404 carry the headers; a token's answers are not stored."""
    admin, cashier = token_for("admin", "api-admin"), token_for("cashier", "api-cashier")
    number = world["certificate"].number
    samples = [("/api/v1/products", admin, 200), (f"/api/v1/households/{world['household'].id}", admin, 200),
               (f"/api/v1/certificates/{number}.pdf", admin, 200), ("/api/v1/openapi.json", {}, 200),
               ("/api/v1/households", {}, 401), ("/api/v1/households", {"Authorization": "Bearer wrong"}, 401),
               ("/api/v1/households", cashier, 403), ("/api/v1/households/999999", admin, 404)]
    failures = {}
    for url, headers, status in samples:
        response = client.get(url, headers=headers)
        problems = header_problems(response)
        if response.status_code != status:
            problems.append(f"status {response.status_code}")
        if "Authorization" in headers and status < 400 and not not_stored(response):
            problems.append(f"Cache-Control is {response.headers.get('Cache-Control')!r}")
        if problems:
            failures[(url, status)] = problems
    assert failures == {}


def test_error_answers_carry_the_security_headers(app, client, world):
    """A redirect to sign-in, 400 (bad input and expired form), 403, 404, 405, 413 and 500 all carry the headers."""
    def crash():
        raise RuntimeError("a bug")

    cashier = app.test_client()
    sign_in(cashier, staff("cashier", "counter"))
    app.view_functions["core.health"] = crash
    samples = [(client, "GET", "/households", {}, 302), (client, "GET", "/login?q=%00", {}, 400),
               (client, "GET", "/no-such-page", {}, 404), (client, "GET", "/logout", {}, 405),
               (client, "GET", "/healthz", {}, 500), (cashier, "GET", "/users", {}, 403),
               (cashier, "POST", "/households/import", {"file": (io.BytesIO(b"x" * (6 << 20)), "a.csv")}, 413)]
    failures = {}
    for who, method, url, data, status in samples:
        response = who.open(url, method=method, data=data)
        problems = header_problems(response) + ([f"status {response.status_code}"] if response.status_code != status else [])
        if problems:
            failures[(method, url)] = problems
    app.config["WTF_CSRF_ENABLED"] = True
    expired = cashier.post("/market/days", data={"counter": "B"})
    assert expired.status_code == 400 and EXPIRED_FORM in expired.get_data(as_text=True)
    assert header_problems(expired) == []
    assert failures == {}


def test_signed_in_error_pages_are_not_stored(app, world):
    """Pages a signed-in person gets when something is refused are not kept by the browser either."""
    client = app.test_client()
    sign_in(client, world["council"])
    app.config["WTF_CSRF_ENABLED"] = True
    failures = {}
    for method, url, status in (("GET", "/households/999999", 404), ("GET", "/logout", 405),
                                ("GET", "/households?q=%00", 400), ("POST", "/occupation-groups", 400)):
        response = client.open(url, method=method)
        if response.status_code != status or not not_stored(response):
            failures[url] = (response.status_code, response.headers.get("Cache-Control"))
    assert failures == {}


# Sessions -----------------------------------------------------------------------------------


@contextlib.contextmanager
def clock_at(hours_ago):
    """Run the block with the process clock `hours_ago` hours in the past (cookie signatures read it)."""
    real = time.time
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "time", lambda: real() - hours_ago * 3600)
        yield


def sign_in_through_the_form(client, username):
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return response


def redirected_to_login(response):
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_session_older_than_its_lifetime_is_refused(app, client, make_user):
    """A cookie signed 15 hours ago (lifetime 14 h) is refused by the server even though the browser still sends it."""
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 14 * 3600
    make_user("cashier", "kaew")
    with clock_at(15):
        sign_in_through_the_form(client, "kaew")
        assert client.get("/pos").status_code == 200, "the session worked when it was new"
    assert redirected_to_login(client.get("/pos"))
    assert client.get("/api/v1/market-days").status_code == 401


def test_a_recent_session_still_works(client, make_user):
    """A cookie signed 13 hours ago is still inside its 14 hours, so the counter keeps selling."""
    make_user("cashier", "kaew")
    with clock_at(13):
        sign_in_through_the_form(client, "kaew")
    assert client.get("/pos").status_code == 200


def test_a_session_kept_in_use_still_ends_14_hours_after_sign_in(client, make_user):
    """Using the session every few hours does not stretch it: 14 hours after signing in, it is over."""
    make_user("cashier", "kaew")
    with clock_at(14.5):
        sign_in_through_the_form(client, "kaew")
    for hours_ago in (10, 5, 1):
        with clock_at(hours_ago):
            assert client.get("/pos").status_code == 200, f"{hours_ago} h ago the session was under 14 h old"
    assert redirected_to_login(client.get("/pos"))
    assert "ลงชื่อเข้าใช้ครบ 14 ชั่วโมง" in client.get("/login").get_data(as_text=True), "the cashier is told why"


def test_session_cookie_is_secure_when_the_base_url_is_https(app_config, monkeypatch, make_user):
    """With GREENMARKET_BASE_URL=https://... the session, language and known-device cookies are Secure; on the LAN's
    http they are not."""
    config = {key: value for key, value in app_config.items() if key != "GREENMARKET_BASE_URL"}
    make_user("admin", "somchai")
    for base_url, secure in (("https://market.example", True), ("http://192.168.1.10:5000", False)):
        monkeypatch.setenv("GREENMARKET_BASE_URL", base_url)
        client = create_app(config).test_client()
        cookies = (sign_in_through_the_form(client, "somchai").headers.getlist("Set-Cookie")
                   + client.get("/language/en?next=/").headers.getlist("Set-Cookie"))
        assert {cookie.split("=")[0] for cookie in cookies} == {"session", "lang", "known_device"}
        for cookie in cookies:
            assert ("; Secure" in cookie) is secure, (base_url, cookie)


# Accounts -----------------------------------------------------------------------------------


def test_account_form_refuses_a_short_password(client, world):
    """Through the account pages a new or changed password under 8 characters is refused in Thai and nothing
    is saved; exactly 8 characters are taken."""
    assert accounts.MIN_PASSWORD_LENGTH == 8
    sign_in(client, world["council"])
    kaew = world["user"]
    for url, form in (("/users/new", {"username": "somsak", "role": "inspector", "password": "1234567"}),
                      (f"/users/{kaew.id}/edit", {"role": "cashier", "is_active": "1", "password": "1234567"})):
        before = database_rows()
        response = client.post(url, data=form)
        assert response.status_code == 400, url
        assert "ใช้อย่างน้อย 8 ตัวอักษร" in response.get_data(as_text=True)
        assert database_rows() == before, url
    assert client.post("/users/new", data={"username": "somsak", "role": "inspector",
                                           "password": "kaew2569"}).status_code == 302
    assert client.post(f"/users/{kaew.id}/edit", data={"role": "cashier", "is_active": "1",
                                                        "password": "mango#77"}).status_code == 302
    assert accounts.check_password(User.get(User.username == "somsak"), "kaew2569")
    assert accounts.check_password(User.get_by_id(kaew.id), "mango#77")


def test_sign_in_brake_lifts_after_its_wait(client, make_user):
    """Five failures make the next try wait a minute: 50 seconds after them it is still braked, 61 seconds after
    them the right password works."""
    make_user("admin", "somchai")
    for _ in range(accounts.FREE_FAILURES_PER_PAIR):
        client.post("/login", data={"username": "somchai", "password": "guess-again"})
    for seconds, status in ((50, 429), (61, 302)):
        LoginAttempt.update(at=utcnow() - datetime.timedelta(seconds=seconds)).execute()
        assert client.post("/login", data={"username": "somchai", "password": PASSWORD}).status_code == status


def test_api_tokens_are_256_random_bits_kept_as_sha256(make_user):
    """A token carries 256 bits; two tokens differ; the database keeps only the token's SHA-256."""
    user = make_user("cashier")
    first, second = accounts.create_token(user), accounts.create_token(user)
    assert first != second
    assert len(base64.urlsafe_b64decode(first + "=" * (-len(first) % 4))) == 32
    stored = {row.token_hash for row in ApiToken.select()}
    assert stored == {hashlib.sha256(token.encode()).hexdigest() for token in (first, second)}


def test_revoking_tokens_stops_only_that_accounts_tokens(client, make_user):
    """accounts.revoke_tokens ends every token of the account it names and no colleague's."""
    kaew, ploy = make_user("cashier", "kaew"), make_user("cashier", "ploy")
    kaew_tokens = [accounts.create_token(kaew) for _ in range(2)]
    ploy_token = accounts.create_token(ploy)
    assert accounts.revoke_tokens(kaew) == 2
    for token in kaew_tokens:
        assert client.get("/api/v1/products", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert client.get("/api/v1/products", headers={"Authorization": f"Bearer {ploy_token}"}).status_code == 200
