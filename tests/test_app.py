"""The app as a whole: security headers, cookies, CSRF, error pages, configuration, layering."""
import ast
import os
import pathlib
import re

import pytest

from core import create_app
from core.config import ENVIRONMENT_VARIABLES
from core.models import Household
from core.validation import local_today
from greenmarket import DOMAINS

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_schema_is_created_on_first_start(app):
    """A new database gets every table at once; the app answers straight away."""
    assert Household.table_exists()


def test_pages_send_security_headers(client):
    """Every answer carries a CSP allowing only this site, plus the usual hardening headers."""
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert not re.search(r"https?://", csp), "no third-party origin may be allowed"
    assert "'unsafe-inline'" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_session_cookie_is_httponly_and_samesite(client, make_user):
    """The session cookie cannot be read by scripts and is not sent by other sites' forms."""
    make_user("admin", "somchai")
    response = client.post(
        "/login", data={"username": "somchai", "password": "correct-horse-battery"}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_forms_without_csrf_token_are_refused(app_config, make_user, household_data):
    """With CSRF on (as in production), a form posted without its token gets a 400 and writes nothing."""
    app = create_app(dict(app_config, WTF_CSRF_ENABLED=True))
    client = app.test_client()
    with app.test_request_context():
        make_user("admin", "somchai")
    login = client.post("/login", data={"username": "somchai", "password": "correct-horse-battery"})
    assert login.status_code == 400
    assert "แบบฟอร์มหมดอายุ" in login.get_data(as_text=True)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    login = client.post(
        "/login",
        data={"username": "somchai", "password": "correct-horse-battery", "csrf_token": token},
    )
    assert login.status_code == 302
    response = client.post("/households/new", data=household_data)
    assert response.status_code == 400
    with app.test_request_context():
        assert Household.select().count() == 0


def test_unknown_page_is_a_thai_404(client):
    """A wrong address gives a 404 page in Thai, not a stack trace."""
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "ไม่พบหน้านี้" in response.get_data(as_text=True)


def test_wrong_method_is_a_405_page(client):
    """Signing out by GET (it must be a POST) is refused politely."""
    response = client.get("/logout")
    assert response.status_code == 405


def test_too_large_upload_is_a_413(client, auth):
    """An upload past the limit is refused with a message, before the app reads it."""
    auth.login("admin")
    big = b"x" * (6 * 1024 * 1024)
    response = client.post(
        "/households/import",
        data={"file": (__import__("io").BytesIO(big), "big.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "ไฟล์ใหญ่เกินไป" in response.get_data(as_text=True)


def test_language_switch_is_remembered(client, auth):
    """Choosing English sets a cookie; later pages are English; Thai is the default."""
    auth.login("admin")
    assert "ครัวเรือน" in client.get("/").get_data(as_text=True)
    response = client.get("/language/en?next=/households")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/households")
    page = client.get("/households").get_data(as_text=True)
    assert "Households" in page and 'lang="en"' in page
    assert client.get("/language/fr").status_code == 404


def test_language_switch_never_redirects_off_site(client):
    """The `next` of the language switch cannot send people to another site."""
    for target in ("//evil.example/", "http://evil.example/", "https://evil.example"):
        response = client.get("/language/en", query_string={"next": target})
        assert "evil.example" not in response.headers["Location"]


def test_secret_key_is_generated_once_and_kept(tmp_path, database_url, monkeypatch):
    """Without SECRET_KEY the app makes one under instance/ and reuses it on the next start."""
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = {"DATABASE_URL": database_url, "INSTANCE_PATH": str(tmp_path / "inst")}
    first = create_app(config).config["SECRET_KEY"]
    second = create_app(config).config["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert oct(os.stat(tmp_path / "inst" / "secret_key").st_mode & 0o777) == "0o600"


def test_every_environment_variable_is_documented():
    """Each setting read from the environment is explained in README.md."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ENVIRONMENT_VARIABLES:
        assert f"`{name}`" in readme, f"{name} is not documented in README.md"
    source = (ROOT / "core" / "config.py").read_text(encoding="utf-8")
    read = set(re.findall(r'environ(?:\.get)?\(\s*"([A-Z_]+)"', source)) | set(
        re.findall(r'environ\["([A-Z_]+)"\]', source)
    )
    assert read <= set(ENVIRONMENT_VARIABLES)


LAYERS = ["core", *DOMAINS]


@pytest.mark.parametrize("package", LAYERS)
def test_imports_go_one_way(package):
    """reports → market → traceability → certificates → core: no package imports one above it."""
    above = set(LAYERS[LAYERS.index(package) + 1:])
    folder = ROOT / package
    if not folder.exists():
        pytest.skip(f"{package}/ does not exist yet")
    for path in folder.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in above, f"{path.relative_to(ROOT)} imports {name}"


def _layer_of_template(path):
    """A template's layer is its folder under templates/; the shared ones at the top belong to core."""
    parts = path.relative_to(ROOT / "templates").parts
    return parts[0] if len(parts) > 1 and parts[0] in LAYERS else "core"


ENDPOINT = re.compile(r"""url_for\(\s*['"]([a-z_]+)\.""")
TEMPLATE_NAME = re.compile(r"""['"]([a-z_]+)/[\w/]+\.html['"]""")


def test_templates_and_views_name_no_higher_layer(app):
    """No template or module of a lower layer names a page (endpoint) or template of a higher one:
    it links by purpose through core.hooks, and a domain offers the page in its init_app."""
    blueprint_layer = {name: blueprint.import_name.split(".")[0] for name, blueprint in app.blueprints.items()}
    places = [(path, _layer_of_template(path)) for path in (ROOT / "templates").rglob("*.html")]
    places += [(path, package) for package in LAYERS for path in (ROOT / package).rglob("*.py")]
    found = []
    for path, layer in places:
        above = set(LAYERS[LAYERS.index(layer) + 1:])
        text = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(ROOT)} names {name}." for name in ENDPOINT.findall(text)
                  if blueprint_layer.get(name) in above]
        found += [f"{path.relative_to(ROOT)} names {name}/" for name in TEMPLATE_NAME.findall(text) if name in above]
    assert found == []


def test_core_runs_alone_and_its_pages_offer_no_link_to_a_missing_domain(app_config, tmp_path):
    """An app of core without any domain serves the household pages, without a link to batches or impact."""
    alone = create_app(dict(app_config, INSTANCE_PATH=str(tmp_path / "alone")), domains=())
    assert "traceability" not in alone.blueprints and "market" not in alone.blueprints
    client = alone.test_client()
    with alone.app_context():
        from core import accounts, households

        admin = accounts.create_user({"username": "admin1", "role": "admin", "password": "correct-horse-battery"})
        household = households.create_household({"code": "KH-0301", "head_name": "สมใจ ใจดี", "village_no": "3", "grower_status": "active",
                                                 "pledge_date": local_today().isoformat()}, admin)
    client.post("/login", data={"username": "admin1", "password": "correct-horse-battery"})
    for page in (f"/households/{household.id}", f"/households/{household.id}/surveys"):
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.get_data(as_text=True)
        assert "/batches" not in html and "/impact" not in html


def test_a_domain_links_core_pages_to_its_own(client, auth):
    """With every domain, the household page links to its batches and the surveys page to the impact."""
    auth.login("admin")
    from core import households
    from core.models import User

    with client.application.app_context():
        household = households.create_household({"code": "KH-0301", "head_name": "สมใจ ใจดี", "village_no": "3", "grower_status": "active",
                                                 "pledge_date": local_today().isoformat()}, User.get())
    detail = client.get(f"/households/{household.id}").get_data(as_text=True)
    assert f'href="/batches?household={household.id}"' in detail
    assert f'href="/batches/new?household_id={household.id}"' in detail
    surveys = client.get(f"/households/{household.id}/surveys").get_data(as_text=True)
    assert f"/market/impact/households/{household.id}" in surveys


def test_no_third_party_code_or_cdn_in_static_and_templates():
    """Pages load nothing from other hosts: the market may be offline."""
    for path in list((ROOT / "templates").rglob("*.html")) + list((ROOT / "static").rglob("*")):
        if path.is_file() and path.suffix in (".html", ".css", ".js"):
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"(src|href)=\"https?://", text), path
            assert "@import url(http" not in text, path
