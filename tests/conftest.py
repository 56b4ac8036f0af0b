"""Shared fixtures: a fresh app and database per test, a client, and signed-in users per role.

Every test gets its own SQLite file under tmp_path. With TEST_DATABASE_URL set (CI does it with
postgresql:///gm_test) the tests run on that PostgreSQL database instead, wiped before each test.
"""
import datetime

import pytest
from peewee import PostgresqlDatabase
from playhouse.db_url import connect

from core import accounts, create_app
from core.db import db

from tests.support import PASSWORD, TEST_DATABASE_URL


def _wipe_postgresql(url):
    """Empty the shared PostgreSQL test database so each test starts from nothing."""
    database = connect(url)
    assert isinstance(database, PostgresqlDatabase), "TEST_DATABASE_URL must be PostgreSQL"
    with database.connection_context():
        database.execute_sql("DROP SCHEMA public CASCADE")
        database.execute_sql("CREATE SCHEMA public")
    database.close()


@pytest.fixture
def database_url(tmp_path):
    if TEST_DATABASE_URL:
        _wipe_postgresql(TEST_DATABASE_URL)
        return TEST_DATABASE_URL
    return f"sqlite:///{tmp_path / 'greenmarket.db'}"


@pytest.fixture
def app_config(tmp_path, database_url):
    """Settings for a test app; tests that need CSRF switch it back on."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret-key-of-at-least-32-bytes",
        "WTF_CSRF_ENABLED": False,
        "GREENMARKET_BASE_URL": "http://market.test",
    }


@pytest.fixture
def app(app_config):
    """A fresh app on its own database. No context is held open: each client request gets its
    own, as in production, so nothing cached in `g` (the user, the language) leaks between them."""
    application = create_app(app_config)
    yield application
    if not db.is_closed():
        db.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    """Create a staff account: make_user("cashier") or make_user("admin", "somchai")."""

    def make(role, username=None, password=PASSWORD, **extra):
        return accounts.create_user(
            {"username": username or f"{role}1", "role": role, "password": password, **extra}
        )

    return make


class Auth:
    """Sign a test client in and out through the real sign-in form."""

    def __init__(self, client, make_user):
        self.client = client
        self.make_user = make_user

    def login(self, role="admin", username=None):
        user = self.make_user(role, username)
        response = self.client.post(
            "/login", data={"username": user.username, "password": PASSWORD}
        )
        assert response.status_code == 302, response.data
        return user

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client, make_user):
    return Auth(client, make_user)


@pytest.fixture
def token_for(make_user):
    """Make a user of a role and return an Authorization header with their API token."""

    def make(role, username=None):
        user = make_user(role, username)
        return {"Authorization": f"Bearer {accounts.create_token(user)}"}

    return make


@pytest.fixture
def household_data():
    """Valid input for a household, as the form would post it."""
    return {
        "code": "KH-01-001",
        "head_name": "สมศรี ทองคำ",
        "display_name": "สวนป้าศรี",
        "village_no": "1",
        "address": "12 หมู่ที่ 1 ต.คลองแห",
        "phone": "081-234-5678",
        "national_id": "",
        "is_elderly": "1",
        "grower_status": "active",
        "pledge_date": "2024-01-15",
        "notes": "",
        "sensitive_consent": "1",  # the head signed the PDPA consent form with it
    }


@pytest.fixture
def admin_user(make_user):
    """An admin account for calling service functions directly."""
    return make_user("admin", "council")


@pytest.fixture
def certified_household(app, make_user, household_data):
    """A household taken the whole way: PGS inspection by three peers, approval, certificate.

    Returns a dict with household, plot, product, inspection, decision, certificate and the
    committee user who decided.
    """
    from certificates import certification, inspections
    from certificates.models import CertifyingBody, Requirement, Standard
    from certificates.standards import ensure_default_standards
    from core import households, products

    committee = make_user("admin", "committee")
    today = datetime.date.today()
    inspected_on = (today - datetime.timedelta(days=40)).isoformat()
    ensure_default_standards()
    household = households.create_household(household_data, committee)
    plot = households.create_plot(household, {"name": "แปลงริมคลอง", "area_m2": "1600"}, committee)
    product = products.create_product(
        {"name_th": "คะน้า", "name_en": "Chinese kale", "unit": "kg", "category": "vegetable",
         "is_certifiable": True, "default_price": "60"}, committee)
    standard = Standard.get(Standard.code == "PGS-KH")
    body = CertifyingBody.get(CertifyingBody.kind == "pgs")
    inspection = inspections.schedule_inspection(
        household, {"standard_id": standard.id, "body_id": body.id, "scheduled_for": inspected_on}, committee)
    results = {str(r.id): {"result": "pass"} for r in Requirement.select().where(Requirement.standard == standard)}
    inspections.record_inspection(inspection, {
        "inspected_on": inspected_on,
        "inspectors": [{"name": "สมชาย ใจดี"}, {"name": "อารีย์ ศรีสุข"}, {"name": "ฮาซัน หลีเส็น"}],
        "results": results,
        "findings": "แปลงสะอาด มีบันทึกครบ",
    }, committee)
    decision = certification.decide(inspection, {"outcome": "approve"}, committee)
    certificate = certification.issue_certificate(decision, {
        "issued_on": (today - datetime.timedelta(days=30)).isoformat(),
        "valid_until": (today + datetime.timedelta(days=335)).isoformat(),
        "product_ids": [product.id], "plot_ids": [plot.id]}, committee)
    return {"household": household, "plot": plot, "product": product, "inspection": inspection,
            "decision": decision, "certificate": certificate, "committee": committee}
