"""The one database handle, the model base class, and schema migrations.

The database is declared once as a proxy and bound by the app factory from `DATABASE_URL`, so
the same models run on SQLite (the default) and PostgreSQL.
"""
import contextlib
import datetime
import logging
import sqlite3
import threading
import weakref

import psycopg2
from peewee import CharField, DatabaseProxy, DateTimeField, IntegerField, Model
from playhouse.db_url import connect

db = DatabaseProxy()

# Ids above this are never looked up: PostgreSQL's largest integer, and far below what would
# overflow SQLite (an OverflowError, a 500, instead of a 404 or a 400).
LARGEST_ID = 2**31 - 1

# SQLite settings: WAL lets the POS read while another counter writes; foreign keys must be
# switched on per connection; busy_timeout makes a second writer wait instead of failing.
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
}


def utcnow():
    """Return the current time in UTC without tzinfo, as stored in every DateTimeField."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class BaseModel(Model):
    """Base for every table: binds the shared database."""

    class Meta:
        database = db
        legacy_table_names = False


# Connections are pooled: a request borrows one and gives it back, so the PRAGMAs above run once
# per connection instead of once per request, and SQLite does not checkpoint its WAL each time
# the last connection closes. Enough for the server's threads, the WAL checkpoints and a CLI
# command; a thread that finds all of them lent out waits this many seconds for one.
POOL_CONNECTIONS = 32
POOL_WAIT_SECONDS = 10
POOLED_SCHEMES = {"sqlite": "sqlite+pool", "postgresql": "postgresql+pool", "postgres": "postgresql+pool"}

# The server copies the WAL back into the database file this often (a PASSIVE checkpoint never
# waits for readers or writers), so no request pays for it; SQLite's own check after 1,000 pages
# stays as the backstop for programs that do not run the schedule.
CHECKPOINT_SECONDS = 60


def open_database(url):
    """Build a pooled peewee database from a `sqlite:///path` or `postgresql://...` URL."""
    scheme, separator, rest = url.partition("://")
    url = POOLED_SCHEMES.get(scheme, scheme) + separator + rest
    pool = {"max_connections": POOL_CONNECTIONS, "timeout": POOL_WAIT_SECONDS}
    if url.startswith("sqlite"):
        # A pooled connection is lent to one thread at a time, but not always the one that opened it.
        return connect(url, pragmas=SQLITE_PRAGMAS, check_same_thread=False, **pool)
    return connect(url, **pool)


def bind_database(url):
    """Point the models at the database of `url`, closing every connection of the one bound before."""
    previous = db.obj
    db.initialize(open_database(url))
    if previous is not None:
        close_connections(previous)


def close_connections(database=None):
    """Close every pooled connection for good (the bound database by default), as at shutdown.

    A test that moves or replaces the database file calls this so the next request opens it anew.
    """
    database = database or db.obj
    if hasattr(database, "close_all"):
        database.close_all()
    elif not database.is_closed():
        database.close()


def checkpoint_wal():
    """Copy what the WAL holds back into the SQLite file (PASSIVE: never waits); nothing on PostgreSQL."""
    if is_sqlite():
        with db.connection_context():
            return db.execute_sql("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return None


def start_wal_checkpoints(interval=CHECKPOINT_SECONDS):
    """Checkpoint the WAL every `interval` seconds from a background thread.

    Returns a function that stops them and waits for the one under way, so nothing uses the
    database after it returns.
    """
    stop = threading.Event()

    def run():
        while not stop.wait(interval):
            try:
                checkpoint_wal()
            except Exception:  # noqa: BLE001 - a busy or vanished database is tried again next time
                logging.getLogger(__name__).warning("WAL checkpoint failed", exc_info=True)

    thread = threading.Thread(target=run, name="wal-checkpoint", daemon=True)
    thread.start()

    def stop_checkpoints():
        stop.set()
        thread.join()

    return stop_checkpoints


def is_sqlite():
    """Tell whether the bound database is SQLite (for the few places that differ)."""
    return db.obj is not None and db.obj.__class__.__name__.endswith("SqliteDatabase")


class Prepared:
    """A statement whose SQL text peewee builds once per database; each run only binds new values.

    On the hot paths (the trace page, a sale) building the text of a query with joined tables
    costs far more than SQLite takes to run it. `build(*slots)` makes the peewee query with a
    placeholder for each argument (`arity` of them when `build` takes *args); the arguments must
    reach the SQL as plain parameters (compared with `==` or listed in IN, not inside LIKE
    patterns or turned into booleans). SELECT rows come back as the query's own models, joins
    included. An INSERT or UPDATE is run by `insert` or `execute`: every value that may differ
    between runs must be a slot, since a default (`utcnow`) is taken once, when the text is built.
    """

    def __init__(self, build, arity=None):
        self.build = build
        self.arity = build.__code__.co_argcount if arity is None else arity
        self.compiled = weakref.WeakKeyDictionary()  # database -> (query, sql, parameter sources)

    def _compile(self, database):
        slots = [_SLOT_BASE - number for number in range(self.arity)]
        query = self.build(*slots)
        sql, params = database.get_sql_context().sql(query).query()
        by_value = {value: number for number, value in enumerate(slots)}
        by_value.update({str(value): number for number, value in enumerate(slots)})
        sources = [(True, by_value[value]) if _is_slot(value, by_value) else (False, value) for value in params]
        compiled = self.compiled[database] = (query, sql, sources)
        return compiled

    def rows(self, *args):
        """Run the query with `args` in place of the slots; a list of its rows."""
        query = (self.compiled.get(db.obj) or self._compile(db.obj))[0]
        return list(query._get_cursor_wrapper(self._execute(args)))

    def values(self, *args):
        """The rows as the database driver returns them (plain tuples, no models built): cheap to compare."""
        return self._execute(args).fetchall()

    def execute(self, *args):
        """Run an UPDATE or DELETE; the number of rows it changed."""
        return db.obj.rows_affected(self._execute(args))

    def insert(self, *args):
        """Run an INSERT ... RETURNING id (build it with `.returning(Model.id)`); the new row's id."""
        return self._execute(args).fetchone()[0]

    def _execute(self, args):
        database = db.obj
        _query, sql, sources = self.compiled.get(database) or self._compile(database)
        return database.execute_sql(sql, [args[source] if is_slot else source for is_slot, source in sources])

    def first(self, *args):
        """The first row, or None (the query should say LIMIT 1)."""
        found = self.rows(*args)
        return found[0] if found else None


# Placeholders stand in for the arguments while peewee builds the SQL: integers no real id or
# code reaches, recognised among the parameters whether a field kept them as numbers or text.
_SLOT_BASE = -(2**53) + 7


def _is_slot(value, by_value):
    return isinstance(value, (int, str)) and not isinstance(value, bool) and value in by_value


class SchemaVersion(BaseModel):
    """The migration step each domain's schema has reached."""

    domain = CharField(primary_key=True, max_length=40)
    version = IntegerField()
    applied_at = DateTimeField(default=utcnow)


class SchemaTooNew(RuntimeError):
    """The database was upgraded by a newer version of the program than this one."""


def upgrade_schema(domain, models, migrations):
    """Bring one domain's tables to the newest version, keeping all data.

    A database without this domain gets the current tables at once and is marked as up to
    date; an older one runs each missing step of `migrations` (a list of functions taking a
    playhouse.migrate migrator, step N at index N-1) in one transaction per step. A database
    newer than `migrations` raises SchemaTooNew rather than run on tables it does not know.
    """
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator

    db.create_tables([SchemaVersion], safe=True)
    latest = len(migrations)
    row = SchemaVersion.get_or_none(SchemaVersion.domain == domain)
    if row is None:
        with db.atomic():
            db.create_tables(models, safe=True)
            SchemaVersion.create(domain=domain, version=latest)
        return
    if row.version > latest:
        raise SchemaTooNew(
            f"The database's {domain} tables are at version {row.version}, but this program knows "
            f"only up to {latest}. Run the newer program, or restore a backup made for this one."
        )
    if row.version == latest:
        return
    migrator = SqliteMigrator(db.obj) if is_sqlite() else PostgresqlMigrator(db.obj)
    with _sqlite_foreign_keys_off():
        for version in range(row.version + 1, latest + 1):
            with db.atomic():
                migrations[version - 1](migrator)
                _check_foreign_keys()
                SchemaVersion.update(version=version, applied_at=utcnow()).where(
                    SchemaVersion.domain == domain
                ).execute()


@contextlib.contextmanager
def _sqlite_foreign_keys_off():
    """On SQLite, switch foreign keys off while migrating, as SQLite's ALTER TABLE guide says.

    SqliteMigrator changes a column by copying the table and dropping the original; with
    foreign keys on, that DROP TABLE deletes or nulls every row that refers to the table
    (ON DELETE CASCADE / SET NULL), so adding a NOT NULL column to "user" would wipe the API
    tokens. The pragma cannot change inside a transaction, hence around the steps.
    """
    if not is_sqlite():
        yield
        return
    if db.in_transaction():
        raise RuntimeError("Upgrade the schema outside a transaction.")
    db.execute_sql("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        db.execute_sql("PRAGMA foreign_keys = ON")


def _check_foreign_keys():
    """Refuse a SQLite migration step that leaves rows pointing at nothing (its transaction rolls back)."""
    if is_sqlite():
        broken = db.execute_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"A migration step broke {len(broken)} foreign key(s), first: {broken[0]}")


# SQLite's primary result codes (the low byte of the extended code Python 3.11 gives as
# sqlite_errorcode) for a database that cannot be written: read-only (the file, the folder, or
# PRAGMA query_only), an I/O error, a full disk or max_page_count reached.
SQLITE_STORAGE_CODES = {8: "SQLITE_READONLY", 10: "SQLITE_IOERR", 13: "SQLITE_FULL"}
# ... and for one that cannot be opened at all (the file or its folder gone).
SQLITE_UNREACHABLE_CODES = {14: "SQLITE_CANTOPEN"}
# PostgreSQL's SQLSTATEs: a read-only transaction or server, a full disk, an I/O error ...
POSTGRESQL_STORAGE_STATES = {"25006", "53100", "58030"}
# ... and a server shutting down, restarting or not yet accepting connections (class 08 is every
# connection exception). libpq's own failures (refused, reset, closed) carry no SQLSTATE.
POSTGRESQL_UNREACHABLE_STATES = {"57P01", "57P02", "57P03"}


def database_failure(exc):
    """Tell a database that cannot write ("storage") or cannot be reached ("unreachable") from other errors.

    Read from the drivers' error codes, never from message text (which is translated and changes
    between versions). peewee wraps the driver's exception and keeps it as the first argument and
    in the chain; on a full disk SQLite rolls back by itself, so peewee's own rollback then fails
    and the cause is further down the chain. Returns None for anything else.
    """
    seen = 0
    while exc is not None and seen < 10:
        seen += 1
        for error in (exc, *exc.args[:1]):
            if isinstance(error, sqlite3.Error) and getattr(error, "sqlite_errorcode", None) is not None:
                primary = error.sqlite_errorcode & 0xFF
                if primary in SQLITE_STORAGE_CODES:
                    return "storage"
                if primary in SQLITE_UNREACHABLE_CODES:
                    return "unreachable"
            if isinstance(error, psycopg2.Error):
                state = error.pgcode
                if state in POSTGRESQL_STORAGE_STATES:
                    return "storage"
                if state in POSTGRESQL_UNREACHABLE_STATES or (state or "").startswith("08"):
                    return "unreachable"
                if state is None and isinstance(error, (psycopg2.OperationalError, psycopg2.InterfaceError)):
                    return "unreachable"  # libpq lost or never had the connection
        exc = exc.__cause__ or exc.__context__
    return None


def get_or_404(model, record_id):
    """Fetch a row by id, or raise NotFound, which the app answers with a 404."""
    from core.validation import NotFound

    if not isinstance(record_id, int) or not 0 < record_id <= LARGEST_ID:
        raise NotFound()
    record = model.get_or_none(model.id == record_id)
    if record is None:
        raise NotFound()
    return record


# This process's writers take turns here before SQLite's write lock: a thread waiting on a Python
# lock wakes the moment it is free, while SQLite's busy handler sleeps in steps of up to 100 ms,
# which put the tail of 8 counters' sales far above their median. Re-entrant: rules nest.
_SQLITE_WRITERS = threading.RLock()


@contextlib.contextmanager
def write_transaction():
    """A transaction that takes the write lock at once, for read-check-write rules such as a sale.

    On SQLite a deferred transaction that reads and then writes may fail with "database is
    locked" when another writer got in between; BEGIN IMMEDIATE waits its turn (busy_timeout)
    instead, after this process's other writers (a lock of our own, see above). PostgreSQL locks
    the rows it updates, so a plain transaction is enough there.
    """
    if is_sqlite():
        with _SQLITE_WRITERS, db.obj.atomic(lock_type="IMMEDIATE"):
            yield
    else:
        with db.atomic():
            yield
