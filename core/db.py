"""The one database handle, the model base class, and schema migrations.

The database is declared once as a proxy and bound by the app factory from `DATABASE_URL`, so
the same models run on SQLite (the default) and PostgreSQL.
"""
import datetime

from peewee import CharField, DatabaseProxy, DateTimeField, IntegerField, Model
from playhouse.db_url import connect

db = DatabaseProxy()

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
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class BaseModel(Model):
    """Base for every table: binds the shared database."""

    class Meta:
        database = db
        legacy_table_names = False


def open_database(url):
    """Build a peewee database from a `sqlite:///path` or `postgresql://...` URL."""
    if url.startswith("sqlite"):
        return connect(url, pragmas=SQLITE_PRAGMAS)
    return connect(url)


def is_sqlite():
    """Tell whether the bound database is SQLite (for the few places that differ)."""
    return db.obj is not None and db.obj.__class__.__name__.endswith("SqliteDatabase")


class SchemaVersion(BaseModel):
    """The migration step each domain's schema has reached."""

    domain = CharField(primary_key=True, max_length=40)
    version = IntegerField()
    applied_at = DateTimeField(default=utcnow)


def upgrade_schema(domain, models, migrations):
    """Bring one domain's tables to the newest version, keeping all data.

    A database without this domain gets the current tables at once and is marked as up to
    date; an older one runs each missing step of `migrations` (a list of functions taking a
    playhouse.migrate migrator, step N at index N-1) in one transaction per step.
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
    migrator = SqliteMigrator(db.obj) if is_sqlite() else PostgresqlMigrator(db.obj)
    for version in range(row.version + 1, latest + 1):
        with db.atomic():
            migrations[version - 1](migrator)
            SchemaVersion.update(version=version, applied_at=utcnow()).where(
                SchemaVersion.domain == domain
            ).execute()


def get_or_404(model, record_id):
    """Fetch a row by id, or raise NotFound, which the app answers with a 404."""
    from core.validation import NotFound

    record = model.get_or_none(model.id == record_id)
    if record is None:
        raise NotFound()
    return record
