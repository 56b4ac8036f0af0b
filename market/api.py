"""JSON routes of the market under /api/v1/: what the POS page and any other counter software use.

The POS page calls these with its session and the page's CSRF token; scripts use bearer tokens.
"""
import datetime

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _

from core.answers import Answer, Bool, Day, Int, Many, Moment, One, Str, schemas
from core.api import api_role, json_body
from core.db import LARGEST_ID, get_or_404, utcnow
from core.errors import json_error
from core.openapi import document, error_responses, json_response, list_response, request_body
from core.qr import qr_svg
from core.validation import ValidationError
from market import camera, promptpay, sales, settings
from market.models import PAYMENT_METHODS, Sale, SaleLine
from traceability import batches, codes
from traceability.batches import Quantity

bp = Blueprint("market_api", __name__, url_prefix="/api/v1")

COUNTER = ("admin", "cashier")


def _base_url():
    return current_app.config["GREENMARKET_BASE_URL"]


class CounterProduct(Answer):
    """The product of a batch, as the counter shows it."""

    name_th = Str()
    name_en = Str()
    category = Str()


class CounterHousehold(Answer):
    """Who grew it: public name and village only."""

    public_name = Str()
    village_no = Int()


class CounterCertification(Answer):
    """The batch's live certification, as the counter shows it."""

    state = Str()
    certified = Bool()
    message = Str()


class RefusalAnswer(Answer):
    """Why the counter may not sell a batch."""

    code = Str()
    message = Str()


class CounterBatch(Answer):
    """What the POS needs to show and sell a batch, no personal data: `{"batch", "refusal"}`."""

    code = Str("batch.code")
    display_code = Str(lambda found: codes.format_code(found["batch"].code))
    product = One(CounterProduct, "batch.product")
    household = One(CounterHousehold, "batch.household")
    unit = Str("batch.unit")
    price_satang = Int("batch.price_satang", nullable=True)
    quantity_left = Quantity(lambda found: max(found["batch"].left_milli, 0))
    certification = One(CounterCertification, lambda found: batches.batch_certification(found["batch"]))
    sellable = Bool(lambda found: found["refusal"] is None)
    refusal = One(RefusalAnswer, nullable=True)


class StockedBatch(CounterBatch):
    """A batch for the counter with what may still be sold of it, so the basket checks the stock."""

    sellable_milli = Int(lambda found: sales.sellable_milli(found["batch"]))


def _found(pairs):
    return [{"batch": batch, "refusal": refusal} for batch, refusal in pairs]


class DecodedFrame(Answer):
    """The text of the first QR code found in a camera frame."""

    text = Str()


class MarketDayAnswer(Answer):
    """An open market day, for the POS to choose its counter."""

    schema_name = "MarketDay"
    id = Int()
    counter = Str()
    market_date = Day()


class RefundAnswer(Answer):
    """A refund paid back for part of a sale line."""

    schema_name = "Refund"
    id = Int()
    line_id = Int()
    quantity = Quantity("quantity_milli")
    amount_satang = Int()


class PaymentAnswer(Answer):
    """How a sale was paid, in satang."""

    method = Str("payment_method", choices=tuple(PAYMENT_METHODS))
    cash_satang = Int()
    promptpay_satang = Int()
    cash_tendered_satang = Int("tendered_satang")
    change_satang = Int()


class SaleLineAnswer(Answer):
    """A line of a sale, with the product's and household's public names."""

    id = Int()
    batch_code = Str("batch.code")
    product_name_th = Str("batch.product.name_th")
    product_name_en = Str("batch.product.name_en")
    household_public_name = Str("household.public_name")
    unit = Str("batch.unit")
    quantity = Quantity("quantity_milli")
    unit_price_satang = Int()
    discount_satang = Int()
    total_satang = Int()


class SaleAnswer(Answer):
    """A sale as the API answers it: lines with product and household public names, payment, receipt."""

    schema_name = "Sale"
    id = Int()
    client_id = Str()
    market_day_id = Int()
    created_at = Moment()
    total_satang = Int()
    payment = One(PaymentAnswer, lambda sale: sale)
    voided = Bool(lambda sale: sale.voided_at is not None)
    lines = Many(SaleLineAnswer, sales.sale_lines)
    receipt_url = Str(lambda sale: f"{_base_url().rstrip('/')}/r/{sale.receipt_token}", format="uri")


@bp.route("/pos/lookup")
@api_role(*COUNTER)
def pos_lookup():
    scan = request.args.get("scan", "")
    try:
        batch, refusal = sales.lookup(scan, _base_url())
    except codes.MistypedCode:
        return json_error(400, "mistyped_code", sales.REFUSALS["mistyped_code"])
    except batches.UnknownCode:
        return json_error(404, "not_found", sales.REFUSALS["not_found"])
    # With what may still be sold, so the basket checks the stock of a batch the copy does not hold yet.
    return jsonify(StockedBatch.dump({"batch": batch, "refusal": refusal}))


@bp.route("/pos/batches")
@api_role(*COUNTER)
def pos_batches():
    """The counter's local copy for selling offline: everything, or what changed since `since`."""
    since = None
    if request.args.get("since"):
        try:
            since = datetime.datetime.fromisoformat(request.args["since"].removesuffix("Z"))
        except ValueError:
            raise ValidationError({"since": _("Send the as_of time of the last answer.")}) from None
    as_of = utcnow()
    full, found = sales.batches_for_counter(since, as_of)
    return jsonify({"as_of": as_of.isoformat() + "Z", "full": full, "items": StockedBatch.many(_found(found))})


@bp.route("/pos/search")
@api_role(*COUNTER)
def pos_search():
    query = request.args.get("q", "").strip()[:60]
    if not query:
        return jsonify({"items": []})
    return jsonify({"items": CounterBatch.many(_found(sales.sellable_by_product(query)))})


@bp.route("/pos/decode", methods=["POST"])
@api_role(*COUNTER, browser_writes=True)
def pos_decode():
    """Read a label's QR code from one camera frame, for browsers without BarcodeDetector."""
    frame = request.files.get("frame")
    if frame is None:
        return json_error(400, "invalid", _("Send one camera frame as the file field 'frame'."))
    text = camera.decode_frame(frame.stream)
    if text is None:
        return json_error(404, "no_code", _("No QR code found in this picture."))
    return jsonify(DecodedFrame.dump({"text": text}))


@bp.route("/market-days")
@api_role(*COUNTER)
def market_day_list():
    return jsonify({"items": MarketDayAnswer.many(sales.open_days())})


@bp.route("/sales", methods=["POST"])
@api_role(*COUNTER, browser_writes=True)
def sale_create():
    try:
        sale, created = sales.record_sale(json_body(), g.user, _base_url())
    except sales.SaleRefused as refused:
        first = refused.refusals[0]
        return jsonify({"error": {"code": first.code, "message": str(first.message),
                                  "lines": [refusal.as_dict() for refusal in refused.refusals]}}), 409
    response = jsonify(SaleAnswer.dump(sale))
    response.status_code = 201 if created else 200
    response.headers["Location"] = url_for(".sale_read", sale_id=sale.id)
    return response


@bp.route("/sales/<int:sale_id>")
@api_role(*COUNTER)
def sale_read(sale_id):
    return jsonify(SaleAnswer.dump(get_or_404(Sale, sale_id)))


@bp.route("/sales/<int:sale_id>/void", methods=["POST"])
@api_role(*COUNTER, browser_writes=True)
def sale_void(sale_id):
    sale = sales.void_sale(get_or_404(Sale, sale_id), json_body(), g.user)
    return jsonify(SaleAnswer.dump(sale))


@bp.route("/sale-lines/<int:line_id>/refund", methods=["POST"])
@api_role(*COUNTER, browser_writes=True)
def line_refund(line_id):
    line = get_or_404(SaleLine, line_id)
    return jsonify(RefundAnswer.dump(sales.refund_line(line, json_body(), g.user))), 201


@bp.route("/pos/promptpay.svg")
@api_role(*COUNTER)
def promptpay_qr():
    """The PromptPay QR for an amount, drawn as SVG for the customer's banking app."""
    try:
        amount = int(request.args.get("amount_satang", ""))
    except ValueError:
        raise ValidationError({"amount_satang": _("Enter the amount in satang.")}) from None
    market_id = settings.get("promptpay_id")
    if not market_id:
        return json_error(409, "no_promptpay_id", _("The market's PromptPay ID is not set. Ask the council secretariat to set it."))
    try:
        payload = promptpay.payload(market_id, amount)
    except promptpay.InvalidAmount as problem:
        raise ValidationError({"amount_satang": str(problem)}) from None
    return Response(qr_svg(payload), mimetype="image/svg+xml", headers={"X-PromptPay-Payload": payload})


_SALE_ID = {"name": "sale_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1, "maximum": LARGEST_ID}}
_REFUSED = {
    "description": "A line cannot be sold (not certified, suspended, recalled, sold out, price changed ...); "
                   "`error.code` is the first reason and `error.lines` lists every refused line",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SaleRefused"}}},
}
document(bp, paths={
    "/pos/lookup": {"get": {
        "summary": "What a scan (label URL or typed code) is, and whether it may be sold (admin, cashier)",
        "parameters": [{"name": "scan", "in": "query", "required": True, "schema": {"type": "string"},
                        "description": "What the scanner typed: a label's URL or a batch code; anything else is a 400 "
                                       "`mistyped_code` (a scanner's glitch is told apart from a field to fix)"}],
        "responses": {"200": json_response(StockedBatch, "The batch, with what may still be sold"),
            **error_responses("400", "401", "403", "404")},
    }},
    "/pos/batches": {"get": {
        "summary": "The counter's copy for selling offline: recent batches, or only those changed since `since`",
        "parameters": [{"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"},
                        "description": "as_of of the previous answer; a new day gets everything again"}],
        "responses": {"200": list_response(StockedBatch, "Batches with what may still be sold",
                                           as_of={"type": "string", "format": "date-time"}, full={"type": "boolean"}),
            **error_responses("400", "401", "403")},
    }},
    "/pos/search": {"get": {
        "summary": "Batches on sale whose product name (Thai or English) contains q, for a missing label",
        "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"},
                        "description": "Only its first 60 characters are searched"}],
        "responses": {"200": list_response(CounterBatch, "Matching batches"),
            **error_responses("401", "403")},
    }},
    "/pos/decode": {"post": {
        "summary": "Decode the QR code in one camera frame (JPEG or PNG), for cameras without BarcodeDetector",
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["frame"], "properties": {"frame": {"type": "string", "format": "binary"}}}}}},
        "responses": {"200": json_response(DecodedFrame, "The text of the first QR code found"),
            **error_responses("400", "401", "403", "404")},
    }},
    "/pos/promptpay.svg": {"get": {
        "summary": "A dynamic PromptPay QR (EMVCo payload in X-PromptPay-Payload) for an amount, to the market's PromptPay ID",
        "parameters": [{"name": "amount_satang", "in": "query", "required": True, "schema": {"type": "integer", "minimum": 1}}],
        "responses": {"200": {"description": "SVG image", "content": {"image/svg+xml": {"schema": {"type": "string"}}}},
                      "409": {"description": "No PromptPay ID is set",
                              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                      **error_responses("400", "401", "403")},
    }},
    "/market-days": {"get": {
        "summary": "Open market days (counters) a sale can be recorded on",
        "responses": {"200": list_response(MarketDayAnswer, "Open days"),
            **error_responses("401", "403")},
    }},
    "/sales": {"post": {
        "summary": "Record a sale exactly once: the same client_id again answers 200 with the first sale and writes nothing",
        "requestBody": request_body("SaleInput"),
        "responses": {"201": json_response(SaleAnswer, "Recorded"),
                      "200": json_response(SaleAnswer, "Already recorded under this client_id"),
                      "409": _REFUSED, **error_responses("400", "401", "403")},
    }},
    "/sales/{sale_id}": {"get": {
        "summary": "Read a sale", "parameters": [_SALE_ID],
        "responses": {"200": json_response(SaleAnswer), **error_responses("401", "403", "404")},
    }},
    "/sales/{sale_id}/void": {"post": {
        "summary": "Void a sale with a reason (admin before settlement; a cashier while its market day is open); "
                   "the stock returns. A sale with a refund is not voided: refund the rest of its lines",
        "parameters": [_SALE_ID],
        "requestBody": request_body(sales.VoidInput),
        "responses": {"200": json_response(SaleAnswer), **error_responses("400", "401", "403", "404")},
    }},
    "/sale-lines/{line_id}/refund": {"post": {
        "summary": "Refund part or all of a sale line, paid from an open market day's cash (a cashier: sales of a day "
                   "still open; admin: any time, a settled line comes off the next settlement)",
        "parameters": [{"name": "line_id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": LARGEST_ID}}],
        "requestBody": request_body(sales.RefundInput),
        "responses": {"201": json_response(RefundAnswer, "Refunded"),
            **error_responses("400", "401", "403", "404")},
    }},
}, schemas={
    **schemas(CounterBatch, StockedBatch, DecodedFrame, MarketDayAnswer, RefundAnswer, SaleAnswer),
    "SaleInput": sales.SaleInput.openapi(),
    "SaleRefused": {
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
            "code": {"type": "string", "example": "sold_out"}, "message": {"type": "string"},
            "lines": {"type": "array", "items": {"type": "object", "properties": {
                "index": {"type": "integer"}, "batch_code": {"type": "string"}, "code": {"type": "string"},
                "message": {"type": "string"}}}}}}},
    },
})
