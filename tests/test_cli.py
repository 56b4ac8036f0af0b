"""The command line (`python run.py ...`), run as a real subprocess against the test database.

On SQLite each test has its own file; with TEST_DATABASE_URL the `database_url` fixture wipes the
PostgreSQL database first and the commands run on it.
"""
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys

import pytest

from core import accounts, create_app, households
from core.db import SchemaVersion, db
from core.demo import HOUSEHOLD_COUNT, OCCUPATION_GROUPS, PRODUCTS
from core.models import ApiToken, Household, HouseholdOccupation, OccupationGroup, Plot, Product, User

from tests.support import PASSWORD

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def run_cli(database_url, tmp_path):
    """Run `python run.py ARGS` on the test database; returns the CompletedProcess."""
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY="test-secret-key-of-at-least-32-bytes")

    def run(*args, input=None, extra_env=None):
        return subprocess.run(
            [sys.executable, "run.py", *args],
            cwd=ROOT, env=dict(env, **(extra_env or {})), input=input,
            capture_output=True, text=True, timeout=120,
        )

    return run


@pytest.fixture
def open_app(app_config):
    """Build the app on the test database only when the test asks, after the CLI has run."""

    def make():
        return create_app(app_config)

    yield make
    if not db.is_closed():
        db.close()


def _is_sqlite(url):
    return url.startswith("sqlite")


def _sqlite_path(url):
    return url[len("sqlite:///"):]


def test_help_lists_every_command(run_cli):
    """`--help` names init-db, create-user, create-token, demo, backup and serve."""
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("init-db", "create-user", "create-token", "demo", "backup", "serve"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.M), command
    assert "--password-stdin" in run_cli("create-user", "--help").stdout


def test_init_db_creates_the_schema_and_keeps_data_when_run_again(run_cli, open_app):
    """init-db on an empty database creates every table; run again, it keeps what is there."""
    first = run_cli("init-db")
    assert first.returncode == 0, first.stderr
    assert "Schema is up to date" in first.stdout
    open_app()
    households.create_household({"code": "KH-01-001", "head_name": "สมศรี ทองคำ", "village_no": "1"}, None)
    db.close()
    again = run_cli("init-db")
    assert again.returncode == 0, again.stderr
    assert [h.code for h in Household.select()] == ["KH-01-001"]


def test_commands_refuse_a_database_newer_than_the_program(run_cli, app):
    """On a database upgraded by a newer program, commands stop with a message instead of a traceback."""
    SchemaVersion.update(version=99).where(SchemaVersion.domain == "core").execute()
    result = run_cli("init-db")
    assert result.returncode == 1
    assert "version 99" in result.stderr
    assert "Traceback" not in result.stderr
    assert SchemaVersion.get(SchemaVersion.domain == "core").version == 99


def test_create_user_reads_the_password_from_stdin(run_cli, open_app):
    """create-user NAME --role admin --password-stdin makes an account that can sign in."""
    result = run_cli("create-user", "somchai", "--role", "admin", "--full-name", "สมชาย ใจดี",
                     "--password-stdin", input=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Created somchai (admin)."
    app = open_app()
    user = User.get(User.username == "somchai")
    assert (user.role, user.full_name, user.is_active) == ("admin", "สมชาย ใจดี", True)
    assert accounts.check_password(user, PASSWORD)
    assert not accounts.check_password(user, PASSWORD + "\n")
    client = app.test_client()
    assert client.post("/login", data={"username": "somchai", "password": PASSWORD}).status_code == 302
    assert client.get("/users").status_code == 200  # signed in as an admin


@pytest.mark.parametrize(
    "args, password, message",
    [
        (["--role", "admin"], "short", "8"),
        (["--role", "admin"], "", "Not created"),
        (["--role", "boss"], PASSWORD, "--role"),
        ([], PASSWORD, "--role"),
    ],
    ids=["short-password", "empty-password", "unknown-role", "no-role"],
)
def test_create_user_with_bad_input_fails_and_writes_nothing(run_cli, open_app, args, password, message):
    """A too-short or empty password, or a bad or missing role, exits non-zero with a message and no account."""
    result = run_cli("create-user", "somchai", *args, "--password-stdin", input=password + "\n")
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    open_app()
    assert User.select().count() == 0


def test_create_user_refuses_a_taken_username(run_cli, app, make_user):
    """A second account with an existing username is refused and the first is left alone."""
    existing = make_user("cashier", "somchai")
    result = run_cli("create-user", "somchai", "--role", "admin", "--password-stdin", input=PASSWORD + "\n")
    assert result.returncode == 1
    assert "Not created" in result.stderr
    assert [(u.id, u.role) for u in User.select()] == [(existing.id, "cashier")]


def test_create_token_prints_only_a_working_token(run_cli, client, make_user):
    """create-token NAME prints one line, the token, which works as a Bearer token on the API."""
    make_user("cashier", "counter1")
    result = run_cli("create-token", "counter1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    token = lines[0]
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", token)
    assert ApiToken.select().count() == 1
    response = client.get("/api/v1/products", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.is_json
    assert client.get("/api/v1/products", headers={"Authorization": "Bearer not-" + token}).status_code == 401


@pytest.mark.parametrize("username", ["nobody", "retired"])
def test_create_token_refuses_unknown_or_inactive_accounts(run_cli, app, make_user, username):
    """No token is made for a missing or deactivated account; nothing goes to standard output."""
    make_user("cashier", "retired", is_active="")
    result = run_cli("create-token", username)
    assert result.returncode == 1
    assert result.stdout == ""
    assert username in result.stderr
    assert ApiToken.select().count() == 0


def _counts():
    return {
        "households": Household.select().count(),
        "villages": Household.select(Household.village_no).distinct().count(),
        "groups": OccupationGroup.select().count(),
        "memberships": HouseholdOccupation.select().count(),
        "plots": Plot.select().count(),
        "products": Product.select().count(),
        "users": User.select().count(),
    }


def test_demo_fills_the_database_once(run_cli, app):
    """demo adds about 40 households in several villages, the 5 groups, plots and products; run
    twice it adds nothing more."""
    first = run_cli("demo")
    assert first.returncode == 0, first.stderr
    assert "households 40" in first.stdout
    counts = _counts()
    assert counts["households"] == HOUSEHOLD_COUNT
    assert counts["villages"] >= 5
    assert counts["groups"] == 5
    assert counts["products"] == len(PRODUCTS)
    assert counts["plots"] >= 20
    assert sorted(g.name_th for g in OccupationGroup.select()) == sorted(name for name, _, _ in OCCUPATION_GROUPS)
    for group in households.occupation_groups_with_counts():
        assert group.household_count > 0, group.name_th
    assert Household.select().where(Household.grower_status == "active").count() >= 10

    second = run_cli("demo")
    assert second.returncode == 0, second.stderr
    assert "households 0" in second.stdout
    assert _counts() == counts


def test_demo_uses_its_own_groups_beside_the_councils(run_cli, app):
    """A group the council made before the demo keeps no demo households; the five demo groups get them."""
    bakers = households.save_occupation_group({"name_th": "กลุ่มทำขนม"}, None)
    result = run_cli("demo")
    assert result.returncode == 0, result.stderr
    assert OccupationGroup.select().count() == 6
    assert HouseholdOccupation.select().where(HouseholdOccupation.group == bakers).count() == 0
    solar = OccupationGroup.get(OccupationGroup.name_th == OCCUPATION_GROUPS[-1][0])
    assert HouseholdOccupation.select().where(HouseholdOccupation.group == solar).count() > 0


def _add_households(count):
    for n in range(1, count + 1):
        households.create_household({"code": f"KH-01-{n:03d}", "head_name": f"ผู้ปลูก {n}", "village_no": "1"}, None)


def test_backup_writes_a_consistent_sqlite_copy_while_in_wal_mode(run_cli, app, database_url, tmp_path):
    """backup FILE copies the live SQLite database, including what is still only in the WAL."""
    if not _is_sqlite(database_url):
        pytest.skip("SQLite online backup; the PostgreSQL backup has its own test")
    _add_households(12)  # this test's connection stays open, so the WAL is not checkpointed
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    wal = _sqlite_path(database_url) + "-wal"
    assert os.path.getsize(wal) > 0
    target = tmp_path / "backup.db"
    result = run_cli("backup", str(target))
    assert result.returncode == 0, result.stderr
    assert str(target) in result.stdout
    copy = sqlite3.connect(target)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        codes = [code for (code,) in copy.execute("SELECT code FROM household ORDER BY code")]
    finally:
        copy.close()
    assert codes == [f"KH-01-{n:03d}" for n in range(1, 13)]


def test_backup_on_postgresql_writes_a_pg_dump_archive(run_cli, app, database_url, tmp_path):
    """On PostgreSQL, backup FILE writes a pg_dump archive holding the households."""
    if _is_sqlite(database_url):
        pytest.skip("runs only with TEST_DATABASE_URL on PostgreSQL")
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump and pg_restore are not on PATH (install postgresql-client)")
    _add_households(3)
    target = tmp_path / "backup.dump"
    result = run_cli("backup", str(target))
    assert result.returncode == 0, result.stderr
    assert target.read_bytes().startswith(b"PGDMP")
    restored = subprocess.run(
        ["pg_restore", "--data-only", "--table=household", "--file=-", str(target)],
        capture_output=True, text=True, check=True,
    ).stdout
    assert all(f"KH-01-{n:03d}" in restored for n in range(1, 4))


def test_backup_never_overwrites_an_existing_file(run_cli, app, tmp_path):
    """backup refuses a file name that exists, exits non-zero and leaves that file as it was."""
    _add_households(1)
    target = tmp_path / "precious.db"
    target.write_bytes(b"last month's backup")
    before = hashlib.sha256(target.read_bytes()).hexdigest()
    result = run_cli("backup", str(target))
    assert result.returncode == 1
    assert "precious.db" in result.stderr
    assert hashlib.sha256(target.read_bytes()).hexdigest() == before


def test_backup_to_a_missing_folder_fails_cleanly(run_cli, app, tmp_path):
    """A backup into a folder that does not exist gives a message, not a traceback, and no file."""
    target = tmp_path / "no-such-folder" / "backup.db"
    result = run_cli("backup", str(target))
    assert result.returncode == 1
    assert "no-such-folder" in result.stderr
    assert "Traceback" not in result.stderr
    assert not target.exists()


def test_backup_without_pg_dump_says_what_to_install(run_cli, app, database_url, tmp_path):
    """On PostgreSQL without pg_dump on PATH, backup says to install the client tools and leaves no file."""
    if _is_sqlite(database_url):
        pytest.skip("pg_dump is used only on PostgreSQL")
    target = tmp_path / "backup.dump"
    result = run_cli("backup", str(target), extra_env={"PATH": str(tmp_path)})
    assert result.returncode == 1
    assert "pg_dump" in result.stderr and "postgresql-client" in result.stderr
    assert "Traceback" not in result.stderr
    assert not target.exists()


def _household_codes(app):
    with app.app_context(), db.connection_context():
        return [h.code for h in Household.select().order_by(Household.code)]


def test_restore_refuses_to_overwrite_without_force_then_brings_the_backup_back(run_cli, app, database_url, tmp_path):
    """backup, change the data, restore: refused without --force; with it, the data equals the backup."""
    if not _is_sqlite(database_url) and (shutil.which("pg_dump") is None or shutil.which("pg_restore") is None):
        pytest.skip("pg_dump and pg_restore are not on PATH (install postgresql-client)")
    _add_households(3)
    target = tmp_path / ("backup.db" if _is_sqlite(database_url) else "backup.dump")
    assert run_cli("backup", str(target)).returncode == 0
    households.create_household({"code": "KH-09-999", "head_name": "หลังสำรอง", "village_no": "9"}, None)
    db.close()
    refused = run_cli("restore", str(target))
    assert refused.returncode == 1 and "--force" in refused.stderr
    assert "KH-09-999" in _household_codes(app)
    restored = run_cli("restore", str(target), "--force")
    assert restored.returncode == 0, restored.stderr
    assert _household_codes(app) == ["KH-01-001", "KH-01-002", "KH-01-003"]
    if _is_sqlite(database_url):
        check = sqlite3.connect(_sqlite_path(database_url))
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        check.close()


def test_restore_refuses_a_file_that_is_not_a_backup(run_cli, app, database_url, tmp_path):
    if not _is_sqlite(database_url):
        pytest.skip("the SQLite checks; pg_restore judges its own archives")
    _add_households(1)
    db.close()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    result = run_cli("restore", str(junk), "--force")
    assert result.returncode == 1 and "junk.db" in result.stderr
    assert _household_codes(app) == ["KH-01-001"]


def test_revoke_tokens_stops_every_token_of_an_account(run_cli, app, client):
    """A lost counter tablet: revoke-tokens NAME and its tokens answer 401 from then on."""
    user = accounts.create_user({"username": "kaew", "role": "cashier", "password": PASSWORD})
    tokens = [accounts.create_token(user) for _ in range(2)]
    db.close()
    for token in tokens:
        assert client.get("/api/v1/products", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    result = run_cli("revoke-tokens", "kaew")
    assert result.returncode == 0 and "2 token(s)" in result.stdout
    for token in tokens:
        assert client.get("/api/v1/products", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert run_cli("revoke-tokens", "nobody").returncode == 1


def test_backup_while_counters_sell_is_a_consistent_snapshot(run_cli, app, database_url, tmp_path, certified_household):
    """Sales keep being written during `backup`; restored, the copy has every sale with its line and the stock adds up."""
    import threading
    import uuid

    from market import sales
    from market.models import Sale, SaleLine
    from traceability import batches
    from traceability.models import Batch

    if not _is_sqlite(database_url) and (shutil.which("pg_dump") is None or shutil.which("pg_restore") is None):
        pytest.skip("pg_dump and pg_restore are not on PATH (install postgresql-client)")
    setup = certified_household
    batch = batches.create_batch({"household_id": setup["household"].id, "product_id": setup["product"].id,
                                  "plot_id": setup["plot"].id, "harvest_date": "2026-11-01", "quantity": "5000"},
                                 setup["committee"])
    day = sales.open_market_day({"counter": "A", "opening_float": "0"}, setup["committee"])
    db.close()
    stop = threading.Event()
    written = []

    def counter():
        with app.test_request_context(), db.connection_context():
            while not stop.is_set():
                sale, _created = sales.record_sale({
                    "client_id": str(uuid.uuid4()), "market_day_id": day.id,
                    "lines": [{"batch_code": batch.code, "quantity": "0.5"}], "payment": {"method": "cash"}},
                    setup["committee"], "http://market.test")
                written.append(sale.client_id)

    threads = [threading.Thread(target=counter) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        target = tmp_path / ("during-sales.db" if _is_sqlite(database_url) else "during-sales.dump")
        result = run_cli("backup", str(target))
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert result.returncode == 0, result.stderr
    assert written, "sales were being written"
    db.close()
    restored = run_cli("restore", str(target), "--force")
    assert restored.returncode == 0, restored.stderr
    with app.app_context(), db.connection_context():
        kept = [sale.client_id for sale in Sale.select()]
        lines = SaleLine.select().count()
        sold = Batch.get(Batch.code == batch.code).sold_milli
    assert kept and set(kept) <= set(written), "the copy holds sales that were really made"
    assert len(kept) == lines, "no sale without its line, no line without its sale"
    assert sold == 500 * lines, "the stock in the copy matches the sales in the copy"
    if _is_sqlite(database_url):
        check = sqlite3.connect(_sqlite_path(database_url))
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        check.close()
