"""Batches made from other batches: bottling honey, packing mushrooms, weaving a craft.

What goes into a made batch is taken from the inputs' stock as a sale takes it, by the
database's own check (`UPDATE ... WHERE sold + used <= quantity`), so a bottling and a sale at
two counters can never take more than a harvest holds. A made batch is recorded once per
`client_id`. Recalls follow the chain both ways: up to every harvest (origins) and down to every
batch made from it (made_from). Never shows personal data.
"""
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from peewee import fn

from core import audit
from core.db import LARGEST_ID, utcnow, write_transaction
from core.i18n import format_quantity, start_of_local_day
from core.models import Household, HouseholdOccupation, OccupationGroup, Product
from core.validation import ClientId, Date, Integer, Items, Number, Schema, Text, ValidationError
from traceability import batches, codes
from traceability.models import MILLI, Batch, BatchEvent, BatchInput

MAX_INPUTS = 50  # batches that go into one making; more is a stuck scanner
DEEPEST_CHAIN = 10  # made from made from ...: deeper than this is a loop or a slip


class MadeBatchLine(Schema):
    """One batch a making took from, and how much of it went in."""

    batch_code = Text(300, required=True, example="ABCD2345")
    quantity = Number(3, minimum=Decimal("0.001"), maximum=batches.MAX_QUANTITY, required=True, example="2.5",
                      description="How much of that batch went in, in its unit")


class MadeBatchInput(batches.BatchDetails):
    """A batch made from other batches: bottled honey, packed mushrooms, a craft."""

    occupation_group_id = Integer(minimum=1, maximum=LARGEST_ID, nullable=True,
                                  description="For a group's product: inputs may be of any member household, "
                                              "and sales settle to each by its share of the inputs")
    made_on = Date(required=True)
    client_id = ClientId(_l("The making's id must be a UUID made by the tablet or script."))
    inputs = Items(MadeBatchLine, 1, MAX_INPUTS, too_few=_l("Add at least one batch it was made from."),
                   too_many=_l("At most %(n)d batches in one making.", n=MAX_INPUTS))


def _resolve_inputs(form):
    """Turn the checked input lines into [(code, quantity_milli)], naming each mistyped or repeated code."""
    cleaned, seen = [], set()
    for index, line in enumerate(form.cleaned.get("inputs") or []):
        try:
            code = codes.parse_code(line["batch_code"])
        except codes.MistypedCode:
            form.errors[f"inputs.{index}.batch_code"] = _l("This code is mistyped. Check the label and type it again.")
            continue
        if code in seen:
            form.errors[f"inputs.{index}.batch_code"] = _l("This batch is listed twice; give its quantity once.")
            continue
        seen.add(code)
        cleaned.append((code, int(line["quantity"] * MILLI)))
    return cleaned


def clean_made_batch(data):
    """Check a making: who made what, when, how much, and from which batches (each line checked)."""
    form = batches.details_form(MadeBatchInput, data)
    inputs = _resolve_inputs(form)
    cleaned = form.finish()
    cleaned["inputs"] = inputs
    return _check_made_references(cleaned)


def _check_made_references(cleaned):
    """Resolve ids and codes to rows and check the making's rules; raise with every problem found."""
    errors = {}
    household = Household.get_or_none(Household.id == cleaned.pop("household_id"))
    if household is None or household.grower_status not in batches.SELLING_GROWER_STATUSES:
        errors["household_id"] = _l("Choose a registered grower household (applicant or active).")
    product = Product.get_or_none(Product.id == cleaned.pop("product_id"))
    if product is None or not product.is_active:
        errors["product_id"] = _l("Choose an active product from the catalogue.")
    group_id = cleaned.pop("occupation_group_id")
    group = OccupationGroup.get_or_none(OccupationGroup.id == group_id) if group_id else None
    members = set()
    if group_id and group is None:
        errors["occupation_group_id"] = _l("Choose an occupation group from the list.")
    elif group is not None:
        members = {row.household_id for row in HouseholdOccupation.select().where(HouseholdOccupation.group == group)}
        if household is not None and household.id not in members:
            errors["occupation_group_id"] = _l("The maker household must be a member of this group.")
    found = {batch.code: batch for batch in Batch.select(Batch, Household, Product).join(Household)
             .switch(Batch).join(Product).where(Batch.code.in_([code for code, _q in cleaned["inputs"]]))}
    sources = []
    for index, (code, quantity) in enumerate(cleaned["inputs"]):
        source = found.get(code)
        field = f"inputs.{index}.batch_code"
        if source is None:
            errors[field] = _l("No batch has the code %(code)s.", code=codes.format_code(code))
        elif source.recalled_at is not None:
            errors[field] = _l("Batch %(code)s is recalled: it must not be used.", code=codes.format_code(code))
        elif source.awaiting_check:
            errors[field] = _l("Batch %(code)s was recorded by the grower and waits for the secretariat's check: check "
                               "it first.", code=codes.format_code(code))
        elif group is None and household is not None and source.household_id != household.id:
            errors[field] = _l("Batch %(code)s is another household's. Choose the occupation group for a group's product.",
                               code=codes.format_code(code))
        elif group is not None and source.household_id not in members:
            errors[field] = _l("Batch %(code)s is of a household outside this group.", code=codes.format_code(code))
        elif quantity > source.left_milli:
            errors[f"inputs.{index}.quantity"] = _l("Only %(left)s of batch %(code)s is left.",
                                                    left=format_quantity(source.left_milli, source.unit),
                                                    code=codes.format_code(code))
        elif cleaned["made_on"] < source.harvest_date:
            errors["made_on"] = _l("It cannot be made before batch %(code)s was harvested.", code=codes.format_code(code))
        else:
            sources.append((source, quantity))
    if cleaned["made_on"] > batches.certification.today():
        errors["made_on"] = _l("The date it was made cannot be in the future.")
    if cleaned["best_before"] and cleaned["best_before"] < cleaned["made_on"]:
        errors["best_before"] = _l("Best before cannot be earlier than the date it was made.")
    if errors:
        raise ValidationError(errors)
    cleaned.update(household=household, product=product, occupation_group=group, inputs=sources)
    cleaned["quantity_milli"] = int(cleaned.pop("quantity") * MILLI)
    cleaned["unit"] = cleaned["unit"] or product.unit
    if cleaned["price_satang"] is None:
        cleaned["price_satang"] = product.default_price_satang
    return cleaned


def record_made_batch(data, by_user):
    """Record a making once: returns (batch, created); its inputs' stock is taken in the same transaction.

    The same `client_id` again returns the first batch and takes nothing more.
    """
    existing = _already_recorded(data)
    if existing is not None:
        return existing, False
    cleaned = clean_made_batch(data)
    client_id = cleaned.pop("client_id")
    inputs = cleaned.pop("inputs")
    made_on = cleaned.pop("made_on")
    return batches.create_with_new_code(
        client_id, lambda code: _write_made_batch(code, client_id, made_on, cleaned, inputs, by_user))


class MakingId(Schema):
    """The id a tablet gave a making, read before the rest: a retry is answered without checking stock again."""

    client_id = MadeBatchInput.client_id


def _already_recorded(data):
    """The batch a retry of this making recorded already (its stock is taken, so it is not checked again)."""
    client_id = MakingId.form(data if isinstance(data, dict) else {}).cleaned.get("client_id")
    return Batch.get_or_none(Batch.client_id == client_id) if client_id else None


def _write_made_batch(code, client_id, made_on, cleaned, inputs, by_user):
    """Take each input's quantity (or refuse it, writing nothing) and write the new batch and its story."""
    with write_transaction():
        batch = Batch.create(code=code, client_id=client_id, created_by=by_user, kind="made", harvest_date=made_on,
                             **cleaned)
        for index, (source, quantity) in enumerate(inputs):
            taken = (Batch.update(sold_milli=Batch.sold_milli + quantity, changed_at=utcnow())
                     .where(Batch.id == source.id, Batch.recalled_at.is_null(),
                            Batch.sold_milli + quantity <= Batch.quantity_milli)
                     .execute())
            if not taken:
                fresh = Batch.get_by_id(source.id)
                message = (_l("Batch %(code)s was recalled meanwhile.", code=codes.format_code(source.code))
                           if fresh.recalled_at else
                           _l("Only %(left)s of batch %(code)s is left now (sold or used meanwhile).",
                              left=format_quantity(max(fresh.left_milli, 0), source.unit),
                              code=codes.format_code(source.code)))
                raise ValidationError({f"inputs.{index}.quantity": message})
            BatchInput.create(batch=batch, input=source.id, quantity_milli=quantity)
            BatchEvent.create(batch=source.id, kind="used", user=by_user, note=batch.code)
        BatchEvent.create(batch=batch, kind="made", user=by_user,
                          at=start_of_local_day(made_on))
        audit.record(by_user, "create", "batch", batch.id, {
            "code": (None, batch.code), "household": (None, cleaned["household"].code),
            "product": (None, cleaned["product"].name_th), "quantity_milli": (None, batch.quantity_milli),
            "made_from": (None, ", ".join(f"{source.code} {quantity}" for source, quantity in inputs))})
    return batch


# --- Following the chain --------------------------------------------------------------------


def made_from(batch_ids):
    """Ids of every batch made, directly or through other made batches, from any of `batch_ids`."""
    found, frontier = set(), set(batch_ids)
    for _depth in range(DEEPEST_CHAIN):
        if not frontier:
            break
        frontier = {row.batch_id for row in BatchInput.select(BatchInput.batch).where(BatchInput.input.in_(list(frontier)))}
        frontier -= found
        found |= frontier
    return found


def origins(batch, check_certification=True):
    """The harvests a made batch comes from, through any made batches between, oldest first.

    Each carries household, product and plot, for the trace page's story back to the plot, and
    `certified_then`: whether it was certified on its harvest date (None for a product never
    certified, or when not `check_certification`: a certified made batch's inputs all were).
    """
    harvests, frontier, seen = [], [batch], set()
    for _depth in range(DEEPEST_CHAIN):
        made = [item for item in frontier if item.is_made and item.id not in seen]
        if not made:
            break
        seen.update(item.id for item in made)
        frontier = []
        for item in made:
            for source in batches.input_batches(item):
                (frontier if source.is_made else harvests).append(source)
        frontier = [item for item in frontier if item.id not in seen]
    for source in harvests:
        source.certified_then = (batches.batch_certification(source, source.harvest_date).certified
                                 if check_certification and source.product.is_certifiable else None)
    return sorted(harvests, key=lambda source: (source.harvest_date, source.id))


def used_in(batch):
    """The batches made from `batch`, with how much of it each took."""
    return list(BatchInput.select(BatchInput, Batch, Product).join(Batch, on=BatchInput.batch).join(Product)
                .where(BatchInput.input == batch.id).order_by(Batch.harvest_date, Batch.id))


def used_milli(batch):
    """How much of `batch` went into making other batches (it is counted in its sold_milli too)."""
    return BatchInput.select(fn.COALESCE(fn.SUM(BatchInput.quantity_milli), 0)).where(BatchInput.input == batch.id).scalar()


def shares(batch_ids):
    """For each batch of `batch_ids`, each household's quantity of its inputs: {batch_id: {household_id: milli}}."""
    rows = (BatchInput.select(BatchInput.batch, Batch.household, fn.SUM(BatchInput.quantity_milli))
            .join(Batch, on=BatchInput.input)
            .where(BatchInput.batch.in_(list(batch_ids)))
            .group_by(BatchInput.batch, Batch.household).tuples())
    found = {}
    for batch_id, household_id, total in rows:
        found.setdefault(batch_id, {})[household_id] = int(total)
    return found


def split_by_share(amount, weights):
    """`amount` satang split by `weights` {key: weight}: whole satang that add up exactly (largest remainders)."""
    total = sum(weights.values())
    keys = sorted(weights)
    if not total:
        return {key: 0 for key in keys}
    parts = {key: amount * weights[key] // total for key in keys}
    remainders = sorted(keys, key=lambda key: (-(amount * weights[key] % total), key))
    for key in remainders[:amount - sum(parts.values())]:
        parts[key] += 1
    return parts


def group_choices():
    """Occupation groups with their member household ids, for the making form."""
    groups = list(OccupationGroup.select().order_by(OccupationGroup.name_th))
    members = {}
    for row in HouseholdOccupation.select().where(HouseholdOccupation.group.in_([g.id for g in groups])):
        members.setdefault(row.group_id, []).append(row.household_id)
    return groups, members
