"""Farm records the certifying body reads: plot conversion, the input log and the activity log.

An input is picked from the register (certificates.inputs); what the standard says of it is
read when the log is shown, so a later classification applies to past entries. A plot's
conversion runs from its declared start, or from the last prohibited input put on it if later.
A harvest is recorded once, as a harvest batch (traceability): the activity log reads those
batches through core.hooks, so the farm record, the batch list and the mass balance all read
the same record.
"""
import calendar
import dataclasses
import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from peewee import JOIN

from certificates import inputs, standards
from certificates.models import (
    ACTIVITIES,
    INPUT_TYPES,
    REVIEW_STATES,
    Activity,
    InputEntry,
    InputRuling,
    PlotRecord,
    RegisteredInput,
)
from core import audit, hooks
from core.db import LARGEST_ID, db, utcnow
from core.models import Plot, Product, User
from core.validation import Choice, Date, Integer, Number, Schema, Text, ValidationError, local_today


def _household_plot(household, form):
    """The household's plot the form's `plot_id` names (taken out of the cleaned values), else an error."""
    plot_id = form.cleaned.pop("plot_id", None)
    if plot_id is None:
        return None
    plot = Plot.get_or_none(Plot.id == plot_id, Plot.household == household)
    if plot is None:
        form.errors["plot_id"] = _l("Choose one of the household's plots.")
    return plot


# What a farm record says when a date lies ahead of today.
IN_THE_FUTURE = _l("The date cannot be in the future.")


class PlotRecordInput(Schema):
    """A plot's conversion to organic (begun, verified by an inspection) and its history."""

    conversion_start = Date(latest=local_today, too_late=IN_THE_FUTURE)
    conversion_verified_on = Date(latest=local_today, too_late=IN_THE_FUTURE)
    field_history = Text(4000)


def save_plot_record(plot, data, user):
    """Set when the plot's conversion to organic began (and when an inspection verified it), and its history."""
    form = PlotRecordInput.form(data)
    if form.cleaned.get("conversion_verified_on") and not form.cleaned.get("conversion_start"):
        form.errors["conversion_verified_on"] = _l("Give the conversion start that the inspection verified.")
    cleaned = form.finish()
    with db.atomic():
        record, _created = PlotRecord.get_or_create(plot=plot)
        audit.save_with_audit(user, record, "plot_record", cleaned, entity_id=plot.id)
    return record


class InputEntryInput(Schema):
    """An input used on a plot, as the farm diary records it."""

    plot_id = Integer(minimum=1, maximum=LARGEST_ID, required=True)
    used_on = Date(required=True, latest=local_today, too_late=IN_THE_FUTURE)
    input_type = Choice(INPUT_TYPES, required=True)
    name = Text(200, required=True, description="Linked to the input register when the name is known there")
    quantity = Number(3, minimum=0, maximum=1_000_000)
    unit = Text(20)
    source = Text(200)


def add_input(household, data, user):
    """Log an input used on a plot, linked to the register when its name is known there.

    A prohibited input is accepted (the log must say what happened) and flagged; an unknown one
    waits for the certifying body's review.
    """
    form = InputEntryInput.form(data)
    plot = _household_plot(household, form)
    cleaned = form.finish()
    with db.atomic():
        entry = InputEntry.create(household=household, plot=plot, recorded_by=user,
                                  input=inputs.find_input(cleaned["name"]), **cleaned)
    return entry


# What the activity form records; a harvest is recorded as a harvest batch, once.
RECORDABLE_ACTIVITIES = {key: label for key, label in ACTIVITIES.items() if key != "harvest"}


class ActivityInput(Schema):
    """Work on a plot as the farm diary records it; a harvest is recorded as a batch instead."""

    plot_id = Integer(minimum=1, maximum=LARGEST_ID, required=True)
    done_on = Date(required=True, latest=local_today, too_late=IN_THE_FUTURE)
    activity = Choice(RECORDABLE_ACTIVITIES, required=True)
    product_id = Integer(minimum=1, maximum=LARGEST_ID, nullable=True)
    quantity = Number(3, minimum=0, maximum=1_000_000)
    unit = Text(20, description="Defaults to the product's unit")
    notes = Text(2000)


def add_activity(household, data, user):
    """Log work on a plot (not a harvest: that is recorded once, as a harvest batch)."""
    form = ActivityInput.form(data)
    plot = _household_plot(household, form)
    if (data or {}).get("activity") == "harvest":
        form.errors["activity"] = _l("Record a harvest as a harvest batch (Record a harvest): "
                                     "it is the farm record's harvest and the batch the labels are printed for.")
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


def entry_state(entry):
    """One entry's state under the standard its household is judged by (see certificates.inputs)."""
    return inputs.entry_state(entry, inputs.household_rulings(entry.household))


def input_log(household):
    """The household's inputs, newest first, with their plots; each carries `state` and `ruling`."""
    rulings = inputs.household_rulings(household)
    entries = list(
        InputEntry.select(InputEntry, Plot, RegisteredInput, User).join(Plot)
        .switch(InputEntry).join(RegisteredInput, JOIN.LEFT_OUTER)
        .switch(InputEntry).join(User, JOIN.LEFT_OUTER, on=(InputEntry.recorded_by == User.id))
        .where(InputEntry.household == household)
        .order_by(InputEntry.used_on.desc(), InputEntry.id.desc())
    )
    for entry in entries:
        entry.state = inputs.entry_state(entry, rulings)
        entry.ruling = rulings.get(entry.input_id)
        entry.by_grower = recorded_by_grower(entry)
    return entries


def recorded_by_grower(entry):
    """True when a grower of the household wrote the entry on their phone (the inspector reviews those)."""
    return entry.recorded_by_id is not None and entry.recorded_by.role == "grower"


class DiaryReview(Schema):
    """The inspector's word on a farm-diary entry: confirmed, or queried with what to check."""

    review_status = Choice([key for key in REVIEW_STATES if key], required=True)
    review_comment = Text(1000)


def review_entry(entry, data, user):
    """Confirm a farm-diary entry or query it with a comment; the grower sees both on their phone."""
    cleaned = DiaryReview.clean(data)
    if cleaned["review_status"] == "queried" and not cleaned["review_comment"]:
        raise ValidationError({"review_comment": _l("Say what the grower should check or add.")})
    with db.atomic():
        changes = audit.apply_changes(entry, cleaned)
        entry.reviewed_by, entry.reviewed_at = user, utcnow()
        entry.save()
        audit.record(user, "update", entry._meta.table_name, entry.id, changes)
    return entry


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
    by_grower: bool = False
    review_status: str = ""
    review_comment: str = ""


def activity_log(household):
    """The household's activity log, newest first: its activities and its harvests (batches)."""
    activities = (
        Activity.select(Activity, Plot, Product, User).join(Plot).switch(Activity).join(Product, JOIN.LEFT_OUTER)
        .switch(Activity).join(User, JOIN.LEFT_OUTER, on=(Activity.recorded_by == User.id))
        .where(Activity.household == household)
    )
    entries = [FarmEntry(a.done_on, a.activity, a.plot, a.product, a.quantity, a.unit, a.notes, activity_id=a.id,
                         by_grower=recorded_by_grower(a), review_status=a.review_status, review_comment=a.review_comment)
               for a in activities]
    entries += hooks.farm_harvests(household)
    return sorted(entries, key=lambda entry: (entry.done_on, entry.activity_id or 0), reverse=True)


def plot_records(household):
    """Map plot id to its PlotRecord for one household (one query)."""
    return {
        record.plot_id: record
        for record in PlotRecord.select().join(Plot).where(Plot.household == household)
    }


def add_months(day, months):
    """The same day `months` later (the month's last day when it has fewer days)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclasses.dataclass(frozen=True)
class Conversion:
    """A plot's dated conversion: from when, why from then, and when produce of a category may be certified."""

    plot_id: int
    starts_on: datetime.date
    basis: str  # declared or prohibited_input
    verified_on: datetime.date = None
    months: int = 0
    ends_on: datetime.date = None

    def running(self, on):
        return on < self.ends_on


CONVERSION_BASES = {
    "declared": _l("declared"),
    "prohibited_input": _l("from the last prohibited input"),
}


def last_prohibited_input(plot, version):
    """The date of the last input `version` prohibits that was put on `plot`, or None."""
    last = (InputEntry.select(InputEntry.used_on).join(InputRuling, on=(InputRuling.input == InputEntry.input))
            .where(InputEntry.plot == plot, InputRuling.version == version, InputRuling.ruling == "prohibited")
            .order_by(InputEntry.used_on.desc()).first())
    return last.used_on if last else None


def conversion(plot, category, version=None):
    """The plot's conversion for produce of `category`, or None when no start is dated.

    It starts on the declared date, or the day after the last prohibited input if that is later,
    and lasts the months the standard's version asks for the category.
    """
    if version is None:
        standard = inputs.standard_for(plot.household)
        version = standards.current_version(standard) if standard else None
    record = PlotRecord.get_or_none(PlotRecord.plot == plot)
    declared = record.conversion_start if record else None
    prohibited = last_prohibited_input(plot, version) if version else None
    if prohibited is not None:
        prohibited += datetime.timedelta(days=1)
    if declared is None and prohibited is None:
        return None
    if prohibited is not None and (declared is None or prohibited > declared):
        starts_on, basis, verified_on = prohibited, "prohibited_input", None
    else:
        starts_on, basis, verified_on = declared, "declared", record.conversion_verified_on
    months = standards.conversion_months(version, category)
    return Conversion(plot.id, starts_on, basis, verified_on, months, add_months(starts_on, months))


def running_conversion(household, category, on, plot=None):
    """The conversion running on `on` on the plot (or the earliest-ending one of the household's plots), or None."""
    plots = [plot] if plot is not None else list(Plot.select().where(Plot.household == household))
    running = [c for c in (conversion(p, category) for p in plots) if c is not None and c.running(on)]
    return min(running, key=lambda c: c.ends_on) if running else None


def plot_conversions(household):
    """Map plot id to {category: Conversion} for the categories the household's standard dates."""
    from core.models import CATEGORIES

    standard = inputs.standard_for(household)
    version = standards.current_version(standard) if standard else None
    found = {}
    for plot in Plot.select().where(Plot.household == household):
        by_category = {c: conversion(plot, c, version) for c in CATEGORIES if c != "handicraft"}
        if any(by_category.values()):
            found[plot.id] = by_category
    return found
