"""Schema upgrades (core.db.upgrade_schema) and starting the app on a database that already has data."""
import pytest
from peewee import CharField, ForeignKeyField, IntegerField
from playhouse.migrate import migrate

from certificates import models as certificate_models
from core import accounts, create_app, households, models
from core.db import BaseModel, SchemaTooNew, SchemaVersion, db, is_sqlite, upgrade_schema
from core.models import ApiToken, AuditEntry, Household, User

from tests.support import PASSWORD

DOMAIN = "crates"


class CrateV1(BaseModel):
    """A throwaway table as release 1 shipped it."""

    name = CharField(max_length=40)

    class Meta:
        table_name = "crate"


class CrateV2(BaseModel):
    """The same table after step 2 added a weight."""

    name = CharField(max_length=40)
    weight = IntegerField(default=0)

    class Meta:
        table_name = "crate"


class CrateLabel(BaseModel):
    """Rows that point at a crate and would be deleted with it (ON DELETE CASCADE)."""

    crate = ForeignKeyField(CrateV1, backref="labels", on_delete="CASCADE")
    text = CharField(max_length=40)

    class Meta:
        table_name = "crate_label"


def _create_crates(migrator):
    """Step 1: nothing to change; the first release created the table."""


def _add_weight(migrator):
    """Step 2: a NOT NULL column with a default, which SQLite adds by rebuilding the table."""
    migrate(migrator.add_column("crate", "weight", IntegerField(default=0)))


def _columns(table):
    return [column.name for column in db.get_columns(table)]


def _version(domain):
    return SchemaVersion.get(SchemaVersion.domain == domain).version


@pytest.fixture
def release_1(app):
    """A database at release 1 of the crates domain, holding two crates with labels."""
    upgrade_schema(DOMAIN, [CrateV1, CrateLabel], [_create_crates])
    red = CrateV1.create(name="red")
    CrateV1.create(name="blue")
    CrateLabel.create(crate=red, text="fragile")
    CrateLabel.create(crate=red, text="this way up")
    return red


def test_fresh_database_gets_the_tables_at_the_latest_version(app):
    """A database without the domain gets today's tables at once and is marked at the newest step."""
    ran = []
    upgrade_schema(DOMAIN, [CrateV2], [_create_crates, lambda migrator: ran.append(2)])
    assert db.table_exists("crate")
    assert _columns("crate") == ["id", "name", "weight"]
    assert _version(DOMAIN) == 2
    assert ran == []  # the steps are for older databases only
    assert _version("core") == len(models.MIGRATIONS)
    assert _version("certificates") == len(certificate_models.MIGRATIONS)


def test_existing_database_gets_the_missing_step_in_place_keeping_data(app, release_1):
    """A release-1 database runs step 2 in place: the column appears, rows and their children stay."""
    assert _version(DOMAIN) == 1
    before = SchemaVersion.get(SchemaVersion.domain == DOMAIN).applied_at
    upgrade_schema(DOMAIN, [CrateV2, CrateLabel], [_create_crates, _add_weight])
    assert "weight" in _columns("crate")
    assert [(c.name, c.weight) for c in CrateV2.select().order_by(CrateV2.id)] == [("red", 0), ("blue", 0)]
    # Rebuilding the table must not fire ON DELETE CASCADE on the rows that refer to it.
    assert sorted(label.text for label in CrateLabel.select()) == ["fragile", "this way up"]
    assert CrateLabel.select().where(CrateLabel.crate == release_1.id).count() == 2
    row = SchemaVersion.get(SchemaVersion.domain == DOMAIN)
    assert row.version == 2 and row.applied_at >= before
    CrateV2.create(name="green", weight=7)  # the new column is usable at once
    if is_sqlite():
        assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1


def test_running_the_upgrade_twice_is_harmless(app, release_1):
    """A second upgrade with nothing new runs no step and changes no data."""
    calls = []

    def counted_step(migrator):
        calls.append(1)
        _add_weight(migrator)

    steps = [_create_crates, counted_step]
    upgrade_schema(DOMAIN, [CrateV2, CrateLabel], steps)
    upgrade_schema(DOMAIN, [CrateV2, CrateLabel], steps)
    assert calls == [1]
    assert _version(DOMAIN) == 2
    assert CrateV2.select().count() == 2 and CrateLabel.select().count() == 2


def test_a_failing_step_is_rolled_back_whole(app, release_1):
    """A step that fails half-way leaves neither its column nor a new version behind; fixed, it runs."""

    def broken_step(migrator):
        _add_weight(migrator)
        raise RuntimeError("step 2 is broken")

    with pytest.raises(RuntimeError, match="step 2 is broken"):
        upgrade_schema(DOMAIN, [CrateV2, CrateLabel], [_create_crates, broken_step])
    assert _version(DOMAIN) == 1
    assert "weight" not in _columns("crate")
    assert CrateV1.select().count() == 2 and CrateLabel.select().count() == 2
    upgrade_schema(DOMAIN, [CrateV2, CrateLabel], [_create_crates, _add_weight])
    assert _version(DOMAIN) == 2


def test_database_newer_than_the_program_is_refused(app, release_1):
    """An older program does not run on tables a newer one has changed; the data is untouched."""
    with pytest.raises(SchemaTooNew, match="version 1"):
        upgrade_schema(DOMAIN, [CrateV1, CrateLabel], [])
    assert _version(DOMAIN) == 1
    assert CrateV1.select().count() == 2


def test_create_app_on_an_existing_database_keeps_all_data(app, app_config, admin_user, household_data):
    """Starting the app again on the same database keeps households, accounts and tokens."""
    household = households.create_household(household_data, admin_user)
    token = accounts.create_token(admin_user)
    db.close()
    again = create_app(app_config)
    assert [(h.id, h.code, h.head_name) for h in Household.select()] == [
        (household.id, "KH-01-001", "สมศรี ทองคำ")]
    client = again.test_client()
    assert client.get("/api/v1/households", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.post("/login", data={"username": "council", "password": PASSWORD}).status_code == 302
    assert client.get(f"/households/{household.id}").status_code == 200


def test_core_upgrade_from_release_0_keeps_tokens_and_audit(app, app_config, admin_user, household_data):
    """Core's real steps (user.is_committee, ..., household.member_count) run on a release-0 database
    without losing any API token, household or the author of an audit entry."""
    households.create_household(household_data, admin_user)
    accounts.create_token(admin_user)
    authored = AuditEntry.select().where(AuditEntry.user == admin_user).count()
    assert authored >= 1
    # Turn the database back into release 0: no committee flag, core at version 0.
    db.execute_sql('ALTER TABLE "user" DROP COLUMN is_committee')
    db.execute_sql('ALTER TABLE "household" DROP COLUMN member_count')
    db.drop_tables(models.PROGRAMME_MODELS + [models.OccupationSynonym, models.HouseholdImport])
    SchemaVersion.update(version=0).where(SchemaVersion.domain == "core").execute()
    db.close()

    create_app(app_config)
    assert "is_committee" in _columns("user")
    assert _version("core") == len(models.MIGRATIONS)
    assert ApiToken.select().where(ApiToken.user == admin_user.id).count() == 1
    assert AuditEntry.select().where(AuditEntry.user == admin_user.id).count() == authored
    assert User.get(User.username == "council").is_committee is False
    assert Household.select().count() == 1
    assert "member_count" in _columns("household") and Household.get().member_count is None
    assert db.table_exists("occupation_synonym") and db.table_exists("household_import")


def test_sqlite_upgrade_inside_a_transaction_is_refused(app, release_1):
    """On SQLite, foreign keys cannot be switched off inside a transaction, so a step is not run there."""
    if not is_sqlite():
        pytest.skip("the foreign-key pragma is SQLite's")
    with pytest.raises(RuntimeError, match="outside a transaction"):
        with db.atomic():
            upgrade_schema(DOMAIN, [CrateV2, CrateLabel], [_create_crates, _add_weight])
    assert "weight" not in _columns("crate")
    assert CrateLabel.select().count() == 2


def test_traceability_upgrade_to_client_ids_keeps_batches_and_their_sales(app, app_config, certified_household):
    """Traceability's step 2 (batch.client_id, unique) runs on a step-1 database without losing a batch or a sale line."""
    from market import sales
    from market.models import SaleLine
    from traceability import batches
    from traceability.models import MIGRATIONS, Batch

    setup = certified_household
    batch = batches.create_batch({"household_id": setup["household"].id, "product_id": setup["product"].id,
                                  "harvest_date": "2026-11-01", "quantity": "10"}, setup["committee"])
    day = sales.open_market_day({"counter": "A", "opening_float": "0"}, setup["committee"])
    sales.record_sale({"client_id": "0f0e7a8c-6a53-4f0b-9d0e-3a4c3d1f2b11", "market_day_id": day.id,
                       "lines": [{"batch_code": batch.code, "quantity": "2"}], "payment": {"method": "cash"}},
                      setup["committee"], "http://market.test")
    db.execute_sql("DROP INDEX batch_client_id")
    db.execute_sql("ALTER TABLE batch DROP COLUMN client_id")
    SchemaVersion.update(version=1).where(SchemaVersion.domain == "traceability").execute()
    db.close()

    create_app(app_config)
    assert "client_id" in _columns("batch")
    assert _version("traceability") == len(MIGRATIONS)
    assert [(b.code, b.sold_milli) for b in Batch.select()] == [(batch.code, 2000)]
    assert SaleLine.select().where(SaleLine.batch == batch.id).count() == 1
    first, created = batches.record_batch({"household_id": setup["household"].id, "product_id": setup["product"].id,
                                           "harvest_date": "2026-11-02", "quantity": "1",
                                           "client_id": "6f1d0c2e-1b1a-4c55-8f3e-9a0b1c2d3e4f"}, setup["committee"])
    again, created_again = batches.record_batch({"household_id": setup["household"].id, "product_id": setup["product"].id,
                                                 "harvest_date": "2026-11-02", "quantity": "1",
                                                 "client_id": "6f1d0c2e-1b1a-4c55-8f3e-9a0b1c2d3e4f"}, setup["committee"])
    assert (created, created_again, again.id) == (True, False, first.id)


def _certificates_release_1_tables():
    """The certificates tables step 2 changes, frozen as release 1 shipped them."""
    from peewee import DateField, DateTimeField, DecimalField, TextField

    from certificates.models import CertifyingBody, Standard
    from core.models import Plot

    class Frozen(BaseModel):
        class Meta:
            legacy_table_names = False

    class Requirement(Frozen):
        standard = ForeignKeyField(Standard, on_delete="CASCADE")
        position = IntegerField()
        text_th = CharField(max_length=400)
        text_en = CharField(max_length=400, default="")

        class Meta:
            table_name = "requirement"
            indexes = ((("standard", "position"), True),)

    class ProhibitedInput(Frozen):
        standard = ForeignKeyField(Standard, on_delete="CASCADE")
        keyword = CharField(max_length=120)
        reason_th = CharField(max_length=255, default="")
        reason_en = CharField(max_length=255, default="")

        class Meta:
            table_name = "prohibited_input"

    class PlotRecord(Frozen):
        plot = ForeignKeyField(Plot, unique=True, on_delete="CASCADE")
        conversion_start = DateField(null=True)
        field_history = TextField(default="")

        class Meta:
            table_name = "plot_record"

    class InputEntry(Frozen):
        household = ForeignKeyField(Household, on_delete="CASCADE")
        plot = ForeignKeyField(Plot, on_delete="CASCADE")
        used_on = DateField(index=True)
        input_type = CharField(max_length=20)
        name = CharField(max_length=200)
        quantity = DecimalField(max_digits=12, decimal_places=3, null=True)
        unit = CharField(max_length=20, default="")
        source = CharField(max_length=200, default="")
        prohibited_reason = CharField(max_length=255, default="")
        recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        recorded_at = DateTimeField()

        class Meta:
            table_name = "input_entry"

    class Inspection(Frozen):
        household = ForeignKeyField(Household, on_delete="CASCADE")
        standard = ForeignKeyField(Standard)
        body = ForeignKeyField(CertifyingBody)
        kind = CharField(max_length=20)
        scheduled_for = DateField()
        inspected_on = DateField(null=True)
        status = CharField(max_length=20, default="scheduled", index=True)
        findings = TextField(default="")
        created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        created_at = DateTimeField()

        class Meta:
            table_name = "inspection"

    return [Requirement, ProhibitedInput, PlotRecord, InputEntry, Inspection]


def _back_to_certificates_release_1():
    """Turn today's certificates tables back into release 1's shape (fixed checklists, a keyword list
    of prohibited inputs); they are empty, so they are made again from the frozen classes."""
    if is_sqlite():
        db.execute_sql("PRAGMA foreign_keys = OFF")
    cascade = "" if is_sqlite() else " CASCADE"
    for table in ("evidence", "screening", "input_ruling", "input_entry", "registered_input", "conversion_period",
                  "requirement", "inspection", "plot_record", "standard_version"):
        db.execute_sql(f"DROP TABLE {table}{cascade}")
    db.execute_sql("ALTER TABLE certifying_body DROP COLUMN requires_screening")
    db.create_tables(_certificates_release_1_tables())
    if is_sqlite():
        db.execute_sql("PRAGMA foreign_keys = ON")
    SchemaVersion.update(version=1).where(SchemaVersion.domain == "certificates").execute()


def test_certificates_upgrade_versions_the_standards_and_keeps_inspections_and_flags(app, app_config, admin_user, household_data):
    """Certificates' step 2 turns a release-1 database's fixed checklist into version 1 of its standard,
    keeps every inspection and result pointing at it, and turns the prohibited word list into register
    inputs that version 1 prohibits, so an entry flagged before is still flagged after."""
    from certificates import inputs, records
    from certificates.documents import inspection_report_pdf
    from certificates.models import (
        CertifyingBody,
        ChecklistResult,
        InputEntry,
        Inspection,
        InspectionInspector,
        Requirement,
        Standard,
        StandardVersion,
    )

    household = households.create_household(household_data, admin_user)
    plot = households.create_plot(household, {"name": "แปลง 1", "area_m2": "400"}, admin_user)
    _back_to_certificates_release_1()
    requirement_v1, prohibited_v1, _plot_record_v1, entry_v1, inspection_v1 = _certificates_release_1_tables()
    standard = Standard.create(code="PGS-KH", name_th="มาตรฐาน PGS", kind="pgs")
    body_id = db.execute_sql(  # release 1's certifying_body has no requires_screening column
        f"INSERT INTO certifying_body (name_th, name_en, kind) VALUES ({db.obj.param}, '', 'pgs')",
        ("คณะกรรมการ PGS",)).lastrowid if is_sqlite() else db.execute_sql(
        "INSERT INTO certifying_body (name_th, name_en, kind) VALUES (%s, '', 'pgs') RETURNING id", ("คณะกรรมการ PGS",)).fetchone()[0]
    body = CertifyingBody(id=body_id)
    checklist = [requirement_v1.create(standard=standard, position=position, text_th=text)
                 for position, text in enumerate(["มีบันทึกการผลิต", "ไม่ใช้ปุ๋ยเคมี"], start=1)]
    prohibited_v1.create(standard=standard, keyword="ยูเรีย", reason_th="ปุ๋ยเคมีสังเคราะห์", reason_en="synthetic fertiliser")
    old = inspection_v1.create(household=household, standard=standard, body=body, kind="pgs", scheduled_for="2026-10-01",
                               inspected_on="2026-10-01", status="completed", findings="แปลงสะอาด", created_at="2026-10-01 09:00:00")
    InspectionInspector.create(inspection=old.id, name="สมชาย ใจดี")
    for requirement, result in zip(checklist, ("pass", "fail")):
        ChecklistResult.create(inspection=old.id, requirement=requirement.id, result=result, note="ดูแล้ว")
    for name, reason in (("ปุ๋ยยูเรีย 46-0-0", "ยูเรีย: ปุ๋ยเคมีสังเคราะห์"), ("ปุ๋ยหมัก", "")):
        entry_v1.create(household=household, plot=plot, used_on="2026-09-01", input_type="fertilizer", name=name,
                        prohibited_reason=reason, recorded_at="2026-09-01 08:00:00")
    db.close()

    upgraded = create_app(app_config)
    assert _version("certificates") == len(certificate_models.MIGRATIONS)
    assert not db.table_exists("prohibited_input")
    version = StandardVersion.get()
    assert (version.standard.code, version.number, version.status) == ("PGS-KH", 1, "published")
    assert [(r.position, r.text_th, r.version_id) for r in Requirement.select().order_by(Requirement.position)] == [
        (1, "มีบันทึกการผลิต", version.id), (2, "ไม่ใช้ปุ๋ยเคมี", version.id)]
    inspection = Inspection.get_by_id(old.id)
    assert (inspection.version_id, inspection.status, inspection.findings) == (version.id, "completed", "แปลงสะอาด")
    assert sorted((c.requirement.position, c.result, c.note) for c in ChecklistResult.select()) == [
        (1, "pass", "ดูแล้ว"), (2, "fail", "ดูแล้ว")]
    assert {e.name: e.state for e in records.input_log(household)} == {"ปุ๋ยยูเรีย 46-0-0": "prohibited", "ปุ๋ยหมัก": "needs_review"}
    assert db.table_exists("evidence") and db.table_exists("screening")  # steps 3 and 4 ran after it
    assert inputs.rulings_in(version)[InputEntry.get(InputEntry.name == "ปุ๋ยยูเรีย 46-0-0").input_id].condition == "ปุ๋ยเคมีสังเคราะห์"
    # The prohibited urea restarts the plot's conversion from the day after it was used.
    assert records.conversion(plot, "vegetable").starts_on.isoformat() == "2026-09-02"
    with upgraded.test_request_context("/"):
        assert inspection_report_pdf(inspection).startswith(b"%PDF")
    # A new version can be drafted from the migrated one.
    from certificates import standards
    committee = accounts.create_user({"username": "pgs", "role": "admin", "password": PASSWORD})
    draft = standards.new_draft(Standard.get(), committee)
    assert [r.text_th for r in standards.criteria(draft)] == ["มีบันทึกการผลิต", "ไม่ใช้ปุ๋ยเคมี"]


def test_traceability_step_4_keeps_one_record_per_harvest(app, app_config, certified_household):
    """A harvest typed twice (farm record and batch, same household, product and day) keeps only its
    batch; a farm-record harvest with no batch stays in the log, and other activities are untouched."""
    import datetime

    from certificates import records
    from certificates.models import Activity
    from traceability import batches
    from traceability.models import MIGRATIONS

    setup = certified_household
    day = datetime.date.today() - datetime.timedelta(days=3)
    batch = batches.create_batch({"household_id": setup["household"].id, "product_id": setup["product"].id,
                                  "plot_id": setup["plot"].id, "harvest_date": day.isoformat(), "quantity": "10"},
                                 setup["committee"])
    common = {"household": setup["household"], "plot": setup["plot"], "product": setup["product"]}
    Activity.create(done_on=day, activity="harvest", quantity=10, **common)
    kept = Activity.create(done_on=day - datetime.timedelta(days=7), activity="harvest", quantity=4, **common)
    soil = Activity.create(done_on=day, activity="soil_preparation", **common)
    SchemaVersion.update(version=3).where(SchemaVersion.domain == "traceability").execute()
    db.close()

    upgraded = create_app(app_config)
    assert sorted(a.id for a in Activity.select()) == sorted([kept.id, soil.id])
    assert _version("traceability") == len(MIGRATIONS)
    with upgraded.app_context():
        harvests = [entry.batch_code for entry in records.activity_log(setup["household"]) if entry.activity == "harvest"]
    assert harvests == [batch.code, None]


# --- Every earlier schema version upgrades to exactly the schema of a new database ------------------
#
# A database at version k of a domain is made from a new one by undoing its steps n..k+1 (the undo
# of step N is at index N-1 below), then the app upgrades it. A step that created a table from
# today's model class, or left an index, a default or a foreign key unlike a new database's, shows
# up as a difference. A new step needs its undo here.


def _drop_columns(table, *columns):
    """Drop columns with their indexes and foreign keys (SQLite rebuilds the table to drop a key column)."""
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator

    if is_sqlite():
        migrator = SqliteMigrator(db.obj)
        migrate(*[migrator.drop_column(table, column, legacy=True) for column in columns])
    else:
        migrator = PostgresqlMigrator(db.obj)
        migrate(*[migrator.drop_column(table, column) for column in columns])


def _drop_tables(*tables):
    for table in tables:
        db.execute_sql(f'DROP TABLE "{table}"')


def _undo_certificates_step_2():
    """Back to release 1: no versions or register; criteria per standard; a list of prohibited words."""
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator

    from certificates.models import Standard

    class ProhibitedInput(BaseModel):
        standard = ForeignKeyField(Standard, backref="+", on_delete="CASCADE")
        keyword = CharField(max_length=120)
        reason_th = CharField(max_length=255, default="")
        reason_en = CharField(max_length=255, default="")

    _drop_columns("requirement", "version_id", "topic_th", "topic_en", "guidance_th", "guidance_en", "critical",
                  "categories")
    _drop_columns("inspection", "version_id")
    _drop_columns("input_entry", "input_id")
    _drop_columns("plot_record", "conversion_verified_on")
    _drop_tables("input_ruling", "registered_input", "conversion_period", "standard_version")
    migrator = SqliteMigrator(db.obj) if is_sqlite() else PostgresqlMigrator(db.obj)
    migrate(migrator.add_index("requirement", ("standard_id", "position"), True),
            migrator.add_column("input_entry", "prohibited_reason", CharField(max_length=255, default="")))
    db.create_tables([ProhibitedInput])


UNDO = {
    "core": [
        lambda: _drop_columns("user", "is_committee"),
        lambda: _drop_tables("attendance", "course_session", "course_signup", "course", "income_survey"),
        lambda: (_drop_columns("household", "member_count"), _drop_tables("occupation_synonym", "household_import")),
        lambda: _drop_columns("product", "making_certified"),
        lambda: _drop_columns("login_attempt", "device"),
        lambda: _drop_tables("consent", "personal_data_view"),
        lambda: (_drop_tables("invitation"), _drop_columns("user", "household_id", "uses_pin"),
                 _drop_columns("household", "grower_prints_labels")),
    ],
    "certificates": [
        lambda: _drop_tables("yield_norm"),
        _undo_certificates_step_2,
        lambda: _drop_tables("evidence"),
        lambda: (_drop_tables("screening"), _drop_columns("certifying_body", "requires_screening"),
                 _drop_columns("inspection", "recorded_by_id")),
        lambda: [_drop_columns(table, "client_id", "review_status", "review_comment", "reviewed_by_id", "reviewed_at")
                 for table in ("input_entry", "activity")],
    ],
    "traceability": [
        lambda: _drop_columns("batch", "changed_at"),
        lambda: _drop_columns("batch", "client_id"),
        lambda: (_drop_tables("batch_input"), _drop_columns("batch", "kind", "occupation_group_id")),
        lambda: None,  # step 4 changed rows only
        lambda: _drop_columns("batch", "awaiting_check", "recorded_by_id"),
    ],
    "market": [
        lambda: _drop_tables("settlement_share"),
    ],
}


def _domain_migrations():
    from certificates import models as certificates
    from market import models as market
    from traceability import models as traceability

    return {"core": models.MIGRATIONS, "certificates": certificates.MIGRATIONS,
            "traceability": traceability.MIGRATIONS, "market": market.MIGRATIONS}


def _sqlite_schema():
    tables = [name for (name,) in db.execute_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    schema = {}
    for table in tables:
        columns = {name: (kind.upper(), bool(not_null), default, bool(primary))
                   for _cid, name, kind, not_null, default, primary in db.execute_sql(f'PRAGMA table_info("{table}")')}
        indexes = {}
        for _seq, name, unique, origin, _partial in db.execute_sql(f'PRAGMA index_list("{table}")'):
            parts = db.execute_sql(f'PRAGMA index_info("{name}")').fetchall()
            indexes[name] = (tuple(column for _rank, _cid, column in sorted(parts)), bool(unique), origin)
        keys = sorted((source, target, target_column, on_update, on_delete)
                      for _id, _seq, target, source, target_column, on_update, on_delete, _match
                      in db.execute_sql(f'PRAGMA foreign_key_list("{table}")'))
        schema[table] = {"columns": columns, "indexes": indexes, "foreign keys": keys}
    return schema


def _postgresql_schema():
    schema = {}
    for table, column, kind, not_null, default in db.execute_sql(
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
            "pg_get_expr(d.adbin, d.adrelid) FROM pg_class c "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
            "LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum "
            "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'"):
        table_schema = schema.setdefault(table, {"columns": {}, "indexes": {}, "constraints": {}})
        table_schema["columns"][column] = (kind, not_null, default)
    for table, name, definition in db.execute_sql(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"):
        schema[table]["indexes"][name] = definition
    for table, name, definition in db.execute_sql(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE connamespace = 'public'::regnamespace AND contype <> 'p'"):
        schema[table.strip('"')]["constraints"][name] = definition
    return schema


def _schema():
    """Every table's columns (type, NOT NULL, default), indexes (columns, unique) and constraints.

    Column order is left out: SQLite and PostgreSQL append an added column, and no query depends on it.
    """
    with db.connection_context():
        return _sqlite_schema() if is_sqlite() else _postgresql_schema()


def _upgrade_cases():
    return [(domain, version) for domain, steps in _domain_migrations().items() for version in range(len(steps))]


def test_every_step_has_its_undo_for_the_upgrade_test():
    """A new migration step must add its undo to UNDO, or the schema test below cannot start before it."""
    assert {domain: len(steps) for domain, steps in _domain_migrations().items()} == {
        domain: len(undo) for domain, undo in UNDO.items()}


@pytest.mark.parametrize(("domain", "version"), _upgrade_cases())
def test_a_database_upgraded_from_an_earlier_version_has_the_schema_of_a_new_one(app, app_config, domain, version):
    """A database at every earlier version of each domain, upgraded by the app, has exactly the tables,
    columns, types, NOT NULLs, defaults, indexes and foreign keys of a database the app creates new."""
    new = _schema()
    latest = len(_domain_migrations()[domain])
    with db.connection_context():
        if is_sqlite():
            db.execute_sql("PRAGMA foreign_keys = OFF")
        for step in range(latest, version, -1):
            with db.atomic():
                UNDO[domain][step - 1]()
        if is_sqlite():
            db.execute_sql("PRAGMA foreign_keys = ON")
        SchemaVersion.update(version=version).where(SchemaVersion.domain == domain).execute()
    db.close()

    create_app(app_config)
    assert _version(domain) == latest
    upgraded = _schema()
    assert sorted(upgraded) == sorted(new)
    for table in new:
        assert upgraded[table] == new[table], table


def test_grower_accounts_upgrade_keeps_accounts_tokens_and_batches(app, app_config, certified_household):
    """Core step 7 (user.household_id, user.uses_pin, household.grower_prints_labels, invitation) and
    traceability step 5 (batch.awaiting_check, batch.recorded_by_id) run on a database from before
    them: every account, token and batch stays, old batches are on sale as before, and a grower account
    can then be made and invited."""
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate

    from core import invitations
    from traceability import batches
    from traceability.models import MIGRATIONS as TRACEABILITY_MIGRATIONS
    from traceability.models import Batch

    setup = certified_household
    token = accounts.create_token(setup["committee"])
    batch = batches.create_batch({"household_id": setup["household"].id, "product_id": setup["product"].id,
                                  "harvest_date": "2026-11-01", "quantity": "4"}, setup["committee"])
    migrator = SqliteMigrator(db.obj) if is_sqlite() else PostgresqlMigrator(db.obj)
    if is_sqlite():
        db.execute_sql("PRAGMA foreign_keys = OFF")  # SQLite drops a column by copying its table
    db.drop_tables([models.Invitation])
    # A foreign-key column goes only by copying the table (SQLite's DROP COLUMN refuses it).
    legacy = {"legacy": True} if is_sqlite() else {}
    migrate(migrator.drop_column("user", "household_id", **legacy), migrator.drop_column("user", "uses_pin"),
            migrator.drop_column("household", "grower_prints_labels"),
            migrator.drop_index("batch", "batch_awaiting_check"),
            migrator.drop_column("batch", "awaiting_check"), migrator.drop_column("batch", "recorded_by_id", **legacy))
    if is_sqlite():
        db.execute_sql("PRAGMA foreign_keys = ON")
    SchemaVersion.update(version=6).where(SchemaVersion.domain == "core").execute()
    SchemaVersion.update(version=4).where(SchemaVersion.domain == "traceability").execute()
    db.close()

    create_app(app_config)
    assert {"household_id", "uses_pin"} <= set(_columns("user")) and "grower_prints_labels" in _columns("household")
    assert {"awaiting_check", "recorded_by_id"} <= set(_columns("batch")) and db.table_exists("invitation")
    assert (_version("core"), _version("traceability")) == (len(models.MIGRATIONS), len(TRACEABILITY_MIGRATIONS))
    assert accounts.user_for_token(token).id == setup["committee"].id
    stored = Batch.get_by_id(batch.id)
    assert (stored.awaiting_check, stored.recorded_by, stored.status) == (False, None, "available")
    assert Household.get_by_id(setup["household"].id).grower_prints_labels is False
    grower = invitations.add_grower_account(Household.get_by_id(setup["household"].id), {"name": "มาลี"},
                                            setup["committee"])
    invitations.issue_invitation(grower, setup["committee"])
    assert User.get_by_id(grower.id).household_id == setup["household"].id
