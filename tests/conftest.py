"""Shared fixtures: a fresh app and database per test, a client, and signed-in users per role.

Every test gets its own SQLite file under tmp_path. With TEST_DATABASE_URL set (CI does it with
postgresql:///gm_test) the tests run on PostgreSQL instead, each on a database made anew for it
beside that one (gm_test_gw0, gm_test_gw1, ... one per pytest-xdist worker; gm_test_main without
xdist). A test that uses the app starts from a copy of the current schema, built once per run
from the code (never kept between runs: the next run may have new tables or migration steps).
"""
import contextlib
import datetime
import faulthandler
import fcntl
import glob
import json
import os
import pickle
import shutil
import sqlite3
import tempfile
import threading
import time

import jinja2
import psycopg2
import pytest
from flask import Flask
from playhouse.db_url import parse
from psycopg2 import sql
from werkzeug.routing import Rule

from core import accounts, create_app
from core.db import close_connections, db
from core.i18n import compile_catalogs

from tests.support import PASSWORD, TEST_DATABASE_URL, AnswerCheck, pgs_peers

# argon2id at its smallest cost: a test that makes a user spends microseconds, not 50 ms of CPU
# and 64 MiB. test_accounts checks the production cost on its own app.
CHEAP_PASSWORD_HASH = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
# Fixtures that build the app on the test's database: a test using one of them starts from the schema copy.
SCHEMA_FIXTURES = ("app", "live_server")


@pytest.hookimpl(trylast=True)  # after pytest's own faulthandler set-up, which a worker's fault log replaces
def pytest_configure(config):
    """Run on the market's clock: Thailand (UTC+7), the day core.validation.local_today() means.

    A test that writes datetime.date.today() then agrees with the app at every hour, also between
    17:00 and 24:00 UTC, when the server's UTC date is still yesterday in Songkhla. Servers and
    Chromium started by the tests inherit it.
    """
    os.environ["TZ"] = "Asia/Bangkok"
    time.tzset()
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        config.stash[FAULT_LOG] = open(fault_log(os.getppid(), worker), "w")  # noqa: SIM115 - open until the worker ends
        faulthandler.enable(file=config.stash[FAULT_LOG], all_threads=True)


FAULT_LOG = pytest.StashKey()


def fault_log(controller_pid, worker):
    """Where a pytest-xdist worker of the run `controller_pid` writes the threads' stacks if it crashes."""
    return os.path.join(tempfile.gettempdir(), f"greenmarket-tests-{controller_pid}-{worker}.faults")


CRASHES = pytest.StashKey()


def pytest_handlecrashitem(crashitem, report, sched):
    """A test whose worker crashed runs once more on a fresh worker; its report carries the crash.

    The report gets what the worker's fault log holds (each thread's stack at the crash), which CI
    would otherwise lose among the progress dots. A crash the test itself causes happens again on
    the second run and fails it; one that passes the second time is listed in the summary with
    its stacks, never silently dropped.
    """
    path = fault_log(os.getpid(), report.node.gateway.id)
    try:
        with open(path) as log:
            stacks = log.read().strip()
    except OSError:
        stacks = ""
    report.longrepr = f"{report.longrepr}\n" + (
        stacks or "No stack was written: the worker was killed by a signal Python cannot catch "
                  "(SIGKILL, as from the out-of-memory killer), or exited on its own.")
    crashes = report.node.config.stash.setdefault(CRASHES, {})
    if crashitem not in crashes:
        crashes[crashitem] = str(report.longrepr)
        report.outcome = "rerun"
        sched.mark_test_pending(crashitem)


def pytest_unconfigure(config):
    """The run's fault logs go with it (each worker leaves one, empty unless it crashed)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        for path in glob.glob(fault_log(os.getpid(), "*")):
            os.remove(path)


def pytest_report_teststatus(report, config):
    if report.outcome == "rerun":
        return "rerun", "R", ("RERUN", {"yellow": True})
    return None


def pytest_terminal_summary(terminalreporter, config):
    """List the crashes that a second run passed (see pytest_handlecrashitem)."""
    for item, crash in config.stash.get(CRASHES, {}).items():
        terminalreporter.write_sep("=", f"a worker crashed running {item}, which was run again on a fresh worker", yellow=True)
        terminalreporter.write_line(crash)


def _test_config(database_url, instance_path):
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(instance_path),
        "SECRET_KEY": "test-secret-key-of-at-least-32-bytes",
        "WTF_CSRF_ENABLED": False,
        "GREENMARKET_BASE_URL": "http://market.test",
        "PASSWORD_HASH_PARAMETERS": CHEAP_PASSWORD_HASH,
    }


def _build_schema(database_url, instance_path):
    """Create the current tables on an empty database, as the app does on its first start."""
    create_app(_test_config(database_url, instance_path))
    close_connections()


# One line per column, constraint and index of the public schema: a test that changed the schema
# (a migration test dropping a column, a restore) makes the database be copied anew from the template.
SCHEMA_FINGERPRINT = """
SELECT md5(coalesce(string_agg(item, E'\\n' ORDER BY item), '')) FROM (
    SELECT format('%s.%s %s %s %s', c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                  a.attnotnull, pg_get_expr(d.adbin, d.adrelid)) AS item
    FROM pg_class c
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
    WHERE c.relnamespace = 'public'::regnamespace
    UNION ALL SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
    WHERE connamespace = 'public'::regnamespace
    UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
) AS items
"""


class PostgresqlDatabases:
    """This worker's databases beside TEST_DATABASE_URL's: one with the schema, one empty, and the schema's template.

    Copying a database (CREATE DATABASE ... TEMPLATE) costs 0.1-3 s on a busy machine, so the
    database with the schema is brought back to the template's state in place (every row deleted,
    the template's rows and sequence values put back, about 10 ms) unless a test changed its schema.
    """

    def __init__(self, url, worker):
        self.url = url
        self.settings = {key: value for key, value in parse(url).items() if key != "database"}
        self.server_database = parse(url)["database"]
        self.name = f"{self.server_database}_{worker}"
        self.empty = f"{self.name}_empty"
        self.template = f"{self.name}_template"
        self.snapshot = None
        self.durable = {}  # database name -> whether its commits wait for the disk

    def url_of(self, name):
        return url_with_database(self.url, name)

    def connect(self, name):
        connection = psycopg2.connect(dbname=name, **self.settings)
        connection.autocommit = True
        return connection

    def recreate(self, name, template=None):
        """Drop `name` (ending any connection a previous test left) and create it empty or as a copy of `template`."""
        with contextlib.closing(self.connect(self.server_database)) as connection, connection.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if template:
                create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
            cursor.execute(create)
        self.durable[name] = True
        return self.url_of(name)

    def build_template(self, build):
        """Make the template with `build(url)`, note its fingerprint, rows and sequences, and copy it for the tests."""
        build(self.recreate(self.template))
        self.snapshot = self.take_snapshot(self.template)
        self.recreate(self.name, self.template)

    def take_snapshot(self, name):
        """The fingerprint of `name`'s schema and one script that puts its rows and sequence values back."""
        with contextlib.closing(self.connect(name)) as connection, connection.cursor() as cursor:
            cursor.execute(SCHEMA_FINGERPRINT)
            fingerprint = cursor.fetchone()[0]
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
            tables = [row[0] for row in cursor.fetchall()]
            restore = ["BEGIN", "SET LOCAL session_replication_role = replica"]  # no foreign-key triggers meanwhile
            restore += [sql.SQL("DELETE FROM {}").format(sql.Identifier(table)).as_string(cursor) for table in tables]
            for table in tables:
                cursor.execute(sql.SQL("SELECT json_agg(t) FROM {} AS t").format(sql.Identifier(table)))
                rows = cursor.fetchone()[0]
                if rows:
                    restore.append(cursor.mogrify(
                        sql.SQL("INSERT INTO {0} SELECT * FROM json_populate_recordset(NULL::{0}, %s)").format(
                            sql.Identifier(table)), (json.dumps(rows),)).decode())
            cursor.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'")
            for name, last_value in cursor.fetchall():
                restore.append(cursor.mogrify("SELECT setval(%s, %s, %s)", (
                    sql.Identifier(name).as_string(cursor), last_value or 1, last_value is not None)).decode())
        # One script, one round trip: delete every row, put the template's rows back, set each sequence.
        return {"fingerprint": fingerprint, "restore": ";\n".join(restore + ["COMMIT"])}

    def restore(self, snapshot, durable=False):
        """Put `snapshot`'s rows back in the database with the schema, in place; False where that cannot be done.

        It cannot when a test changed the schema, or without the superuser's right to set
        session_replication_role.
        """
        with contextlib.closing(self.connect(self.name)) as connection, connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.name,))
            cursor.execute(SCHEMA_FINGERPRINT)
            if cursor.fetchone()[0] == snapshot["fingerprint"]:
                try:
                    cursor.execute(snapshot["restore"])
                    self._wait_for_disk(cursor, self.name, durable)
                    return True
                except psycopg2.errors.InsufficientPrivilege:
                    cursor.execute("ROLLBACK")
        return False

    def reset(self, durable=False):
        """Bring the database with the schema back to the template's state; return its URL.

        Commits wait for the disk only when `durable` (a test that crashes the server and counts
        what survived): elsewhere waiting 15 ms a commit proves nothing, and PostgreSQL still
        keeps every commit in order and all or nothing (synchronous_commit off).
        """
        if self.restore(self.snapshot, durable):
            return self.url_of(self.name)
        self.recreate(self.name, self.template)  # the schema changed, or not a superuser: copy the template
        with contextlib.closing(self.connect(self.name)) as connection, connection.cursor() as cursor:
            self._wait_for_disk(cursor, self.name, durable)
        return self.url_of(self.name)

    def _wait_for_disk(self, cursor, name, durable):
        """Set synchronous_commit for the connections made to `name` from now on (a copy starts with the default)."""
        if self.durable.get(name) == durable:
            return
        self.durable[name] = durable
        setting = sql.SQL("RESET synchronous_commit" if durable else "SET synchronous_commit = off")
        cursor.execute(sql.SQL("ALTER DATABASE {} ").format(sql.Identifier(name)) + setting)

    def wipe_empty(self):
        """The empty database, its schema dropped and made anew; return its URL."""
        try:
            connection = self.connect(self.empty)
        except psycopg2.OperationalError:
            self.recreate(self.empty)
            connection = self.connect(self.empty)
        with contextlib.closing(connection), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.empty,))
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
            self._wait_for_disk(cursor, self.empty, durable=False)
        return self.url_of(self.empty)


def url_with_database(url, name):
    """The same PostgreSQL URL naming another database on the same server."""
    scheme, _, rest = url.partition("://")  # urlunsplit would drop the empty host of postgresql:///db
    host, _, path = rest.partition("/")
    _, question_mark, query = path.partition("?")
    return f"{scheme}://{host}/{name}{question_mark}{query}"


@pytest.fixture(autouse=True)
def no_thread_left_running():
    """Fail a test that leaves a thread of its own running once its fixtures are torn down.

    Such a thread can still use a pooled database connection that the next test's app closes
    under it; that crashed a worker in CI. The threads of Playwright's event loop, which outlive
    every test by design, are not counted.
    """
    before = set(threading.enumerate())
    yield
    left = [thread for thread in threading.enumerate() if thread not in before and not _session_thread(thread)]
    for thread in left:
        thread.join(timeout=5)
    assert not [thread for thread in left if thread.is_alive()], \
        f"threads left running: {[thread.name for thread in left if thread.is_alive()]}"


def _session_thread(thread):
    """Threads of Playwright's event loop (its executor and child watcher), which live for the whole run."""
    return thread.name.startswith(("asyncio_", "waitpid-"))


@pytest.fixture(scope="session", autouse=True)
def shared_url_rules():
    """Parse each URL rule and compile its builder once per worker, not once per test app.

    create_app() spent most of its time on the same ~190 rules: werkzeug's Rule._parse_rule
    (about 26 ms an app) and Rule._compile_builder, which writes and compiles Python code per
    rule (0.14 s an app). Both depend only on the rule's text, the converters and, for the
    builder, the parsed parts and defaults, which make the keys; each app's rule still gets its
    own trace and converter table and binds the shared builder to itself. Converters keep no
    state of their map that they use, so one instance serves every app's rule. Tests only: on a
    werkzeug upgrade check `_parse_rule`, `_compile_builder`, `_trace`, `_converters`.
    """
    parse_rule, compile_builder = Rule._parse_rule, Rule._compile_builder
    parsed, builders = {}, {}

    def parse_once(rule, text):
        key = (text, frozenset(rule.map.converters.items()))
        if key not in parsed:
            trace_before, converters_before = len(rule._trace), set(rule._converters)
            parts = list(parse_rule(rule, text))
            converters = {name: converter for name, converter in rule._converters.items()
                          if name not in converters_before}
            parsed[key] = parts, rule._trace[trace_before:], converters
            return iter(parts)
        parts, trace, converters = parsed[key]
        rule._trace.extend(trace)
        rule._converters.update(converters)
        rule.arguments.update(converters)
        return iter(parts)

    def compile_once(rule, append_unknown=True):
        defaults = rule.defaults or {}
        key = (rule.rule, tuple(rule._trace), append_unknown, tuple(defaults))
        if defaults:
            key += tuple(rule._converters[data].to_url(defaults[data])
                         for is_dynamic, data in rule._trace if is_dynamic and data in defaults)
        if key not in builders:
            builders[key] = compile_builder(rule, append_unknown)
        return builders[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Rule, "_parse_rule", parse_once)
        patch.setattr(Rule, "_compile_builder", compile_once)
        yield


class SharedTemplateCode(jinja2.BytecodeCache):
    """Compiled templates kept in memory for every app of the worker, keyed by name and source checksum."""

    def __init__(self):
        self.code = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


@pytest.fixture(scope="session", autouse=True)
def shared_template_code():
    """Compile each template once per worker: every test app has its own Jinja environment, which
    parsed and compiled each page it rendered anew (about 16 ms a template)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Flask, "jinja_options", dict(Flask.jinja_options, bytecode_cache=SharedTemplateCode()))
        yield


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """Compile the catalogues once, as `python run.py translations` does, so no test app compiles its own."""
    compile_catalogs()


@pytest.fixture(scope="session")
def postgresql_databases():
    """This worker's databases, or None on SQLite."""
    if not TEST_DATABASE_URL:
        return None
    assert TEST_DATABASE_URL.startswith("postgres"), "TEST_DATABASE_URL must be PostgreSQL"
    return PostgresqlDatabases(TEST_DATABASE_URL, os.environ.get("PYTEST_XDIST_WORKER", "main"))


@pytest.fixture(scope="session")
def schema_template(tmp_path_factory, postgresql_databases):
    """The current schema built once per run: a SQLite file to copy, or PostgreSQL's databases set up."""
    instance = tmp_path_factory.mktemp("schema-instance")
    if postgresql_databases:
        postgresql_databases.build_template(lambda url: _build_schema(url, instance))
        return postgresql_databases.template
    path = tmp_path_factory.mktemp("schema") / "greenmarket.db"
    _build_schema(f"sqlite:///{path}", instance)
    assert not os.path.exists(f"{path}-wal"), "the schema template must be complete in its main file"
    return path


@pytest.fixture(autouse=True)
def database_server_turn(request, tmp_path_factory):
    """On PostgreSQL under pytest-xdist, run a test that restarts the database server alone.

    Every other test holds a shared lock on a file all workers see; a test marked
    `restarts_database_server` waits for the exclusive lock, and a turnstile lock keeps the
    shared holders from starving it.
    """
    if not (TEST_DATABASE_URL and os.environ.get("PYTEST_XDIST_WORKER")):
        yield
        return
    folder = tmp_path_factory.getbasetemp().parent  # shared by the workers of one run
    exclusive = request.node.get_closest_marker("restarts_database_server") is not None
    with open(folder / "database-server.turnstile", "a") as turnstile, open(folder / "database-server.lock", "a") as lock:
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        fcntl.flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        fcntl.flock(turnstile, fcntl.LOCK_UN)
        yield


@pytest.fixture
def database_url(request, tmp_path, postgresql_databases):
    """This test's own database: empty, or with the current schema when the test builds the app."""
    with_schema = any(name in request.fixturenames for name in SCHEMA_FIXTURES)
    template = request.getfixturevalue("schema_template") if with_schema else None
    if postgresql_databases:
        if not with_schema:
            return postgresql_databases.wipe_empty()
        return postgresql_databases.reset(durable=request.node.get_closest_marker("restarts_database_server") is not None)
    path = tmp_path / "greenmarket.db"
    if template:
        shutil.copy2(template, path)
    return f"sqlite:///{path}"


class Seed:
    """Records built once per worker on the schema, then put back for each test that starts from them.

    Building test_access's world of records takes about 0.15 s a test; putting the same rows and
    files back takes a few milliseconds: SQLite's backup of the built file, or PostgreSQL's restore
    script. A test still gets the records as fresh objects of its own and its own database.
    """

    def __init__(self, build, instance, database_url, postgresql_databases):
        self.build = build
        self.postgresql_databases = postgresql_databases
        self.instance = instance
        app = create_app(_test_config(database_url, instance))
        made_by_the_app = _files_under(instance)
        self.value = pickle.dumps(build(app))  # a fresh copy per test; loads() is several times faster than deepcopy
        close_connections()
        self.files = sorted(_files_under(instance) - made_by_the_app)
        self.database_url = database_url
        self.snapshot = postgresql_databases.take_snapshot(postgresql_databases.name) if postgresql_databases else None

    def start(self, app):
        """Put the records in `app`'s database and instance folder; return what build() returned, as new objects."""
        close_connections()
        if self.postgresql_databases:
            if not self.postgresql_databases.restore(self.snapshot):
                return self.build(app)  # not a superuser: build the records anew
        else:
            with contextlib.closing(sqlite3.connect(parse(self.database_url)["database"])) as built, \
                    contextlib.closing(sqlite3.connect(parse(app.config["DATABASE_URL"])["database"])) as own:
                built.backup(own)
        for name in self.files:
            target = os.path.join(app.instance_path, name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy2(os.path.join(self.instance, name), target)
        return pickle.loads(self.value)


def _files_under(folder):
    return {os.path.relpath(os.path.join(parent, name), folder)
            for parent, _, names in os.walk(folder) for name in names}


@pytest.fixture(scope="session")
def seed(tmp_path_factory, schema_template, postgresql_databases):
    """seed(build): build(app) run once per worker on a database of its own; `.start(app)` puts it in a test's app.

    It may be called after the test's app is made: the test's app keeps its database.
    """
    seeds = {}

    def make(build):
        if build not in seeds:
            bound = db.obj  # the database of the test app that asked, if it is made already
            if bound is not None:
                close_connections(bound)
            instance = tmp_path_factory.mktemp("seed-instance")
            if postgresql_databases:
                database_url = postgresql_databases.reset()
            else:
                path = tmp_path_factory.mktemp("seed") / "greenmarket.db"
                shutil.copy2(schema_template, path)
                database_url = f"sqlite:///{path}"
            seeds[build] = Seed(build, instance, database_url, postgresql_databases)
            if bound is not None:
                db.initialize(bound)
        return seeds[build]

    return make


@pytest.fixture
def app_config(tmp_path, database_url):
    """Settings for a test app; tests that need CSRF switch it back on."""
    return _test_config(database_url, tmp_path / "instance")


@pytest.fixture
def app(app_config):
    """A fresh app on its own database. No context is held open: each client request gets its
    own, as in production, so nothing cached in `g` (the user, the language) leaks between them."""
    application = create_app(app_config)
    answers = AnswerCheck(application)
    yield application
    close_connections()
    assert not answers.mismatches, "answers unlike their documented schema:\n" + "\n".join(answers.mismatches[:20])


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
    from certificates import certification, inspections, records
    from certificates.models import CertifyingBody, Requirement, Standard
    from certificates.standards import ensure_default_standards
    from core import households, products

    committee = make_user("admin", "committee")
    today = datetime.date.today()
    inspected_on = (today - datetime.timedelta(days=40)).isoformat()
    ensure_default_standards()
    household = households.create_household(household_data, committee)
    plot = households.create_plot(household, {"name": "แปลงริมคลอง", "area_m2": "1600"}, committee)
    records.save_plot_record(plot, {"conversion_start": (today - datetime.timedelta(days=800)).isoformat()}, committee)
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
        "inspectors": pgs_peers(),
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
