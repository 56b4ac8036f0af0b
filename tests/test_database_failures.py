"""Database failures are told apart by the drivers' error codes (core.db.database_failure), not by message text."""
import contextlib
import sqlite3

import psycopg2
import pytest
from peewee import SqliteDatabase

from core.db import database_failure, db, is_sqlite

from tests.support import TEST_DATABASE_URL


def _raised(database, sql):
    """The exception peewee raises for `sql`, as the app's error handler receives it."""
    with pytest.raises(Exception) as raised:
        database.execute_sql(sql)
    return raised.value


def test_a_read_only_sqlite_database_is_storage(tmp_path):
    """PRAGMA query_only answers SQLITE_READONLY; peewee's wrapper keeps the code reachable."""
    database = SqliteDatabase(str(tmp_path / "market.db"))
    database.execute_sql("CREATE TABLE sale (id INTEGER PRIMARY KEY)")
    database.execute_sql("PRAGMA query_only = 1")
    assert database_failure(_raised(database, "INSERT INTO sale DEFAULT VALUES")) == "storage"


def test_a_full_sqlite_database_is_storage(tmp_path):
    """max_page_count reached is SQLITE_FULL, as a full disk is."""
    database = SqliteDatabase(str(tmp_path / "market.db"))
    database.execute_sql("CREATE TABLE note (text TEXT)")
    pages = database.execute_sql("PRAGMA page_count").fetchone()[0]
    database.execute_sql(f"PRAGMA max_page_count = {pages}")
    assert database_failure(_raised(database, "INSERT INTO note VALUES (zeroblob(100000))")) == "storage"


def test_a_sqlite_file_that_cannot_be_opened_is_unreachable(tmp_path):
    """A database whose folder is gone is SQLITE_CANTOPEN."""
    database = SqliteDatabase(str(tmp_path / "gone" / "market.db"))
    with pytest.raises(Exception) as raised:
        database.connect()
    assert database_failure(raised.value) == "unreachable"


def test_other_sqlite_errors_are_neither(tmp_path):
    """A mistake in a query is not a storage or connection failure: the app answers it with a 500."""
    database = SqliteDatabase(str(tmp_path / "market.db"))
    assert database_failure(_raised(database, "SELECT * FROM no_such_table")) is None
    assert database_failure(sqlite3.OperationalError("database or disk is full")) is None, "words alone are not a code"


def test_a_postgresql_server_that_refuses_connections_is_unreachable():
    """libpq's own failure to connect carries no SQLSTATE; it is still a lost database."""
    with pytest.raises(psycopg2.OperationalError) as raised:
        psycopg2.connect("host=127.0.0.1 port=9 dbname=nothing connect_timeout=2")
    assert database_failure(raised.value) == "unreachable"


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs PostgreSQL (TEST_DATABASE_URL)")
def test_postgresql_read_only_transaction_and_terminated_connection(app):
    """SQLSTATE 25006 is storage; a connection its server ended (57P01, or libpq's lost connection) is unreachable."""
    assert not is_sqlite()
    with db.connection_context():
        db.execute_sql("SET default_transaction_read_only = on")
        assert database_failure(_raised(db, "CREATE TABLE scratch (id integer)")) == "storage"
        db.execute_sql("ROLLBACK")
        pid = db.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
        with contextlib.closing(psycopg2.connect(TEST_DATABASE_URL)) as other, other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", (pid,))
        assert database_failure(_raised(db, "SELECT 1")) == "unreachable"
    db.close()
