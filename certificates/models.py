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


class Standard(BaseModel):
    """A named set of requirements a grower is inspected against, such as a PGS group standard."""

    code = CharField(max_length=20, unique=True)
    name_th = CharField(max_length=200)
    name_en = CharField(max_length=200, default="")
    kind = CharField(max_length=20, default="pgs")


class Requirement(BaseModel):
    """One checklist item of a standard."""

    standard = ForeignKeyField(Standard, backref="requirements", on_delete="CASCADE")
    position = IntegerField()
    text_th = CharField(max_length=400)
    text_en = CharField(max_length=400, default="")

    class Meta:
        indexes = ((("standard", "position"), True),)


class ProhibitedInput(BaseModel):
    """A substance the standard forbids; an input whose name contains `keyword` is flagged."""

    standard = ForeignKeyField(Standard, backref="prohibited_inputs", on_delete="CASCADE")
    keyword = CharField(max_length=120)
    reason_th = CharField(max_length=255, default="")
    reason_en = CharField(max_length=255, default="")


class CertifyingBody(BaseModel):
    """Who certifies: the growers' PGS committee or a third-party agency."""

    name_th = CharField(max_length=200, unique=True)
    name_en = CharField(max_length=200, default="")
    kind = CharField(max_length=20, default="pgs")


class PlotRecord(BaseModel):
    """Certification facts about a plot: when its conversion to organic began, and its history."""

    plot = ForeignKeyField(Plot, backref="records", unique=True, on_delete="CASCADE")
    conversion_start = DateField(null=True)
    field_history = TextField(default="")


class InputEntry(BaseModel):
    """One input put on a plot; flagged when the standard forbids it."""

    household = ForeignKeyField(Household, backref="input_entries", on_delete="CASCADE")
    plot = ForeignKeyField(Plot, backref="input_entries", on_delete="CASCADE")
    used_on = DateField(index=True)
    input_type = CharField(max_length=20)
    name = CharField(max_length=200)
    quantity = DecimalField(max_digits=12, decimal_places=3, null=True)
    unit = CharField(max_length=20, default="")
    source = CharField(max_length=200, default="")
    prohibited_reason = CharField(max_length=255, default="")
    recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    recorded_at = DateTimeField(default=utcnow)

    @property
    def is_prohibited(self):
        return bool(self.prohibited_reason)


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


class Inspection(BaseModel):
    """A visit to a household's farm against a standard; scheduled, then recorded, then decided."""

    household = ForeignKeyField(Household, backref="inspections", on_delete="CASCADE")
    standard = ForeignKeyField(Standard, backref="inspections")
    body = ForeignKeyField(CertifyingBody, backref="inspections")
    kind = CharField(max_length=20)
    scheduled_for = DateField()
    inspected_on = DateField(null=True)
    status = CharField(max_length=20, default="scheduled", index=True)
    findings = TextField(default="")
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)


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


def _add_yield_norms(migrator):
    """Step 1: the yield norms of the mass balance."""
    migrator.database.create_tables([YieldNorm])


MODELS = [
    Standard,
    Requirement,
    ProhibitedInput,
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
]

MIGRATIONS = [_add_yield_norms]
