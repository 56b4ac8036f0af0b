"""Rules for harvest batches: recording one, finding one by code, and what a shopper may see.

Every batch gets a fresh self-checking code. The certification claim is never stored on the
batch: it is asked of certificates.certification each time, so a suspension shows at once.
"""
import datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from peewee import JOIN, IntegrityError

from certificates import certification
from certificates.records import FarmEntry
from core import audit
from core.answers import Str
from core.db import LARGEST_ID, Prepared, db, utcnow, write_transaction
from core.i18n import start_of_local_day
from core.models import UNITS, Household, Plot, Product
from core.validation import (
    Choice,
    ClientId,
    Date,
    Integer,
    Money,
    NotFound,
    Number,
    Paging,
    Schema,
    Text,
    ValidationError,
    local_today,
)
from traceability import codes
from traceability.models import BATCH_STATUSES, MILLI, Batch, BatchEvent, BatchInput, LabelPrint

MAX_QUANTITY = Decimal(1_000_000)  # units in one batch; more is a typing slip
MAX_PRICE_SATANG = 10_000_000 * 100
CODE_ATTEMPTS = 5  # fresh codes tried if one is taken (about one chance in 10**7 each)
SELLING_GROWER_STATUSES = ("applicant", "active")
HARVEST_MAX_AGE = datetime.timedelta(days=366)  # an older harvest is a mistyped year, not a new batch
BEST_BEFORE_MAX = datetime.timedelta(days=3653)  # ten years after the harvest: honey keeps, nothing keeps longer


class UnknownCode(NotFound):
    """A well-formed code that no batch has."""


def quantity_text(milli):
    """Thousandths as a plain decimal string with three places, for the API ("12.500")."""
    return f"{Decimal(int(milli)) / MILLI:.3f}"


class Quantity(Str):
    """A quantity the API answers with three decimals ("12.500"); its source is the thousandths."""

    def __init__(self, source, **options):
        super().__init__(source, example="12.500", **options)

    def write(self, value):
        return quantity_text(value)

    def type_schema(self):
        return {"type": "string", "pattern": r"^-?\d+\.\d{3}$"}


def _to_milli(value):
    return int(value * MILLI)


class BatchDetails(Schema):
    """What every batch states, harvested or made: whose, what, how much, at what price, until when."""

    household_id = Integer(minimum=1, maximum=LARGEST_ID, required=True)
    product_id = Integer(minimum=1, maximum=LARGEST_ID, required=True)
    quantity = Number(3, minimum=Decimal("0.001"), maximum=MAX_QUANTITY, required=True, example="12.5",
                      description="In the unit; up to three decimals (a string keeps it exact)")
    unit = Choice(UNITS, description="Defaults to the product's unit")
    price_satang = Integer(minimum=0, maximum=MAX_PRICE_SATANG, nullable=True,
                           description="Price per unit in satang; defaults to the product's")
    price = Money(nullable=True, description="The same price in baht, as the form sends it; "
                                             "ignored when price_satang is given")
    best_before = Date(nullable=True)
    notes = Text(1000)


class HarvestInput(BatchDetails):
    """A harvest batch as recorded by the secretariat, the grower's phone or a script."""

    plot_id = Integer(minimum=1, maximum=LARGEST_ID, nullable=True)
    harvest_date = Date(
        required=True, earliest=lambda: local_today() - HARVEST_MAX_AGE, latest=local_today,
        too_early=_l("A harvest more than a year ago cannot be recorded: check the year (B.E. 2569 is C.E. 2026)."),
        too_late=_l("The harvest date is in the future: record the harvest when it is picked."),
        description="Not in the future, nor more than a year ago")
    client_id = ClientId(_l("The harvest's id must be a UUID made by the tablet or script."),
                         description="Your id for this harvest: the same id again records nothing new")


class BatchFilter(Paging):
    """What a list of batches is narrowed to."""

    household_id = Integer(minimum=1, maximum=LARGEST_ID)
    product_id = Integer(minimum=1, maximum=LARGEST_ID)
    harvested_from = Date()
    harvested_to = Date()
    status = Choice(BATCH_STATUSES)


def details_form(schema, data):
    """Read a batch's input with `schema`; its price comes in satang or, as the form sends it, in baht."""
    in_satang = "price_satang" in (data or {})
    form = schema.form(data, omit=("price",) if in_satang else ("price_satang",))
    if not in_satang:
        form.cleaned["price_satang"] = form.cleaned.pop("price", None)
        if "price" in form.errors:
            form.errors["price_satang"] = form.errors.pop("price")
    return form


def clean_batch(data):
    """Check batch input; quantity becomes thousandths, price (baht or satang) becomes satang."""
    form = details_form(HarvestInput, data)
    _check_best_before(form)
    cleaned = form.finish()
    return _check_references(cleaned)


def _check_best_before(form):
    """A best-before date lies after the harvest, and not ten years on."""
    harvested, best_before = form.cleaned.get("harvest_date"), form.cleaned.get("best_before")
    if harvested and best_before:
        if best_before < harvested:
            form.errors["best_before"] = _l("The best-before date cannot be before the harvest.")
        elif best_before > harvested + BEST_BEFORE_MAX:
            form.errors["best_before"] = _l("The best-before date is more than ten years after the harvest: check the year.")


def _check_references(cleaned):
    """Resolve the ids to rows and check they belong together; raise with every problem found."""
    errors = {}
    household = Household.get_or_none(Household.id == cleaned.pop("household_id"))
    if household is None:
        errors["household_id"] = _l("Choose a household from the list.")
    elif household.grower_status not in SELLING_GROWER_STATUSES:
        errors["household_id"] = _l("Only a registered grower household (applicant or active) can record a harvest.")
    product = Product.get_or_none(Product.id == cleaned.pop("product_id"))
    if product is None or not product.is_active:
        errors["product_id"] = _l("Choose an active product from the catalogue.")
    plot_id = cleaned.pop("plot_id")
    plot = Plot.get_or_none(Plot.id == plot_id) if plot_id else None
    if plot_id and (plot is None or (household is not None and plot.household_id != household.id)):
        errors["plot_id"] = _l("Choose one of this household's plots.")
    if errors:
        raise ValidationError(errors)
    cleaned.update(household=household, product=product, plot=plot)
    cleaned["quantity_milli"] = _to_milli(cleaned.pop("quantity"))
    cleaned["unit"] = cleaned["unit"] or product.unit
    if cleaned["price_satang"] is None:
        cleaned["price_satang"] = product.default_price_satang
    return cleaned


def create_batch(data, by_user, recorded_by=None):
    """Record a harvest batch under a new code, with the first step of its story."""
    return record_batch(data, by_user, recorded_by)[0]


def _grower_recording(cleaned, by_user, recorded_by):
    """Who recorded the harvest (a grower on their phone, or None), checked against the batch's household.

    A grower records only their own household's harvests, and what they record waits for the
    secretariat's check (check_harvest) before it may be labelled or sold.
    """
    recorded_by = recorded_by or (by_user if by_user is not None and by_user.role == "grower" else None)
    if recorded_by is not None and recorded_by.role == "grower" and recorded_by.household_id != cleaned["household"].id:
        raise ValidationError({"household_id": _l("A grower records only their own household's harvests.")})
    return recorded_by


def record_batch(data, by_user, recorded_by=None):
    """Record a harvest once: returns (batch, created). The same `client_id` again returns the first batch.

    A tablet on the market's Wi-Fi that lost the answer sends the harvest again; without its id
    that would be two batches, double stock and a false mass balance. A harvest `recorded_by` a
    grower waits for the secretariat's check.
    """
    cleaned = clean_batch(data)
    recorded_by = _grower_recording(cleaned, by_user, recorded_by)
    cleaned.update(recorded_by=recorded_by, awaiting_check=recorded_by is not None and recorded_by.role == "grower")
    client_id = cleaned.pop("client_id")
    if client_id is not None:
        existing = Batch.get_or_none(Batch.client_id == client_id)
        if existing is not None:
            return existing, False
    return create_with_new_code(client_id, lambda code: _write_harvest(code, client_id, cleaned, by_user))


def _write_harvest(code, client_id, cleaned, by_user):
    """Write the harvest batch, its first event and its audit entry in one transaction."""
    with db.atomic():
        batch = Batch.create(code=code, client_id=client_id, created_by=by_user, **cleaned)
        BatchEvent.create(batch=batch, kind="harvested", user=by_user,
                          at=start_of_local_day(batch.harvest_date))
        audit.record(by_user, "create", "batch", batch.id, {
            "code": (None, batch.code), "household": (None, batch.household.code),
            "product": (None, batch.product.name_th), "quantity_milli": (None, batch.quantity_milli),
            "unit": (None, batch.unit)})
    return batch


def create_with_new_code(client_id, write):
    """Write a new batch under a fresh code, drawing another when it is taken; returns (batch, created).

    `write(code)` writes the batch in its own transaction. A clash on `client_id` is not a taken
    code: two retries of one harvest or making raced and the unique id let one in, which is returned.
    """
    for _attempt in range(CODE_ATTEMPTS):
        code = codes.new_code()
        try:
            return write(code), True
        except IntegrityError:
            if client_id is not None:
                existing = Batch.get_or_none(Batch.client_id == client_id)
                if existing is not None:
                    return existing, False
            if not Batch.select().where(Batch.code == code).exists():
                raise
    raise RuntimeError("no free batch code after several attempts")


def check_harvest(batch, by_user, changes):
    """The secretariat checks a harvest a grower recorded: corrects what `changes` names, and frees it for labels and sale.

    `changes` holds form fields as clean_batch reads them (quantity, price, harvest_date, plot_id,
    product_id, best_before, notes); the household stays the grower's. Audited with what changed.
    """
    if not batch.awaiting_check:
        raise ValidationError({"batch": _l("This harvest was checked already.")})
    current = check_values(batch)
    given = {key: value for key, value in (changes or {}).items() if key not in ("household_id", "client_id")}
    if "price_satang" in given:
        current.pop("price")
    cleaned = clean_batch({**current, **given, "household_id": batch.household_id})
    cleaned.pop("client_id")
    with write_transaction():
        checked = Batch.update(awaiting_check=False, changed_at=utcnow()).where(
            (Batch.id == batch.id) & (Batch.awaiting_check == True)).execute()  # noqa: E712 - SQL
        if checked != 1:
            raise ValidationError({"batch": _l("This harvest was checked already.")})
        batch.awaiting_check = False
        recorded = audit.apply_changes(batch, {key: value for key, value in cleaned.items() if key != "household"})
        batch.changed_at = utcnow()
        batch.save()
        audit.record(by_user, "check", "batch", batch.id, {
            "awaiting_check": (True, False),
            **{key: _audit_value(old, new) for key, (old, new) in recorded.items()}})
    return batch


def check_values(batch):
    """A harvest's fields as its form reads them (ISO dates, baht), to check and correct it."""
    return {"product_id": str(batch.product_id), "plot_id": str(batch.plot_id or ""),
            "harvest_date": batch.harvest_date.isoformat(), "quantity": quantity_text(batch.quantity_milli),
            "unit": batch.unit, "notes": batch.notes,
            "price": "" if batch.price_satang is None else f"{Decimal(batch.price_satang) / 100:.2f}",
            "best_before": batch.best_before.isoformat() if batch.best_before else ""}


def _audit_value(old, new):
    """Rows in a change are named by their id, so the audit log's JSON can hold them."""
    return tuple(getattr(value, "id", value) for value in (old, new))


class RecallReason(Schema):
    """Why a batch is recalled: shoppers read it on the trace page."""

    reason = Text(1000, required=True)


def recall_batch(batch, data, by_user):
    """Recall a batch with a reason: from now on the POS refuses it and its trace page warns shoppers."""
    reason = RecallReason.clean(data)["reason"]
    with db.atomic():
        recalled = (Batch.update(recalled_at=utcnow(), recall_reason=reason, changed_at=utcnow())
                    .where(Batch.id == batch.id, Batch.recalled_at.is_null()).execute())
        if not recalled:
            raise ValidationError({"reason": _l("This batch is already recalled.")})
        BatchEvent.create(batch=batch, kind="recalled", user=by_user, note=reason)
        audit.record(by_user, "update", "batch", batch.id, {"recall_reason": ("", reason)})
    return Batch.get_by_id(batch.id)


_BATCH_BY_CODE = Prepared(lambda code: (
    Batch.select(Batch, Household, Product, Plot)
    .join(Household).switch(Batch).join(Product).switch(Batch).join(Plot, join_type=JOIN.LEFT_OUTER)
    .where(Batch.code == code).limit(1)))


# What the trace page shows of a batch (not what a sale changes: sold quantity, changed_at), with
# the ids its certification is read by first.
_TRACE_ROWS = Prepared(lambda code: (
    Batch.select(Batch.id, Batch.household, Batch.product, Batch.plot, Batch.kind, Batch.harvest_date,
                 Batch.best_before, Batch.price_satang, Batch.unit, Batch.recalled_at, Batch.recall_reason,
                 Batch.awaiting_check,
                 Household.display_name, Household.code, Household.village_no, Product, Plot.name, Plot.area_m2)
    .join(Household).switch(Batch).join(Product).switch(Batch).join(Plot, join_type=JOIN.LEFT_OUTER)
    .where(Batch.code == code).limit(1)))


def trace_fingerprint(text):
    """The raw rows the trace page of a code is made from (batch, certificates, story), to key the rendered page.

    MistypedCode and UnknownCode as find_batch.
    """
    code = codes.parse_code(text)
    found = _TRACE_ROWS.values(code)
    if not found:
        raise UnknownCode(code)
    row = found[0]
    batch_id, household_id, product_id, plot_id = row[:4]
    return row, tuple(certification.certificate_rows(household_id, product_id, plot_id)), tuple(_STORY.values(batch_id))


def find_batch(text):
    """The batch a typed or scanned code means: MistypedCode if it cannot be a code, UnknownCode if none has it."""
    code = codes.parse_code(text)
    batch = _BATCH_BY_CODE.first(code)
    if batch is None:
        raise UnknownCode(code)
    return batch


def farm_harvests(household):
    """The household's harvests as lines of its farm activity log: each batch is the harvest record."""
    query = (Batch.select(Batch, Product, Plot).join(Product).switch(Batch).join(Plot, join_type=JOIN.LEFT_OUTER)
             .where(Batch.household == household))
    return [FarmEntry(batch.harvest_date, "harvest", batch.plot if batch.plot_id else None, batch.product,
                      Decimal(quantity_text(batch.quantity_milli)), batch.unit, batch.notes, batch_code=batch.code)
            for batch in query]


def batch_certification(batch, on=None):
    """The certification claim a batch may carry today: the household's for the product, and its plot in scope."""
    if batch.is_made:
        return made_certification(batch, on)
    return certification.certification_status(batch.household, batch.product, on, plot_id=batch.plot_id)


def made_certification(batch, on=None):
    """A made batch's claim: every certifiable input certified on its harvest date, and the maker if making is certified."""
    if not batch.product.is_certifiable:
        return certification.CertificationStatus("not_certifiable")
    sources = [source for source in input_batches(batch) if source.product.is_certifiable]
    if not sources:
        return certification.CertificationStatus("input_not_certified")
    certificate = None
    for source in sources:
        status = batch_certification(source, source.harvest_date)
        if not status.certified:
            return certification.CertificationStatus("input_not_certified", status.certificate)
        certificate = certificate or status.certificate
    if batch.product.making_certified:
        maker = certification.certification_status(batch.household, batch.product, on)
        if not maker.certified:
            lapsed = maker.state in ("suspended", "revoked", "expired", "not_yet_valid")
            return certification.CertificationStatus(maker.state if lapsed else "maker_not_certified", maker.certificate)
        certificate = maker.certificate
    return certification.CertificationStatus("certified", certificate)


def input_batches(batch):
    """The batches `batch` was made from, each with `used_milli` set, household, product and plot joined."""
    rows = (BatchInput.select(BatchInput, Batch, Household, Product, Plot)
            .join(Batch, on=BatchInput.input).join(Household).switch(Batch).join(Product)
            .switch(Batch).join(Plot, join_type=JOIN.LEFT_OUTER)
            .where(BatchInput.batch == batch.id)
            .order_by(Batch.harvest_date, Batch.id))
    found = []
    for row in rows:
        row.input.used_milli = row.quantity_milli
        found.append(row.input)
    return found


def sale_block(batch, status=None):
    """Why the counter refuses this batch whatever the quantity, or None: recalled, sold out, or a
    certifiable product without a certificate that holds (the certification state's name).

    `status` is the batch's certification when the caller has it already.
    """
    if batch.status != "available":
        return batch.status
    if batch.product.is_certifiable:
        status = status or batch_certification(batch)
        if not status.certified:
            return status.state
    return None


def search_batches(household_id=None, product_id=None, harvested_from=None, harvested_to=None,
                   status=None, code_fragment="", unlabelled_since=None):
    """Batches matching the filters, newest harvest first, with household, product and plot joined.

    `unlabelled_since`: only batches on sale (not recalled, not sold out) harvested since that
    date that were never labelled.
    """
    query = (
        Batch.select(Batch, Household, Product, Plot)
        .join(Household).switch(Batch).join(Product).switch(Batch).join(Plot, join_type=JOIN.LEFT_OUTER)
        .order_by(Batch.harvest_date.desc(), Batch.id.desc())
    )
    if household_id:
        query = query.where(Batch.household == household_id)
    if product_id:
        query = query.where(Batch.product == product_id)
    if harvested_from:
        query = query.where(Batch.harvest_date >= harvested_from)
    if harvested_to:
        query = query.where(Batch.harvest_date <= harvested_to)
    if status == "recalled":
        query = query.where(Batch.recalled_at.is_null(False))
    elif status == "awaiting_check":
        query = query.where(Batch.recalled_at.is_null(), Batch.awaiting_check == True)  # noqa: E712 - SQL
    elif status == "sold_out":
        query = query.where(Batch.recalled_at.is_null(), Batch.awaiting_check == False,  # noqa: E712 - SQL
                            Batch.sold_milli >= Batch.quantity_milli)
    elif status == "available":
        query = query.where(Batch.recalled_at.is_null(), Batch.awaiting_check == False,  # noqa: E712 - SQL
                            Batch.sold_milli < Batch.quantity_milli)
    if code_fragment:
        fragment = code_fragment.replace("-", "").replace(" ", "").upper()
        query = query.where(Batch.code.contains(fragment))
    if unlabelled_since:
        query = query.where(Batch.harvest_date >= unlabelled_since, Batch.recalled_at.is_null(),
                            Batch.sold_milli < Batch.quantity_milli,
                            Batch.id.not_in(LabelPrint.select(LabelPrint.batch)))
    return query


_STORY = Prepared(lambda batch_id: (
    BatchEvent.select().where(BatchEvent.batch == batch_id).order_by(BatchEvent.at, BatchEvent.id)))


def story(batch):
    """The batch's steps for the trace page: the first of each kind, in the order they happened."""
    first = {}
    for event in _STORY.rows(batch.id):
        first.setdefault(event.kind, event)
    return sorted(first.values(), key=lambda event: (event.at, event.id))


def trace_url(base_url, code):
    """The public address a label's QR code opens."""
    return f"{base_url.rstrip('/')}/b/{code}"
