"""Selling at the counter: may this batch be sold, record a sale exactly once, void, refund.

A sale is written with its lines and the stock they take in one transaction. The stock check
is the database's: `UPDATE batch SET sold = sold + q WHERE sold + q <= limit`, so two counters
selling the last kilogram at the same moment cannot both succeed. The POS gives every sale its
own id; the same id again returns the sale already recorded and writes nothing.
"""
import dataclasses
import datetime
import secrets
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from peewee import JOIN, IntegrityError, Select, Value, fn

from certificates.models import Certificate, CertificateEvent
from core.db import LARGEST_ID, Prepared, is_sqlite, utcnow, write_transaction
from core.i18n import format_baht, format_date, format_quantity, local_time
from core.models import Household, Product
from core.validation import (
    Choice,
    ClientId,
    Date,
    Integer,
    Items,
    Money,
    Nested,
    Number,
    Schema,
    Text,
    ValidationError,
    local_today,
)
from market import settings
from market.models import PAYMENT_METHODS, MarketDay, Refund, Sale, SaleLine
from traceability import batches, codes
from traceability.models import MILLI, Batch, BatchEvent, BatchInput

MAX_LINES = 100  # lines in one sale; more is a stuck scanner
MAX_LINE_QUANTITY = Decimal(100_000)
MAX_TENDERED_SATANG = 10_000_000 * 100

# Why a batch cannot be sold, in words for the cashier (and the shopper in front of them).
REFUSALS = {
    "recalled": _l("Recalled: this batch must not be sold. Put it aside."),
    "awaiting_check": _l("Recorded by the grower and not yet checked by the secretariat: it cannot be sold yet."),
    "sold_out": _l("Sold out: all of this batch has been sold already."),
    "not_enough": _l("Not enough left: only %(left)s of this batch can still be sold."),
    "suspended": _l("Certificate suspended: this household may not sell this product as organic now."),
    "revoked": _l("Certificate revoked: this household may not sell this product as organic."),
    "expired": _l("Certificate expired: this household must be certified again before selling."),
    "not_yet_valid": _l("Certificate not yet valid: this product cannot be sold yet."),
    "not_in_scope": _l("Not certified for this product or plot: it cannot be sold at the green market."),
    "in_conversion": _l("In conversion, not yet certified: it cannot be sold at the green market."),
    "none": _l("Not certified: it cannot be sold at the green market."),
    "input_not_certified": _l("Made from a batch that was not certified when harvested: it cannot be sold as organic."),
    "maker_not_certified": _l("The maker is not certified for making this product: it cannot be sold at the green market."),
    "price_changed": _l("The price of this batch is now %(price)s. Scan it again."),
    "no_price": _l("This batch has no price. Enter the price per unit."),
    "mistyped_code": _l("This code is mistyped. Check the label and scan or type it again."),
    "not_found": _l("No batch has this code. It may not be registered yet."),
}


class SaleRefused(Exception):
    """A sale that cannot be recorded because of its lines; `refusals` say which and why."""

    def __init__(self, refusals):
        super().__init__(refusals)
        self.refusals = refusals


@dataclasses.dataclass(frozen=True)
class Refusal:
    """Why one line cannot be sold: a stable code for programs and a message for people."""

    code: str
    message: str
    index: int = None
    batch_code: str = None

    def as_dict(self):
        return {"index": self.index, "batch_code": self.batch_code, "code": self.code, "message": str(self.message)}


def _tolerance_limit(batch):
    """The most of a batch that may be sold: its quantity plus the weighing tolerance."""
    return batch.quantity_milli * (10_000 + settings.tolerance_basis_points()) // 10_000


def sellable_milli(batch):
    """How much more of the batch may be sold, tolerance included (never below zero)."""
    return max(_tolerance_limit(batch) - batch.sold_milli, 0)


def refusal_for(batch, wanted_milli=0, status=None):
    """Why `batch` cannot be sold now (wanting `wanted_milli` more of it), or None when it can.

    `status` is the batch's certification when the caller has it already.
    """
    if batch.recalled_at is not None:
        return Refusal("recalled", REFUSALS["recalled"])
    if batch.awaiting_check:
        return Refusal("awaiting_check", REFUSALS["awaiting_check"])
    if batch.product.is_certifiable:
        status = status or batches.batch_certification(batch)
        if not status.certified:
            if status.state == "in_conversion" and status.conversion_ends:
                return Refusal(status.state, _l("In conversion until %(date)s, not yet certified: it cannot be sold "
                                                "at the green market.", date=format_date(status.conversion_ends)))
            return Refusal(status.state, REFUSALS.get(status.state, REFUSALS["none"]))
    if batch.sold_milli >= batch.quantity_milli:
        return Refusal("sold_out", REFUSALS["sold_out"])
    left = _tolerance_limit(batch) - batch.sold_milli
    if wanted_milli > left:
        return Refusal("not_enough", _l("Not enough left: only %(left)s of this batch can still be sold.",
                                        left=format_quantity(max(left, 0), batch.unit)))
    return None


def lookup(scan, base_url):
    """The batch a scan or typed code means and why it cannot be sold (None if it can).

    Raises codes.MistypedCode or batches.UnknownCode for a scan that is not one of our batches.
    """
    code = codes.code_from_scan(scan, base_url)
    batch = batches.find_batch(code)
    return batch, refusal_for(batch)


MARKET_DAY_WINDOW = datetime.timedelta(days=31)  # a market day is opened near its date, not a month away
OFFLINE_HARVEST_DAYS = 90  # a full refresh of the offline POS covers batches harvested this recently


def batches_for_counter(since=None, now=None):
    """The batches a counter keeps for selling offline: all recent ones, or only what changed since.

    A change is a sale, void, refund or recall of the batch (its changed_at), or any certificate
    event of its household or, for a made batch, of a household whose harvest went into it. A new day
    (certificates expire at midnight) asks for everything again.
    """
    now = now or utcnow()
    query = Batch.select(Batch, Household, Product).join(Household).switch(Batch).join(Product)
    full = since is None or local_time(since).date() != local_time(now).date()
    if full:
        recent = local_time(now).date() - datetime.timedelta(days=OFFLINE_HARVEST_DAYS)
        query = query.where((Batch.harvest_date >= recent) | (Batch.sold_milli < Batch.quantity_milli))
    else:
        touched = (Certificate.select(Certificate.household).join(CertificateEvent)
                   .where(CertificateEvent.at > since))
        source = Batch.alias("source")
        made_from_touched = (BatchInput.select(BatchInput.batch).join(source, on=(BatchInput.input == source.id))
                             .where(source.household.in_(touched)))
        query = query.where((Batch.changed_at > since) | (Batch.household.in_(touched))
                            | (Batch.id.in_(made_from_touched)))
    return full, [(batch, refusal_for(batch)) for batch in query.order_by(Batch.id)]


def sellable_by_product(query, limit=20):
    """Batches on sale whose product's Thai or English name contains `query`, oldest harvest first."""
    pattern = f"%{query.strip()}%"
    found = (
        Batch.select(Batch, Household, Product)
        .join(Household).switch(Batch).join(Product)
        .where((Product.name_th.ilike(pattern)) | (Product.name_en.ilike(pattern)),
               Batch.recalled_at.is_null(), Batch.sold_milli < Batch.quantity_milli)
        .order_by(Batch.harvest_date, Batch.id)
        .limit(limit)
    )
    return [(batch, refusal_for(batch)) for batch in found]


def line_total(quantity_milli, unit_price_satang, discount_satang=0):
    """Quantity × price rounded half up to the satang, less the discount."""
    gross = (Decimal(quantity_milli) * unit_price_satang / MILLI).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(gross) - discount_satang


# --- Market days ------------------------------------------------------------------------------


class MarketDayOpening(Schema):
    """A counter's day as it opens: which counter, the cash float in the drawer, which day."""

    counter = Text(40, required=True)
    opening_float = Money(required=True)
    market_date = Date(
        earliest=lambda: local_today() - MARKET_DAY_WINDOW, latest=lambda: local_today() + MARKET_DAY_WINDOW,
        too_early=_l("A market day more than a month ago cannot be opened: check the year (B.E. 2569 is C.E. 2026)."),
        too_late=_l("A market day more than a month ahead cannot be opened yet: check the date."))


class MarketDayClosing(Schema):
    """The cash counted in the drawer at closing, and a note."""

    counted_cash = Money(required=True)
    notes = Text(1000)


def open_market_day(data, by_user):
    """Open a counter's day with its cash float; a counter has at most one open day."""
    cleaned = MarketDayOpening.clean(data)
    with write_transaction():
        if MarketDay.select().where(MarketDay.counter == cleaned["counter"], MarketDay.closed_at.is_null()).exists():
            raise ValidationError({"counter": _l("This counter already has an open market day. Close it first.")})
        return MarketDay.create(counter=cleaned["counter"], market_date=cleaned["market_date"] or local_today(),
                                opening_float_satang=cleaned["opening_float"], opened_by=by_user)


def check_closing(day, data):
    """The counted cash and note of a closing, checked but not written (for the confirmation step)."""
    cleaned = MarketDayClosing.clean(data)
    if not MarketDay.get_by_id(day.id).is_open:
        raise ValidationError({"counted_cash": _l("This market day is already closed.")})
    return cleaned


def close_market_day(day, data, by_user):
    """Close a day with the cash counted in the drawer; from then no sale is added to it."""
    cleaned = check_closing(day, data)
    with write_transaction():
        closed = (MarketDay.update(closed_at=utcnow(), closed_by=by_user, counted_cash_satang=cleaned["counted_cash"],
                                   notes=cleaned["notes"])
                  .where(MarketDay.id == day.id, MarketDay.closed_at.is_null()).execute())
        if not closed:
            raise ValidationError({"counted_cash": _l("This market day is already closed.")})
    return MarketDay.get_by_id(day.id)


def open_days():
    return MarketDay.select().where(MarketDay.closed_at.is_null()).order_by(MarketDay.counter)


# --- Recording a sale -------------------------------------------------------------------------


class SaleLineInput(Schema):
    """One line of a sale: which batch, how much, at the price the cashier saw."""

    batch_code = Text(300, required=True, description="The code, or the label's whole /b/ URL")
    quantity = Number(3, minimum=Decimal("0.001"), maximum=MAX_LINE_QUANTITY, required=True, example="1.250",
                      description="In the batch's unit, up to 3 decimals")
    unit_price_satang = Integer(minimum=0, maximum=MAX_TENDERED_SATANG, description="The price the cashier saw")
    discount_satang = Integer(minimum=0, maximum=MAX_TENDERED_SATANG)


class PaymentInput(Schema):
    """How a sale is paid: cash, PromptPay, or split between them."""

    method = Choice(PAYMENT_METHODS, required=True)
    cash_tendered_satang = Integer(minimum=0, maximum=MAX_TENDERED_SATANG)
    promptpay_satang = Integer(minimum=0, maximum=MAX_TENDERED_SATANG,
                               description="The PromptPay part of a split payment")


class SaleInput(Schema):
    """A sale as the POS sends it; the rules about batches and stock come after."""

    client_id = ClientId(_l("The sale id must be a UUID made by the POS."), required=True,
                         description="Made by the POS; a retry sends the same")
    market_day_id = Integer(minimum=1, maximum=LARGEST_ID, required=True)
    lines = Items(SaleLineInput, 1, MAX_LINES, too_few=_l("A sale needs at least one line."),
                  too_many=_l("At most %(n)d lines in one sale.", n=MAX_LINES))
    payment = Nested(PaymentInput)


class VoidInput(Schema):
    """Why a whole sale is undone."""

    reason = Text(500, required=True)


class RefundInput(Schema):
    """How much of a sale line goes back, why, and from which open market day's cash."""

    quantity = Number(3, minimum=Decimal("0.001"), maximum=MAX_LINE_QUANTITY, required=True, example="0.500")
    reason = Text(500, required=True)
    market_day_id = Integer(minimum=1, maximum=LARGEST_ID)


def _payment_parts(payment, total):
    """Split the total into cash and PromptPay parts and check what the cashier entered."""
    method = payment["method"]
    tendered = payment.get("cash_tendered_satang")
    if method == "cash":
        cash, promptpay_part = total, 0
    elif method == "promptpay":
        cash, promptpay_part = 0, total
    else:
        promptpay_part = payment.get("promptpay_satang") or 0
        if not 0 < promptpay_part < total:
            raise ValidationError({"payment.promptpay_satang": _l(
                "In a split payment the PromptPay part must be more than zero and less than the total.")})
        cash = total - promptpay_part
    tendered = cash if tendered is None else tendered
    if tendered < cash:
        raise ValidationError({"payment.cash_tendered_satang": _l(
            "The cash handed over (%(tendered)s) is less than the cash to pay (%(due)s).",
            tendered=format_baht(tendered), due=format_baht(cash))})
    return method, cash, promptpay_part, tendered


def _parse_code(text, base_url, index):
    try:
        return codes.code_from_scan(text, base_url)
    except codes.MistypedCode:
        raise SaleRefused([Refusal("mistyped_code", REFUSALS["mistyped_code"], index, str(text)[:40])]) from None


def record_sale(data, cashier, base_url):
    """Record a sale once: returns (sale, created). The same client id again returns the first sale.

    Every line is checked (sellable, price as shown, enough stock) and the stock taken in one
    transaction; if any line is refused, nothing is written and SaleRefused lists every reason.
    """
    cleaned = SaleInput.clean(data)
    try:
        wanted = [(_parse_code(line["batch_code"], base_url, index), line) for index, line in enumerate(cleaned["lines"])]
    except SaleRefused:
        existing = Sale.get_or_none(Sale.client_id == cleaned["client_id"])
        if existing is None:
            raise
        return existing, False
    try:
        return _write_sale(cleaned, wanted, cashier)
    except IntegrityError:
        # Two retries of one sale raced: the database's unique client id let one in.
        existing = Sale.get_or_none(Sale.client_id == cleaned["client_id"])
        if existing is None:
            raise
        return existing, False


_DAY_AND_RECORDED_SALE = Prepared(lambda client_id, day_id: (
    MarketDay.select(MarketDay, Sale.id.alias("recorded_sale_id"))
    .join(Sale, JOIN.LEFT_OUTER, on=(Sale.client_id == client_id))
    .where(MarketDay.id == day_id).objects().limit(1)))


# The batches of a sale with their households and products, one prepared statement per number of
# different codes (at most MAX_LINES).
_BATCHES_BY_CODES = {
    count: Prepared(lambda *codes: (Batch.select(Batch, Household, Product).join(Household).switch(Batch).join(Product)
                                    .where(Batch.code.in_(codes))), arity=count)
    for count in range(1, MAX_LINES + 1)}

_INSERT_SALE = Prepared(lambda client_id, day_id, cashier_id, created_at, total, method, cash, promptpay_part, tendered,
                        receipt_token: Sale.insert(
    client_id=client_id, market_day=day_id, cashier=cashier_id, created_at=created_at, total_satang=total,
    payment_method=method, cash_satang=cash, promptpay_satang=promptpay_part, tendered_satang=tendered,
    receipt_token=receipt_token, void_reason="").returning(Sale.id))

_INSERT_LINE = Prepared(lambda sale_id, batch_id, household_id, quantity, unit_price, discount, total, state: SaleLine.insert(
    sale=sale_id, batch=batch_id, household=household_id, quantity_milli=quantity, unit_price_satang=unit_price,
    discount_satang=discount, total_satang=total, certification_state=state).returning(SaleLine.id))

_TAKE_STOCK = Prepared(lambda quantity, changed_at, batch_id, limit: (
    Batch.update(sold_milli=Batch.sold_milli + quantity, changed_at=changed_at)
    .where(Batch.id == batch_id, Batch.recalled_at.is_null(), Batch.sold_milli + quantity <= limit)))


def _write_sale(cleaned, wanted, cashier):
    """Check every line, take the stock and write the sale, all in one transaction: (sale, created)."""
    with write_transaction():
        # The day and whether this sale is already recorded, in one statement.
        day = _DAY_AND_RECORDED_SALE.first(cleaned["client_id"], cleaned["market_day_id"])
        recorded = day.recorded_sale_id if day is not None else Sale.select(Sale.id).where(
            Sale.client_id == cleaned["client_id"]).scalar()
        if recorded is not None:
            return Sale.get_by_id(recorded), False
        if day is None or not day.is_open:
            raise ValidationError({"market_day_id": _l("This market day is not open. Ask the council secretariat to open the counter.")})
        asked = sorted({code for code, _line in wanted})
        found = {batch.code: batch for batch in _BATCHES_BY_CODES[len(asked)].rows(*asked)}
        refusals, lines, taken = [], [], {}
        for index, (code, line) in enumerate(wanted):
            batch = found.get(code)
            if batch is None:
                refusals.append(Refusal("not_found", REFUSALS["not_found"], index, code))
                continue
            quantity = int(line["quantity"] * MILLI)
            taken[code] = taken.get(code, 0) + quantity
            status = batches.batch_certification(batch)
            refusal = refusal_for(batch, taken[code], status)
            price = line.get("unit_price_satang")
            if refusal is None and batch.price_satang is None and price is None:
                refusal = Refusal("no_price", REFUSALS["no_price"])
            elif refusal is None and batch.price_satang is not None and price is not None and price != batch.price_satang:
                refusal = Refusal("price_changed", _l("The price of this batch is now %(price)s. Scan it again.",
                                                      price=format_baht(batch.price_satang)))
            if refusal is not None:
                refusals.append(dataclasses.replace(refusal, index=index, batch_code=code))
                continue
            unit_price = batch.price_satang if batch.price_satang is not None else price
            discount = line.get("discount_satang") or 0
            total = line_total(quantity, unit_price, discount)
            if total < 0:
                raise ValidationError({f"lines.{index}.discount_satang": _l("The discount is larger than the line.")})
            lines.append((batch, quantity, unit_price, discount, total, status.state))
        if refusals:
            raise SaleRefused(refusals)
        total = sum(line[4] for line in lines)
        method, cash, promptpay_part, tendered = _payment_parts(cleaned["payment"], total)
        sale = Sale(client_id=cleaned["client_id"], market_day=day, cashier=cashier, created_at=utcnow(),
                    total_satang=total, payment_method=method, cash_satang=cash, promptpay_satang=promptpay_part,
                    tendered_satang=tendered, receipt_token=secrets.token_urlsafe(12), void_reason="")
        sale.id = _INSERT_SALE.insert(sale.client_id, day.id, cashier.id, sale.created_at, total, method, cash,
                                      promptpay_part, tendered, sale.receipt_token)
        sale.written_lines = []  # sale_lines answers these instead of reading them back
        for index, (batch, quantity, unit_price, discount, line_sum, state) in enumerate(lines):
            _take_stock(batch, quantity, index)
            line = SaleLine(sale=sale, batch=batch, household=batch.household, quantity_milli=quantity,
                            unit_price_satang=unit_price, discount_satang=discount, total_satang=line_sum,
                            certification_state=state)
            line.id = _INSERT_LINE.insert(sale.id, batch.id, batch.household_id, quantity, unit_price, discount,
                                          line_sum, state)
            sale.written_lines.append(line)
        return sale, True


def _take_stock(batch, quantity, index):
    """Take `quantity` from the batch in the database, or refuse if another counter got there first."""
    limit = _tolerance_limit(batch)
    if not _TAKE_STOCK.execute(quantity, utcnow(), batch.id, limit):
        fresh = Batch.get_by_id(batch.id)
        left = max(limit - fresh.sold_milli, 0)
        code = "recalled" if fresh.recalled_at else ("sold_out" if not left else "not_enough")
        message = REFUSALS[code] if code != "not_enough" else _l(
            "Not enough left: only %(left)s of this batch can still be sold.", left=format_quantity(left, batch.unit))
        raise SaleRefused([Refusal(code, message, index, batch.code)])
    if batch.sold_milli == 0:  # its first sale (or the first since voids gave everything back)
        _record_event_once(batch.id, "at_market")
    if batch.sold_milli + quantity >= batch.quantity_milli:
        _record_event_once(batch.id, "sold_out")


def _record_event_once(batch_id, kind):
    """Add a step to the batch's story unless it has it already, in one statement."""
    already = BatchEvent.select().where(BatchEvent.batch == batch_id, BatchEvent.kind == kind)
    step = Select(columns=[Value(batch_id), Value(kind), Value(utcnow(), converter=BatchEvent.at.db_value), Value("")])
    BatchEvent.insert_from(step.where(~fn.EXISTS(already)),
                           [BatchEvent.batch, BatchEvent.kind, BatchEvent.at, BatchEvent.note]).execute()


# --- Voids and refunds ------------------------------------------------------------------------


def _give_back(batch_id, quantity):
    Batch.update(sold_milli=Batch.sold_milli - quantity, changed_at=utcnow()).where(Batch.id == batch_id).execute()


def _locked_sale(sale_id):
    """The sale, its row locked to the end of the transaction: a void and a refund of it take turns.

    SQLite's write_transaction already holds the whole database (BEGIN IMMEDIATE); PostgreSQL locks
    the row with SELECT ... FOR UPDATE, so the second of two racing undos sees the first one's work.
    """
    query = Sale.select().where(Sale.id == sale_id)
    return query.get() if is_sqlite() else query.for_update().get()


def _may_undo(sale, by_user, field):
    """A cashier undoes only sales of a day still open; the secretariat any time."""
    if by_user.role != "admin" and not MarketDay.get_by_id(sale.market_day_id).is_open:
        raise ValidationError({field: _l("This market day is closed. Only the council secretariat can change its sales now.")})


def _void_plan(sale, data, by_user):
    """Check a void against the rules; return the sale (locked), its lines and the reason. Writes nothing."""
    reason = VoidInput.clean(data)["reason"]
    sale = _locked_sale(sale.id)
    if sale.voided_at is not None:
        raise ValidationError({"reason": _l("This sale is already void.")})
    _may_undo(sale, by_user, "reason")
    lines = list(SaleLine.select().where(SaleLine.sale == sale.id))
    if any(line.settlement_id for line in lines):
        raise ValidationError({"reason": _l("Part of this sale is already settled with a household; refund its lines instead.")})
    if Refund.select().where(Refund.line.in_([line.id for line in lines])).exists():
        raise ValidationError({"reason": _l("Part of this sale was refunded already, so it cannot be voided as a whole. "
                                            "Refund the rest of its lines instead.")})
    return sale, lines, reason


def check_void(sale, data, by_user):
    """Raise ValidationError if `by_user` may not void the sale now (for the confirmation step)."""
    with write_transaction():
        _void_plan(sale, data, by_user)


def void_sale(sale, data, by_user):
    """Void a whole sale with a reason: its stock returns and its money leaves every total.

    A sale with a refund already paid is not voided (the refund's money would leave twice): the
    rest of its lines are refunded instead. Admin any time before settlement; a cashier while its day is open.
    """
    with write_transaction():
        sale, lines, reason = _void_plan(sale, data, by_user)
        for line in lines:
            _give_back(line.batch_id, line.quantity_milli)
        Sale.update(voided_at=utcnow(), voided_by=by_user, void_reason=reason).where(Sale.id == sale.id).execute()
    return Sale.get_by_id(sale.id)


def refund_amount(line, quantity_milli, refunds):
    """What giving back `quantity_milli` of the line pays: its share, the last part whatever rounding left."""
    refunded = sum(refund.quantity_milli for refund in refunds)
    if quantity_milli == line.quantity_milli - refunded:
        return line.total_satang - sum(refund.amount_satang for refund in refunds)
    share = Decimal(line.total_satang) * quantity_milli / line.quantity_milli
    return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclasses.dataclass(frozen=True)
class RefundPlan:
    """A refund checked against the rules and not yet paid: what goes back, for how much, from which day."""

    line: SaleLine
    quantity_milli: int
    amount_satang: int
    market_day: MarketDay
    reason: str


def _refund_plan(line, data, by_user):
    cleaned = RefundInput.clean(data)
    quantity = int(cleaned["quantity"] * MILLI)
    sale = _locked_sale(line.sale_id)
    line = SaleLine.get_by_id(line.id)
    if sale.voided_at is not None:
        raise ValidationError({"quantity": _l("This sale is void; nothing is left to refund.")})
    _may_undo(sale, by_user, "quantity")
    refunds = list(Refund.select().where(Refund.line == line.id))
    left = line.quantity_milli - sum(refund.quantity_milli for refund in refunds)
    if quantity > left:
        raise ValidationError({"quantity": _l("At most %(left)s of this line can be refunded.",
                                              left=format_quantity(left, line.batch.unit))})
    day = (MarketDay.get_or_none(MarketDay.id == cleaned["market_day_id"]) if cleaned["market_day_id"]
           else MarketDay.get_by_id(sale.market_day_id))
    if day is None or not day.is_open:
        raise ValidationError({"market_day_id": _l("Refunds are paid from an open market day's cash. Open the counter first.")})
    return RefundPlan(line, quantity, refund_amount(line, quantity, refunds), day, cleaned["reason"])


def check_refund(line, data, by_user):
    """The refund `data` asks for, checked against the rules but not paid (for the confirmation step)."""
    with write_transaction():
        return _refund_plan(line, data, by_user)


def refund_line(line, data, by_user):
    """Give back part or all of a line: the stock returns, the money is paid out of an open day's cash.

    A cashier refunds sales of a day still open; the secretariat any time (a line already settled
    is taken off the household's next settlement).
    """
    with write_transaction():
        plan = _refund_plan(line, data, by_user)
        _give_back(plan.line.batch_id, plan.quantity_milli)
        return Refund.create(line=plan.line, market_day=plan.market_day, quantity_milli=plan.quantity_milli,
                             amount_satang=plan.amount_satang, reason=plan.reason, by=by_user)


# --- As plain data ----------------------------------------------------------------------------


def lines_with_refunds(sale):
    """The sale's lines with their batch, what was refunded of each so far and what is left to refund."""
    lines = list(SaleLine.select(SaleLine, Batch, Product, Household)
                 .join(Batch).join(Product).switch(SaleLine).join(Household)
                 .where(SaleLine.sale == sale).order_by(SaleLine.id))
    refunds = {}
    for refund in Refund.select().where(Refund.line.in_([line.id for line in lines])).order_by(Refund.id):
        refunds.setdefault(refund.line_id, []).append(refund)
    rows = []
    for line in lines:
        given = refunds.get(line.id, [])
        refunded = sum(refund.quantity_milli for refund in given)
        rows.append({"line": line, "refunds": given, "refunded_milli": refunded,
                     "refunded_satang": sum(refund.amount_satang for refund in given),
                     "left_milli": line.quantity_milli - refunded,
                     "left_text": f"{Decimal(line.quantity_milli - refunded) / MILLI:f}"})
    return rows


def sale_lines(sale):
    """A sale's lines with their batches, products and households (one query), in the order sold."""
    return getattr(sale, "written_lines", None) or (
        SaleLine.select(SaleLine, Batch, Product, Household)
        .join(Batch).join(Product).switch(SaleLine).join(Household)
        .where(SaleLine.sale == sale).order_by(SaleLine.id))

