"""Farm records the certifying body reads: plot conversion, the input log and the activity log.

An input whose name matches a standard's prohibited list is flagged when it is entered; the
flag is stored with the entry, so every later view shows it. A harvest is recorded once, as a
harvest batch (traceability): the activity log reads those batches through core.hooks, so the
farm record, the batch list and the mass balance all read the same record.
"""
import dataclasses
import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from peewee import JOIN

from certificates.models import ACTIVITIES, INPUT_TYPES, Activity, InputEntry, PlotRecord, ProhibitedInput
from core import audit, hooks
from core.db import db, utcnow
from core.models import Plot, Product
from core.validation import Form


def _household_plot(household, data, form):
    form.integer("plot_id", required=True)
    plot_id = form.cleaned.pop("plot_id", None)
    if plot_id is None:
        return None
    plot = Plot.get_or_none(Plot.id == plot_id, Plot.household == household)
    if plot is None:
        form.errors["plot_id"] = _l("Choose one of the household's plots.")
    return plot


def _not_in_future(form, field):
    value = form.cleaned.get(field)
    if value and value > utcnow().date():
        form.errors[field] = _l("The date cannot be in the future.")


def save_plot_record(plot, data, user):
    """Set when the plot's conversion to organic began and its field history."""
    form = Form(data)
    form.date("conversion_start")
    form.text("field_history", 4000)
    _not_in_future(form, "conversion_start")
    cleaned = form.finish()
    with db.atomic():
        record, _created = PlotRecord.get_or_create(plot=plot)
        changes = audit.apply_changes(record, cleaned)
        if changes:
            record.save()
            audit.record(user, "update", "plot_record", plot.id, changes)
    return record


def prohibited_reason(name):
    """Why an input is forbidden by a standard ('' if it is not): matched by keyword in its name."""
    lowered = name.lower()
    for rule in ProhibitedInput.select().order_by(ProhibitedInput.id):
        if rule.keyword.lower() in lowered:
            return f"{rule.keyword}: {rule.reason_th or rule.reason_en}".strip(": ")
    return ""


def add_input(household, data, user):
    """Log an input used on a plot; a prohibited one is accepted but flagged for the inspectors."""
    form = Form(data)
    plot = _household_plot(household, data, form)
    form.date("used_on", required=True)
    form.choice("input_type", INPUT_TYPES, required=True)
    form.text("name", 200, required=True)
    form.decimal("quantity", places=3, minimum=0, maximum=1_000_000)
    form.text("unit", 20)
    form.text("source", 200)
    _not_in_future(form, "used_on")
    cleaned = form.finish()
    with db.atomic():
        entry = InputEntry.create(
            household=household, plot=plot, recorded_by=user,
            prohibited_reason=prohibited_reason(cleaned["name"]), **cleaned,
        )
    return entry


# What the activity form records; a harvest is recorded as a harvest batch, once.
RECORDABLE_ACTIVITIES = {key: label for key, label in ACTIVITIES.items() if key != "harvest"}


def add_activity(household, data, user):
    """Log work on a plot (not a harvest: that is recorded once, as a harvest batch)."""
    form = Form(data)
    plot = _household_plot(household, data, form)
    form.date("done_on", required=True)
    form.choice("activity", RECORDABLE_ACTIVITIES, required=True)
    if (data or {}).get("activity") == "harvest":
        form.errors["activity"] = _l("Record a harvest as a harvest batch (Record a harvest): "
                                     "it is the farm record's harvest and the batch the labels are printed for.")
    form.integer("product_id")
    form.decimal("quantity", places=3, minimum=0, maximum=1_000_000)
    form.text("unit", 20)
    form.text("notes", 2000)
    _not_in_future(form, "done_on")
    product_id = form.cleaned.pop("product_id", None)
    product = Product.get_or_none(Product.id == product_id) if product_id else None
    if product_id and product is None:
        form.errors["product_id"] = _l("Choose a product from the list.")
    cleaned = form.finish()
    if product and not cleaned.get("unit"):
        cleaned["unit"] = product.unit
    with db.atomic():
        activity = Activity.create(household=household, plot=plot, product=product, recorded_by=user, **cleaned)
    return activity


def input_log(household):
    """The household's inputs, newest first, with their plots."""
    return (
        InputEntry.select(InputEntry, Plot).join(Plot)
        .where(InputEntry.household == household)
        .order_by(InputEntry.used_on.desc(), InputEntry.id.desc())
    )


@dataclasses.dataclass(frozen=True)
class FarmEntry:
    """One line of a household's activity log: work on a plot, or a harvest (then with its batch code)."""

    done_on: datetime.date
    activity: str
    plot: Plot = None
    product: Product = None
    quantity: Decimal = None
    unit: str = ""
    notes: str = ""
    activity_id: int = None
    batch_code: str = None


def activity_log(household):
    """The household's activity log, newest first: its activities and its harvests (batches)."""
    activities = (
        Activity.select(Activity, Plot, Product).join(Plot).switch(Activity).join(Product, JOIN.LEFT_OUTER)
        .where(Activity.household == household)
    )
    entries = [FarmEntry(a.done_on, a.activity, a.plot, a.product, a.quantity, a.unit, a.notes, activity_id=a.id)
               for a in activities]
    entries += hooks.farm_harvests(household)
    return sorted(entries, key=lambda entry: (entry.done_on, entry.activity_id or 0), reverse=True)


def plot_records(household):
    """Map plot id to its PlotRecord for one household (one query)."""
    return {
        record.plot_id: record
        for record in PlotRecord.select().join(Plot).where(Plot.household == household)
    }


