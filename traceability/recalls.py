"""Recalls that follow the chain: a harvest and every batch made from it, or everything of a
household, plot or product harvested in a date range (after a prohibited input is found).

A recall is always previewed first: what it would stop (each batch, what is left of it, what
was sold). Recalling more than the one batch named needs the confirmation of whoever previewed
it; the scope is computed again inside the transaction that recalls, so a batch made between
the preview and the confirmation is recalled too.
"""
import dataclasses

from flask_babel import lazy_gettext as _l
from peewee import JOIN

from core import audit
from core.db import LARGEST_ID, utcnow, write_transaction
from core.models import Household, Plot, Product
from core.validation import Boolean, Date, Integer, Schema, Text, ValidationError
from traceability import batches, codes, making
from traceability.models import Batch, BatchEvent


class ConfirmationNeeded(Exception):
    """The recall reaches batches made from the one named: show them and ask before recalling."""

    def __init__(self, scope):
        super().__init__(scope)
        self.scope = scope


@dataclasses.dataclass
class Scope:
    """What a recall would stop: batches matched by the filters, and every batch made from them."""

    matched: list
    made: list

    @property
    def batches(self):
        return self.matched + self.made

    @property
    def to_stop(self):
        return [batch for batch in self.batches if batch.recalled_at is None]


FILTERS = ("code", "household_id", "plot_id", "product_id", "harvested_from", "harvested_to")


def filter_args(values):
    """The recall filters present in `values`, to carry from the preview to the report."""
    return {name: values[name] for name in FILTERS if values.get(name)}


class RecallFilter(Schema):
    """What a recall reaches: a batch, or a household's, plot's or product's harvests in a period."""

    code = Text(40)
    household_id = Integer(minimum=1, maximum=LARGEST_ID)
    plot_id = Integer(minimum=1, maximum=LARGEST_ID)
    product_id = Integer(minimum=1, maximum=LARGEST_ID)
    harvested_from = Date()
    harvested_to = Date()


class RecallOrder(batches.RecallReason):
    """Why the batches are recalled, and, when it reaches more than one, that the secretariat confirms it."""

    confirm = Boolean()


def clean_filters(data):
    """Read the recall's filters; at least a batch, household, plot or product must be named."""
    filters = RecallFilter.clean(data)
    if filters.get("code"):
        try:
            filters["code"] = codes.parse_code(filters["code"])
        except codes.MistypedCode:
            raise ValidationError({"code": _l("This code is mistyped. Check the label and type it again.")}) from None
    if not any(filters.get(name) for name in ("code", "household_id", "plot_id", "product_id")):
        raise ValidationError({"household_id": _l("Choose a batch, household, plot or product to recall.")})
    if filters.get("harvested_from") and filters.get("harvested_to") and filters["harvested_from"] > filters["harvested_to"]:
        raise ValidationError({"harvested_to": _l("The end of the range is before its start.")})
    return filters


def _with_details(query):
    return (query.select(Batch, Household, Product, Plot).join(Household).switch(Batch).join(Product)
            .switch(Batch).join(Plot, join_type=JOIN.LEFT_OUTER).order_by(Batch.harvest_date, Batch.id))


def scope(filters):
    """The batches a recall with these (cleaned) filters reaches, both those matched and those made from them."""
    query = Batch.select()
    if filters.get("code"):
        query = query.where(Batch.code == filters["code"])
    if filters.get("household_id"):
        query = query.where(Batch.household == filters["household_id"])
    if filters.get("plot_id"):
        query = query.where(Batch.plot == filters["plot_id"])
    if filters.get("product_id"):
        query = query.where(Batch.product == filters["product_id"])
    if filters.get("harvested_from"):
        query = query.where(Batch.harvest_date >= filters["harvested_from"])
    if filters.get("harvested_to"):
        query = query.where(Batch.harvest_date <= filters["harvested_to"])
    matched = list(_with_details(query))
    made_ids = making.made_from([batch.id for batch in matched]) - {batch.id for batch in matched}
    made = list(_with_details(Batch.select().where(Batch.id.in_(list(made_ids))))) if made_ids else []
    return Scope(matched, made)


def preview(data):
    """The filters as read, and what a recall with them would stop."""
    filters = clean_filters(data)
    return filters, scope(filters)


def recall(data, by_user):
    """Recall every batch in the filters' scope that is not recalled yet; returns the Scope recalled.

    Raises ConfirmationNeeded unless `confirm` is given when the recall reaches more than one
    batch, and ValidationError when there is nothing left to recall.
    """
    filters = clean_filters(data)
    cleaned = RecallOrder.clean(data)
    with write_transaction():
        found = scope(filters)
        stop = found.to_stop
        if not stop:
            raise ValidationError({"reason": _l("Nothing to recall: every batch in this recall is already recalled.")})
        if len(found.batches) > 1 and not cleaned.get("confirm"):
            raise ConfirmationNeeded(found)
        for batch in stop:
            stopped = (Batch.update(recalled_at=utcnow(), recall_reason=cleaned["reason"], changed_at=utcnow())
                       .where(Batch.id == batch.id, Batch.recalled_at.is_null()).execute())
            if stopped:
                BatchEvent.create(batch=batch, kind="recalled", user=by_user, note=cleaned["reason"])
                audit.record(by_user, "update", "batch", batch.id, {"recall_reason": ("", cleaned["reason"])})
    return scope(filters)
