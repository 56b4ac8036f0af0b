"""Tables of certification: standards, farm records, inspections, decisions, certificates."""
from flask_babel import lazy_gettext as _l
from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from core.db import BaseModel, utcnow
from core.models import Household, Plot, Product, User

CERTIFICATION_KINDS = {
    "pgs": _l("Participatory Guarantee System (PGS)"),
    "third_party": _l("Third-party certification"),
}

INPUT_TYPES = {
    "seed": _l("Seed or seedlings"),
    "compost": _l("Compost"),
    "manure": _l("Manure"),
    "bio_extract": _l("Bio-extract"),
    "fertilizer": _l("Fertilizer"),
    "pest_control": _l("Pest control"),
    "feed": _l("Feed (bees, mushrooms)"),
    "other": _l("Other"),
}

ACTIVITIES = {
    "soil_preparation": _l("Soil preparation"),
    "planting": _l("Planting"),
    "care": _l("Care and weeding"),
    "harvest": _l("Harvest"),
    "other": _l("Other"),
}

CHECK_RESULTS = {"pass": _l("Pass"), "fail": _l("Fail"), "na": _l("Not applicable")}

SCREENING_OUTCOMES = {"passed": _l("Passed to the committee"), "sent_back": _l("Sent back to the inspectors")}

INSPECTION_STATES = {
    "scheduled": _l("Scheduled"),
    "returned": _l("Sent back for completion"),
    "completed": _l("Recorded"),
    "screened": _l("Screened, waiting for the decision"),
    "decided": _l("Decided"),
}

# What the inspector says of a farm-diary entry a grower recorded: nothing yet, confirmed, or a question.
REVIEW_STATES = {"": _l("Not yet reviewed"), "confirmed": _l("Confirmed by the inspector"),
                 "queried": _l("Queried by the inspector")}

SEVERITIES = {"minor": _l("Minor"), "major": _l("Major"), "critical": _l("Critical")}

OUTCOMES = {
    "approve": _l("Approve"),
    "approve_with_conditions": _l("Approve with conditions"),
    "reject": _l("Reject"),
}

CERTIFICATE_EVENTS = {
    "issued": _l("Issued"),
    "suspended": _l("Suspended"),
    "reinstated": _l("Reinstated"),
    "revoked": _l("Revoked"),
    "appeal_filed": _l("Appeal filed"),
    "appeal_upheld": _l("Appeal upheld: decision stands"),
    "appeal_granted": _l("Appeal granted: certificate restored"),
}


VERSION_STATES = {
    "draft": _l("Draft"),
    "published": _l("In force"),
    "superseded": _l("Superseded"),
}

RULINGS = {
    "allowed": _l("Allowed"),
    "restricted": _l("Restricted"),
    "prohibited": _l("Prohibited"),
}

# Months a plot converts before its produce may be certified, when a version names none.
DEFAULT_CONVERSION_MONTHS = 12


class Standard(BaseModel):
    """A named set of requirements a grower is inspected against, such as a PGS group standard."""

    code = CharField(max_length=20, unique=True)
    name_th = CharField(max_length=200)
    name_en = CharField(max_length=200, default="")
    kind = CharField(max_length=20, default="pgs")


class StandardVersion(BaseModel):
    """One edition of a standard: a draft the certifying body edits, then in force, then superseded."""

    standard = ForeignKeyField(Standard, backref="versions", on_delete="CASCADE")
    number = IntegerField()
    status = CharField(max_length=20, default="draft")
    notes = TextField(default="")
    conversion_months = IntegerField(default=DEFAULT_CONVERSION_MONTHS)
    created_at = DateTimeField(default=utcnow)
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    published_at = DateTimeField(null=True)
    published_by = ForeignKeyField(User, null=True, on_delete="SET NULL")

    class Meta:
        indexes = ((("standard", "number"), True),)


class ConversionPeriod(BaseModel):
    """How many months a plot converts before produce of one category may be certified."""

    version = ForeignKeyField(StandardVersion, backref="conversion_periods", on_delete="CASCADE")
    category = CharField(max_length=20)
    months = IntegerField()

    class Meta:
        indexes = ((("version", "category"), True),)


class Requirement(BaseModel):
    """One criterion of a version of a standard, the checklist item an inspection answers."""

    standard = ForeignKeyField(Standard, backref="requirements", on_delete="CASCADE")
    version = ForeignKeyField(StandardVersion, backref="criteria", on_delete="CASCADE")
    position = IntegerField()
    topic_th = CharField(max_length=200, default="")
    topic_en = CharField(max_length=200, default="")
    text_th = CharField(max_length=400)
    text_en = CharField(max_length=400, default="")
    guidance_th = TextField(default="")
    guidance_en = TextField(default="")
    critical = BooleanField(default=False)
    categories = CharField(max_length=200, default="")  # product categories, comma-separated; empty: all

    class Meta:
        indexes = ((("version", "position"), True),)

    @property
    def category_list(self):
        return [c for c in self.categories.split(",") if c]


class RegisteredInput(BaseModel):
    """A fertiliser, pest control, seed or other input the certifying body has classified."""

    name_th = CharField(max_length=200)
    name_en = CharField(max_length=200, default="")
    trade_names = TextField(default="")  # one per line
    active_ingredients = TextField(default="")
    kind = CharField(max_length=20, default="other")
    notes = TextField(default="")
    created_at = DateTimeField(default=utcnow)

    @property
    def trade_name_list(self):
        return [t.strip() for t in self.trade_names.splitlines() if t.strip()]


class InputRuling(BaseModel):
    """Whether a version of a standard allows, restricts (on a condition) or prohibits an input."""

    input = ForeignKeyField(RegisteredInput, backref="rulings", on_delete="CASCADE")
    version = ForeignKeyField(StandardVersion, backref="rulings", on_delete="CASCADE")
    ruling = CharField(max_length=20)
    condition = TextField(default="")

    class Meta:
        indexes = ((("input", "version"), True),)


class CertifyingBody(BaseModel):
    """Who certifies: the growers' PGS committee or a third-party agency."""

    name_th = CharField(max_length=200, unique=True)
    name_en = CharField(max_length=200, default="")
    kind = CharField(max_length=20, default="pgs")
    requires_screening = BooleanField(default=False)  # a reviewer checks each file before the committee decides


class PlotRecord(BaseModel):
    """Certification facts about a plot: when its conversion to organic began, and its history."""

    plot = ForeignKeyField(Plot, backref="records", unique=True, on_delete="CASCADE")
    conversion_start = DateField(null=True)
    conversion_verified_on = DateField(null=True)
    field_history = TextField(default="")


class InputEntry(BaseModel):
    """One input put on a plot; flagged when the standard forbids it."""

    household = ForeignKeyField(Household, backref="input_entries", on_delete="CASCADE")
    plot = ForeignKeyField(Plot, backref="input_entries", on_delete="CASCADE")
    used_on = DateField(index=True)
    input_type = CharField(max_length=20)
    name = CharField(max_length=200)
    input = ForeignKeyField(RegisteredInput, backref="entries", null=True, on_delete="SET NULL")
    quantity = DecimalField(max_digits=12, decimal_places=3, null=True)
    unit = CharField(max_length=20, default="")
    source = CharField(max_length=200, default="")
    recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    recorded_at = DateTimeField(default=utcnow)
    # The id a grower's phone gave the entry, so an entry sent again after a lost answer is kept once.
    client_id = CharField(max_length=36, null=True, unique=True)
    review_status = CharField(max_length=20, default="")
    review_comment = TextField(default="")
    reviewed_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    reviewed_at = DateTimeField(null=True)


class Activity(BaseModel):
    """Work done on a plot: soil preparation, planting, harvest (with quantity)."""

    household = ForeignKeyField(Household, backref="activities", on_delete="CASCADE")
    plot = ForeignKeyField(Plot, backref="activities", on_delete="CASCADE")
    done_on = DateField(index=True)
    activity = CharField(max_length=20)
    product = ForeignKeyField(Product, null=True, on_delete="SET NULL")
    quantity = DecimalField(max_digits=12, decimal_places=3, null=True)
    unit = CharField(max_length=20, default="")
    notes = TextField(default="")
    recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    recorded_at = DateTimeField(default=utcnow)
    client_id = CharField(max_length=36, null=True, unique=True)
    review_status = CharField(max_length=20, default="")
    review_comment = TextField(default="")
    reviewed_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    reviewed_at = DateTimeField(null=True)


class Inspection(BaseModel):
    """A visit to a household's farm against a standard; scheduled, then recorded, then decided."""

    household = ForeignKeyField(Household, backref="inspections", on_delete="CASCADE")
    standard = ForeignKeyField(Standard, backref="inspections")
    version = ForeignKeyField(StandardVersion, backref="inspections")
    body = ForeignKeyField(CertifyingBody, backref="inspections")
    kind = CharField(max_length=20)
    scheduled_for = DateField()
    inspected_on = DateField(null=True)
    status = CharField(max_length=20, default="scheduled", index=True)
    findings = TextField(default="")
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")


class Screening(BaseModel):
    """A reviewer's check of a recorded inspection's file: passed to the committee, or sent back with notes."""

    inspection = ForeignKeyField(Inspection, backref="screenings", on_delete="CASCADE")
    outcome = CharField(max_length=20)  # passed or sent_back
    notes = TextField(default="")
    reviewer = ForeignKeyField(User, null=True, on_delete="SET NULL")
    at = DateTimeField(default=utcnow)


class InspectionInspector(BaseModel):
    """A person who inspected and signed; a PGS peer comes from another grower household."""

    inspection = ForeignKeyField(Inspection, backref="inspectors", on_delete="CASCADE")
    name = CharField(max_length=120)
    household = ForeignKeyField(Household, null=True, on_delete="SET NULL")
    organisation = CharField(max_length=200, default="")
    signed = BooleanField(default=True)


class ChecklistResult(BaseModel):
    """How the farm did on one requirement of the standard."""

    inspection = ForeignKeyField(Inspection, backref="results", on_delete="CASCADE")
    requirement = ForeignKeyField(Requirement, on_delete="CASCADE")
    result = CharField(max_length=10)
    note = CharField(max_length=500, default="")

    class Meta:
        indexes = ((("inspection", "requirement"), True),)


class NonCompliance(BaseModel):
    """Something found wrong, with its severity and the corrective action due."""

    inspection = ForeignKeyField(Inspection, backref="non_compliances", on_delete="CASCADE")
    description = CharField(max_length=500)
    severity = CharField(max_length=10)
    corrective_action = CharField(max_length=500, default="")
    due_on = DateField(null=True)
    resolved_on = DateField(null=True)


class Decision(BaseModel):
    """The certification committee's decision on a recorded inspection."""

    inspection = ForeignKeyField(Inspection, backref="decisions", unique=True, on_delete="CASCADE")
    outcome = CharField(max_length=30)
    conditions = TextField(default="")
    reason = TextField(default="")
    decided_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    decided_at = DateTimeField(default=utcnow)


class Certificate(BaseModel):
    """A household's organic certificate; `status` is what the committee set, expiry comes from the date."""

    number = CharField(max_length=30, unique=True)
    household = ForeignKeyField(Household, backref="certificates", on_delete="CASCADE")
    standard = ForeignKeyField(Standard)
    body = ForeignKeyField(CertifyingBody)
    decision = ForeignKeyField(Decision, null=True, on_delete="SET NULL")
    issued_on = DateField()
    valid_until = DateField(index=True)
    status = CharField(max_length=20, default="active", index=True)
    suspended_until = DateField(null=True)
    status_reason = TextField(default="")
    conditions = TextField(default="")


class CertificateProduct(BaseModel):
    """A product the certificate covers."""

    certificate = ForeignKeyField(Certificate, backref="scope_products", on_delete="CASCADE")
    product = ForeignKeyField(Product, on_delete="CASCADE")

    class Meta:
        indexes = ((("certificate", "product"), True),)


class CertificatePlot(BaseModel):
    """A plot the certificate covers."""

    certificate = ForeignKeyField(Certificate, backref="scope_plots", on_delete="CASCADE")
    plot = ForeignKeyField(Plot, on_delete="CASCADE")

    class Meta:
        indexes = ((("certificate", "plot"), True),)


class CertificateEvent(BaseModel):
    """One step in a certificate's history: who, when, what and why."""

    certificate = ForeignKeyField(Certificate, backref="events", on_delete="CASCADE")
    at = DateTimeField(default=utcnow)
    user = ForeignKeyField(User, null=True, on_delete="SET NULL")
    action = CharField(max_length=20)
    reason = TextField(default="")
    until = DateField(null=True)


class YieldNorm(BaseModel):
    """What one rai can plausibly yield of a product in a season, set by the certifying body.

    The mass balance compares each household's sales with its certified area times this norm;
    selling more than the land can grow is how produce bought elsewhere shows up.
    """

    product = ForeignKeyField(Product, backref="yield_norms", unique=True, on_delete="CASCADE")
    quantity_milli_per_rai = IntegerField()  # thousandths of the product's unit, per rai, per season
    season_days = IntegerField(default=90)
    notes = TextField(default="")
    updated_at = DateTimeField(default=utcnow)
    updated_by = ForeignKeyField(User, null=True, on_delete="SET NULL")


EVIDENCE_VIEWS = {
    "north": _l("North side of the plot"),
    "east": _l("East side of the plot"),
    "south": _l("South side of the plot"),
    "west": _l("West side of the plot"),
    "water": _l("Water source"),
    "input_store": _l("Input store"),
}


class Evidence(BaseModel):
    """A photo or document kept as evidence; the file lives under instance/evidence, named by its hash.

    It belongs to an inspection (a required view or a checklist item), an input entry (the bag's
    label) or an activity of the farm records. Never shown on a public page.
    """

    sha256 = CharField(max_length=64, index=True)
    kind = CharField(max_length=10)  # image or pdf
    extension = CharField(max_length=5)
    size_bytes = IntegerField()
    width = IntegerField(null=True)
    height = IntegerField(null=True)
    original_name = CharField(max_length=200, default="")
    caption = CharField(max_length=300, default="")
    view = CharField(max_length=20, default="")
    inspection = ForeignKeyField(Inspection, backref="evidence", null=True, on_delete="CASCADE")
    requirement = ForeignKeyField(Requirement, null=True, on_delete="SET NULL")
    input_entry = ForeignKeyField(InputEntry, backref="evidence", null=True, on_delete="CASCADE")
    activity = ForeignKeyField(Activity, backref="evidence", null=True, on_delete="CASCADE")
    kept_location = BooleanField(default=False)
    uploaded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    uploaded_at = DateTimeField(default=utcnow)


# Schema steps; a step declares the tables it creates as it shipped them (frozen), never with
# today's model class (see core/models.py).
def _add_yield_norms(migrator):
    """Step 1: the yield norms of the mass balance."""

    class YieldNormV1(BaseModel):
        product = ForeignKeyField(Product, backref="+", unique=True, on_delete="CASCADE")
        quantity_milli_per_rai = IntegerField()
        season_days = IntegerField(default=90)
        notes = TextField(default="")
        updated_at = DateTimeField(default=utcnow)
        updated_by = ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")

        class Meta:
            table_name = "yield_norm"

    migrator.database.create_tables([YieldNormV1])


def _version_the_standards(migrator):
    """Step 2: standards get versions, criteria topics and flags, an input register and dated conversion.

    Each standard's checklist becomes its version 1 (in force), every inspection points at it,
    and each word of the old prohibited list becomes a register input that version 1 prohibits;
    flagged input entries are linked to it, so no flag is lost.
    """
    from playhouse.migrate import migrate

    database = migrator.database

    class Frozen(Model):
        class Meta:
            database = migrator.database
            legacy_table_names = False

    class StandardV2(Frozen):
        class Meta:
            table_name = "standard"

    class UserV2(Frozen):
        class Meta:
            table_name = "user"

    class StandardVersionV2(Frozen):
        standard = ForeignKeyField(StandardV2, on_delete="CASCADE")
        number = IntegerField()
        status = CharField(max_length=20, default="draft")
        notes = TextField(default="")
        conversion_months = IntegerField(default=12)
        created_at = DateTimeField(default=utcnow)
        created_by = ForeignKeyField(UserV2, null=True, on_delete="SET NULL")
        published_at = DateTimeField(null=True)
        published_by = ForeignKeyField(UserV2, null=True, on_delete="SET NULL")

        class Meta:
            table_name = "standard_version"
            indexes = ((("standard", "number"), True),)

    class ConversionPeriodV2(Frozen):
        version = ForeignKeyField(StandardVersionV2, on_delete="CASCADE")
        category = CharField(max_length=20)
        months = IntegerField()

        class Meta:
            table_name = "conversion_period"
            indexes = ((("version", "category"), True),)

    class RegisteredInputV2(Frozen):
        name_th = CharField(max_length=200)
        name_en = CharField(max_length=200, default="")
        trade_names = TextField(default="")
        active_ingredients = TextField(default="")
        kind = CharField(max_length=20, default="other")
        notes = TextField(default="")
        created_at = DateTimeField(default=utcnow)

        class Meta:
            table_name = "registered_input"

    class InputRulingV2(Frozen):
        input = ForeignKeyField(RegisteredInputV2, on_delete="CASCADE")
        version = ForeignKeyField(StandardVersionV2, on_delete="CASCADE")
        ruling = CharField(max_length=20)
        condition = TextField(default="")

        class Meta:
            table_name = "input_ruling"
            indexes = ((("input", "version"), True),)

    database.create_tables([StandardVersionV2, ConversionPeriodV2, RegisteredInputV2, InputRulingV2])
    version_field = ForeignKeyField(StandardVersionV2, null=True, field=StandardVersionV2.id, on_delete="CASCADE")
    migrate(
        migrator.add_column("requirement", "version_id", version_field),
        migrator.add_column("requirement", "topic_th", CharField(max_length=200, default="")),
        migrator.add_column("requirement", "topic_en", CharField(max_length=200, default="")),
        migrator.add_column("requirement", "guidance_th", TextField(default="")),
        migrator.add_column("requirement", "guidance_en", TextField(default="")),
        migrator.add_column("requirement", "critical", BooleanField(default=False)),
        migrator.add_column("requirement", "categories", CharField(max_length=200, default="")),
        migrator.add_column("inspection", "version_id",
                            ForeignKeyField(StandardVersionV2, null=True, field=StandardVersionV2.id)),
        migrator.add_column("input_entry", "input_id",
                            ForeignKeyField(RegisteredInputV2, null=True, field=RegisteredInputV2.id, on_delete="SET NULL")),
        migrator.add_column("plot_record", "conversion_verified_on", DateField(null=True)),
    )
    now = utcnow()
    for (standard_id,) in database.execute_sql("SELECT id FROM standard ORDER BY id").fetchall():
        version = StandardVersionV2.create(standard=standard_id, number=1, status="published", published_at=now,
                                           notes="ฉบับแรก (จากรายการตรวจเดิม)")
        database.execute_sql("UPDATE requirement SET version_id = %s WHERE standard_id = %s".replace("%s", database.param),
                             (version.id, standard_id))
        database.execute_sql("UPDATE inspection SET version_id = %s WHERE standard_id = %s".replace("%s", database.param),
                             (version.id, standard_id))
        rules = database.execute_sql(
            "SELECT keyword, reason_th, reason_en FROM prohibited_input WHERE standard_id = %s ORDER BY id".replace("%s", database.param),
            (standard_id,)).fetchall()
        for keyword, reason_th, reason_en in rules:
            existing = RegisteredInputV2.get_or_none(RegisteredInputV2.name_th == keyword)
            registered = existing or RegisteredInputV2.create(name_th=keyword, kind="other", notes=reason_en or "")
            InputRulingV2.create(input=registered, version=version, ruling="prohibited", condition=reason_th or reason_en)
    # An entry the keyword check flagged is linked to the register input of its keyword.
    flagged = database.execute_sql("SELECT id, prohibited_reason FROM input_entry WHERE prohibited_reason <> ''").fetchall()
    for entry_id, reason in flagged:
        keyword = reason.split(":", 1)[0].strip()
        registered = RegisteredInputV2.get_or_none(RegisteredInputV2.name_th == keyword)
        if registered is not None:
            database.execute_sql("UPDATE input_entry SET input_id = %s WHERE id = %s".replace("%s", database.param),
                                 (registered.id, entry_id))
    migrate(
        migrator.drop_index("requirement", "requirement_standard_id_position"),
        migrator.add_not_null("requirement", "version_id"),
        migrator.add_index("requirement", ("version_id", "position"), True),
        migrator.add_not_null("inspection", "version_id"),
        migrator.drop_column("input_entry", "prohibited_reason"),
    )
    database.execute_sql("DROP TABLE prohibited_input")


MODELS = [
    Standard,
    StandardVersion,
    ConversionPeriod,
    Requirement,
    RegisteredInput,
    InputRuling,
    CertifyingBody,
    PlotRecord,
    InputEntry,
    Activity,
    Inspection,
    InspectionInspector,
    ChecklistResult,
    NonCompliance,
    Decision,
    Certificate,
    CertificateProduct,
    CertificatePlot,
    CertificateEvent,
    YieldNorm,
    Evidence,
    Screening,
]


def _add_evidence(migrator):
    """Step 3: photos and documents kept as evidence (the files themselves live outside the database)."""

    class EvidenceV3(Model):
        sha256 = CharField(max_length=64, index=True)
        kind = CharField(max_length=10)
        extension = CharField(max_length=5)
        size_bytes = IntegerField()
        width = IntegerField(null=True)
        height = IntegerField(null=True)
        original_name = CharField(max_length=200, default="")
        caption = CharField(max_length=300, default="")
        view = CharField(max_length=20, default="")
        inspection = ForeignKeyField(Inspection, null=True, on_delete="CASCADE")
        requirement = ForeignKeyField(Requirement, null=True, on_delete="SET NULL")
        input_entry = ForeignKeyField(InputEntry, null=True, on_delete="CASCADE")
        activity = ForeignKeyField(Activity, null=True, on_delete="CASCADE")
        kept_location = BooleanField(default=False)
        uploaded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
        uploaded_at = DateTimeField(default=utcnow)

        class Meta:
            database = migrator.database
            legacy_table_names = False  # index names from the table's name, as a new database has them
            table_name = "evidence"

    migrator.database.create_tables([EvidenceV3])


def _add_screening(migrator):
    """Step 4: the screening step between a recorded inspection and the committee's decision."""
    from playhouse.migrate import migrate

    class ScreeningV4(Model):
        inspection = ForeignKeyField(Inspection, on_delete="CASCADE")
        outcome = CharField(max_length=20)
        notes = TextField(default="")
        reviewer = ForeignKeyField(User, null=True, on_delete="SET NULL")
        at = DateTimeField(default=utcnow)

        class Meta:
            database = migrator.database
            legacy_table_names = False  # index names from the table's name, as a new database has them
            table_name = "screening"

    migrate(
        migrator.add_column("certifying_body", "requires_screening", BooleanField(default=False)),
        migrator.add_column("inspection", "recorded_by_id", ForeignKeyField(User, null=True, field=User.id, on_delete="SET NULL")),
    )
    migrator.database.create_tables([ScreeningV4])


def _add_diary_review(migrator):
    """Step 5: a grower's farm-diary entries carry their phone's id, and the inspector's confirmation or query."""
    from playhouse.migrate import migrate

    for table in ("input_entry", "activity"):
        present = {column.name for column in migrator.database.get_columns(table)}
        steps = []
        if "client_id" not in present:
            steps += [migrator.add_column(table, "client_id", CharField(max_length=36, null=True)),
                      migrator.add_index(table, ("client_id",), True)]
        if "review_status" not in present:
            steps += [migrator.add_column(table, "review_status", CharField(max_length=20, default="")),
                      migrator.add_column(table, "review_comment", TextField(default="")),
                      migrator.add_column(table, "reviewed_by_id",
                                          ForeignKeyField(User, null=True, field=User.id, on_delete="SET NULL")),
                      migrator.add_column(table, "reviewed_at", DateTimeField(null=True))]
        migrate(*steps)


MIGRATIONS = [_add_yield_norms, _version_the_standards, _add_evidence, _add_screening, _add_diary_review]
