"""Tables of traceability: harvest batches, batches made from them, what happened to each, every label print."""
from flask_babel import lazy_gettext as _l
from peewee import BooleanField, CharField, DateField, DateTimeField, ForeignKeyField, IntegerField, TextField

from core.db import BaseModel, utcnow
from core.models import Household, OccupationGroup, Plot, Product, User

# Quantities are kept as whole thousandths of the batch's unit (grams for kg): exact sums and
# comparisons in SQL on SQLite and PostgreSQL alike, where a decimal column may become a float.
MILLI = 1000

BATCH_STATUSES = {
    "available": _l("Available"),
    "sold_out": _l("Sold out"),
    "recalled": _l("Recalled"),
    "awaiting_check": _l("Waiting for the secretariat's check"),
}

# The batch's story as the shopper reads it on the trace page.
BATCH_EVENTS = {
    "harvested": _l("Harvested"),
    "made": _l("Made from harvests"),
    "used": _l("Used to make another batch"),
    "labelled": _l("Labelled"),
    "at_market": _l("At the green market"),
    "sold_out": _l("Sold out"),
    "recalled": _l("Recalled"),
}

LABEL_TEMPLATES = {
    "a4-3x8": _l("A4 sheet, 3 × 8 labels of 70 × 37 mm"),
    "thermal-50x30": _l("Thermal roll, 50 × 30 mm"),
}


BATCH_KINDS = {
    "harvest": _l("Harvest"),
    "made": _l("Made from other batches"),
}


class Batch(BaseModel):
    """One harvest of one product by one household, or one making (bottling, packing, a craft), sold under one code."""

    code = CharField(max_length=8, unique=True)
    household = ForeignKeyField(Household, backref="batches", on_delete="RESTRICT")
    product = ForeignKeyField(Product, backref="batches", on_delete="RESTRICT")
    plot = ForeignKeyField(Plot, null=True, backref="batches", on_delete="SET NULL")
    harvest_date = DateField(index=True)
    quantity_milli = IntegerField()
    sold_milli = IntegerField(default=0)
    unit = CharField(max_length=20)
    price_satang = IntegerField(null=True)
    best_before = DateField(null=True)
    notes = TextField(default="")
    recalled_at = DateTimeField(null=True)
    recall_reason = TextField(default="")
    created_at = DateTimeField(default=utcnow)
    created_by = ForeignKeyField(User, null=True, backref="batches", on_delete="SET NULL")
    # The id a script or tablet gave this harvest, so a retry after a lost answer records it once.
    client_id = CharField(max_length=36, null=True, unique=True)
    # When stock, recall or price last changed: the offline POS asks only for what changed.
    changed_at = DateTimeField(null=True, index=True, default=utcnow)
    # A made batch's harvest_date is the day it was made; its inputs are BatchInput rows.
    kind = CharField(max_length=10, default="harvest")
    # Set when several households of one occupation group made it: its sales settle by their shares.
    occupation_group = ForeignKeyField(OccupationGroup, null=True, backref="batches", on_delete="RESTRICT")
    # A harvest a grower recorded on their phone waits for the secretariat's check: no label, no sale.
    awaiting_check = BooleanField(default=False, index=True)
    recorded_by = ForeignKeyField(User, null=True, backref="batches_recorded", on_delete="SET NULL")

    @property
    def is_made(self):
        return self.kind == "made"

    @property
    def left_milli(self):
        return self.quantity_milli - self.sold_milli

    @property
    def status(self):
        if self.recalled_at is not None:
            return "recalled"
        if self.awaiting_check:
            return "awaiting_check"
        if self.sold_milli >= self.quantity_milli:
            return "sold_out"
        return "available"


class BatchEvent(BaseModel):
    """A step in a batch's story: harvested, labelled, at the market, sold out, recalled."""

    batch = ForeignKeyField(Batch, backref="events", on_delete="CASCADE")
    kind = CharField(max_length=20)
    at = DateTimeField(default=utcnow)
    user = ForeignKeyField(User, null=True, backref="batch_events", on_delete="SET NULL")
    note = TextField(default="")

    class Meta:
        indexes = ((("batch", "kind"), False),)


class BatchInput(BaseModel):
    """How much of one batch went into making another (honey into jars, leaves into a basket)."""

    batch = ForeignKeyField(Batch, backref="inputs", on_delete="RESTRICT")
    input = ForeignKeyField(Batch, backref="uses", on_delete="RESTRICT")
    quantity_milli = IntegerField()

    class Meta:
        indexes = ((("batch", "input"), True),)


class LabelPrint(BaseModel):
    """One print of labels for a batch, with the certification claim the labels carried."""

    batch = ForeignKeyField(Batch, backref="label_prints", on_delete="CASCADE")
    template = CharField(max_length=20)
    copies = IntegerField()
    certification_state = CharField(max_length=20)
    certificate_number = CharField(max_length=30, default="")
    printed_at = DateTimeField(default=utcnow)
    user = ForeignKeyField(User, null=True, backref="label_prints", on_delete="SET NULL")


def _add_changed_at(migrator):
    """Step 1: when each batch last changed, for the offline POS's incremental refresh."""
    from playhouse.migrate import migrate

    migrate(migrator.add_column("batch", "changed_at", DateTimeField(null=True, index=True)))


def _add_client_id(migrator):
    """Step 2: the client's id for each recorded harvest, unique, so a retried POST records it once."""
    from playhouse.migrate import migrate

    migrate(migrator.add_column("batch", "client_id", CharField(max_length=36, null=True)),
            migrator.add_index("batch", ("client_id",), unique=True))


def _add_made_batches(migrator):
    """Step 3: batches made from other batches: their kind, their group, and what went into them."""
    from playhouse.migrate import migrate

    class BatchInputV3(BaseModel):
        batch = ForeignKeyField(Batch, on_delete="RESTRICT")
        input = ForeignKeyField(Batch, on_delete="RESTRICT")
        quantity_milli = IntegerField()

        class Meta:
            table_name = "batch_input"
            indexes = ((("batch", "input"), True),)

    # Only what is missing: a database rewound to an earlier step (as the upgrade tests do) may have these.
    present = {column.name for column in migrator.database.get_columns("batch")}
    if "kind" not in present:
        migrate(migrator.add_column("batch", "kind", CharField(max_length=10, default="harvest")))
    if "occupation_group_id" not in present:
        migrate(migrator.add_column("batch", "occupation_group_id",
                                    ForeignKeyField(OccupationGroup, null=True, field=OccupationGroup.id,
                                                    on_delete="RESTRICT")))
    migrator.database.create_tables([BatchInputV3], safe=True)


def _one_harvest_record(migrator):
    """Step 4: a harvest is recorded once, as a batch; drop the farm-record harvests a batch already records.

    A harvest activity with a batch of the same household, product and date was the same harvest
    typed twice. A harvest activity with no such batch stays in the farm log: it was never labelled.
    """
    migrator.database.execute_sql(
        "DELETE FROM activity WHERE activity = 'harvest' AND product_id IS NOT NULL AND EXISTS ("
        " SELECT 1 FROM batch WHERE batch.household_id = activity.household_id"
        " AND batch.product_id = activity.product_id AND batch.harvest_date = activity.done_on)")


def _add_harvest_check(migrator):
    """Step 5: harvests recorded by a grower wait for the secretariat's check, and who recorded each."""
    from playhouse.migrate import migrate

    present = {column.name for column in migrator.database.get_columns("batch")}
    if "awaiting_check" not in present:
        migrate(migrator.add_column("batch", "awaiting_check", BooleanField(default=False)),
                migrator.add_index("batch", ("awaiting_check",)))
    if "recorded_by_id" not in present:
        migrate(migrator.add_column("batch", "recorded_by_id",
                                    ForeignKeyField(User, null=True, field=User.id, on_delete="SET NULL")))


MODELS = [Batch, BatchEvent, BatchInput, LabelPrint]
MIGRATIONS = [_add_changed_at, _add_client_id, _add_made_batches, _one_harvest_record, _add_harvest_check]
