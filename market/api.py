"""JSON routes of the market under /api/v1/: what the POS page and any other counter software use.

The POS page calls these with its session and the page's CSRF token; scripts use bearer tokens.
"""
import datetime

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _

from core.api import api_role, json_body
from core.db import LARGEST_ID, get_or_404, utcnow
from core.errors import json_error
from core.openapi import document, error_responses, json_response, request_body
from core.qr import qr_svg
from core.validation import ValidationError
from market import camera, promptpay, sales, settings
from market.models import PAYMENT_METHODS, Sale, SaleLine
from traceability import batches, codes

bp = Blueprint("market_api", __name__, url_prefix="/api/v1")

COUNTER = ("admin", "cashier")


def _base_url():
    return current_app.config["GREENMARKET_BASE_URL"]


def batch_for_counter(batch, refusal):
    """What the POS needs to show and sell a batch: no personal data."""
    status = batches.batch_certification(batch)
    return {
        "code": batch.code,
        "display_code": codes.format_code(batch.code),
        "product": {"name_th": batch.product.name_th, "name_en": batch.product.name_en,
                    "category": batch.product.category},
        "household": {"public_name": batch.household.public_name, "village_no": batch.household.village_no},
        "unit": batch.unit,
        "price_satang": batch.price_satang,
        "quantity_left": batches.quantity_text(max(batch.left_milli, 0)),
        "certification": {"state": status.state, "certified": status.certified, "message": str(status.message)},
        "sellable": refusal is None,
        "refusal": {"code": refusal.code, "message": str(refusal.message)} if refusal else None,
    }


def market_day_record(day):
    """An open market day, for the POS to choose its counter."""
    return {"id": day.id, "counter": day.counter, "market_date": day.market_date.isoformat()}


def refund_record(refund):
    """A refund paid back for part of a sale line."""
    return {"id": refund.id, "line_id": refund.line_id, "quantity": batches.quantity_text(refund.quantity_milli),
            "amount_satang": refund.amount_satang}


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
    return jsonify(dict(batch_for_counter(batch, refusal), sellable_milli=sales.sellable_milli(batch)))


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
    items = []
    for batch, refusal in found:
        record = batch_for_counter(batch, refusal)
        record["sellable_milli"] = sales.sellable_milli(batch)
        items.append(record)
    return jsonify({"as_of": as_of.isoformat() + "Z", "full": full, "items": items})


@bp.route("/pos/search")
@api_role(*COUNTER)
def pos_search():
    query = request.args.get("q", "").strip()[:60]
    if not query:
        return jsonify({"items": []})
    return jsonify({"items": [batch_for_counter(b, r) for b, r in sales.sellable_by_product(query)]})


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
    return jsonify({"text": text})


@bp.route("/market-days")
@api_role(*COUNTER)
def market_day_list():
    return jsonify({"items": [market_day_record(day) for day in sales.open_days()]})


@bp.route("/sales", methods=["POST"])
@api_role(*COUNTER, browser_writes=True)
def sale_create():
    try:
        sale, created = sales.record_sale(json_body(), g.user, _base_url())
    except sales.SaleRefused as refused:
        first = refused.refusals[0]
        return jsonify({"error": {"code": first.code, "message": str(first.message),
                                  "lines": [refusal.as_dict() for refusal in refused.refusals]}}), 409
    response = jsonify(sales.sale_record(sale, _base_url()))
    response.status_code = 201 if created else 200
    response.headers["Location"] = url_for(".sale_read", sale_id=sale.id)
    return response


@bp.route("/sales/<int:sale_id>")
@api_role(*COUNTER)
def sale_read(sale_id):
    return jsonify(sales.sale_record(get_or_404(Sale, sale_id), _base_url()))


@bp.route("/sales/<int:sale_id>/void", methods=["POST"])
@api_role(*COUNTER, browser_writes=True)
def sale_void(sale_id):
    sale = sales.void_sale(get_or_404(Sale, sale_id), json_body(), g.user)
    return jsonify(sales.sale_record(sale, _base_url()))


@bp.route("/sale-lines/<int:line_id>/refund", methods=["POST"])
@api_role(*COUNTER, browser_writes=True)
def line_refund(line_id):
    line = get_or_404(SaleLine, line_id)
    return jsonify(refund_record(sales.refund_line(line, json_body(), g.user))), 201


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
_COUNTER_BATCH = {
    "type": "object",
    "required": ["code", "display_code", "product", "household", "unit", "quantity_left", "certification", "sellable"],
    "properties": {
        "code": {"type": "string"}, "display_code": {"type": "string"},
        "product": {"type": "object", "properties": {"name_th": {"type": "string"}, "name_en": {"type": "string"},
                                                     "category": {"type": "string"}}},
        "household": {"type": "object", "properties": {"public_name": {"type": "string"}, "village_no": {"type": "integer"}}},
        "unit": {"type": "string"}, "price_satang": {"type": "integer", "nullable": True},
        "quantity_left": {"type": "string", "example": "4.500"},
        "certification": {"type": "object", "properties": {"state": {"type": "string"}, "certified": {"type": "boolean"},
                                                           "message": {"type": "string"}}},
        "sellable": {"type": "boolean"},
        "refusal": {"type": "object", "nullable": True, "properties": {"code": {"type": "string"}, "message": {"type": "string"}}},
    },
}

document(bp, paths={
    "/pos/lookup": {"get": {
        "summary": "What a scan (label URL or typed code) is, and whether it may be sold (admin, cashier)",
        "parameters": [{"name": "scan", "in": "query", "required": True, "schema": {"type": "string"},
                        "description": "What the scanner typed: a label's URL or a batch code; anything else is a 400 "
                                       "`mistyped_code` (a scanner's glitch is told apart from a field to fix)"}],
        "responses": {"200": {"description": "The batch, with what may still be sold", "content": {"application/json": {
            "schema": {"allOf": [{"$ref": "#/components/schemas/CounterBatch"}, {
                "type": "object", "properties": {"sellable_milli": {"type": "integer"}}}]}}}},
            **error_responses("400", "401", "403", "404")},
    }},
    "/pos/batches": {"get": {
        "summary": "The counter's copy for selling offline: recent batches, or only those changed since `since`",
        "parameters": [{"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"},
                        "description": "as_of of the previous answer; a new day gets everything again"}],
        "responses": {"200": {"description": "Batches with what may still be sold", "content": {"application/json": {"schema": {
            "type": "object", "required": ["as_of", "full", "items"], "properties": {
                "as_of": {"type": "string", "format": "date-time"}, "full": {"type": "boolean"},
                "items": {"type": "array", "items": {"allOf": [{"$ref": "#/components/schemas/CounterBatch"}, {
                    "type": "object", "properties": {"sellable_milli": {"type": "integer"}}}]}}}}}}},
            **error_responses("400", "401", "403")},
    }},
    "/pos/search": {"get": {
        "summary": "Batches on sale whose product name (Thai or English) contains q, for a missing label",
        "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"},
                        "description": "Only its first 60 characters are searched"}],
        "responses": {"200": {"description": "Matching batches", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/CounterBatch"}}}}}}},
            **error_responses("401", "403")},
    }},
    "/pos/decode": {"post": {
        "summary": "Decode the QR code in one camera frame (JPEG or PNG), for cameras without BarcodeDetector",
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["frame"], "properties": {"frame": {"type": "string", "format": "binary"}}}}}},
        "responses": {"200": {"description": "The text of the first QR code found", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"text": {"type": "string"}}}}}},
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
        "responses": {"200": {"description": "Open days", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"items": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "integer"}, "counter": {"type": "string"}, "market_date": {"type": "string", "format": "date"}}}}}}}}},
            **error_responses("401", "403")},
    }},
    "/sales": {"post": {
        "summary": "Record a sale exactly once: the same client_id again answers 200 with the first sale and writes nothing",
        "requestBody": request_body("SaleInput"),
        "responses": {"201": json_response("Sale", "Recorded"), "200": json_response("Sale", "Already recorded under this client_id"),
                      "409": _REFUSED, **error_responses("400", "401", "403")},
    }},
    "/sales/{sale_id}": {"get": {
        "summary": "Read a sale", "parameters": [_SALE_ID],
        "responses": {"200": json_response("Sale"), **error_responses("401", "403", "404")},
    }},
    "/sales/{sale_id}/void": {"post": {
        "summary": "Void a sale with a reason (admin before settlement; a cashier while its market day is open); "
                   "the stock returns. A sale with a refund is not voided: refund the rest of its lines",
        "parameters": [_SALE_ID],
        "requestBody": request_body(sales.VoidInput),
        "responses": {"200": json_response("Sale"), **error_responses("400", "401", "403", "404")},
    }},
    "/sale-lines/{line_id}/refund": {"post": {
        "summary": "Refund part or all of a sale line, paid from an open market day's cash (a cashier: sales of a day "
                   "still open; admin: any time, a settled line comes off the next settlement)",
        "parameters": [{"name": "line_id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": LARGEST_ID}}],
        "requestBody": request_body(sales.RefundInput),
        "responses": {"201": {"description": "Refunded", "content": {"application/json": {"schema": {"type": "object", "properties": {
            "id": {"type": "integer"}, "line_id": {"type": "integer"}, "quantity": {"type": "string"},
            "amount_satang": {"type": "integer"}}}}}},
            **error_responses("400", "401", "403", "404")},
    }},
}, schemas={
    "CounterBatch": _COUNTER_BATCH,
    "SaleInput": sales.SaleInput.openapi(),
    "Sale": {
        "type": "object",
        "required": ["id", "client_id", "total_satang", "payment", "lines", "receipt_url"],
        "properties": {
            "id": {"type": "integer"}, "client_id": {"type": "string"}, "market_day_id": {"type": "integer"},
            "created_at": {"type": "string", "format": "date-time"}, "total_satang": {"type": "integer"},
            "payment": {"type": "object", "properties": {
                "method": {"type": "string", "enum": list(PAYMENT_METHODS)}, "cash_satang": {"type": "integer"},
                "promptpay_satang": {"type": "integer"}, "cash_tendered_satang": {"type": "integer"},
                "change_satang": {"type": "integer"}}},
            "voided": {"type": "boolean"},
            "lines": {"type": "array", "items": {"type": "object", "properties": {
                "id": {"type": "integer"}, "batch_code": {"type": "string"}, "product_name_th": {"type": "string"},
                "product_name_en": {"type": "string"}, "household_public_name": {"type": "string"}, "unit": {"type": "string"},
                "quantity": {"type": "string"}, "unit_price_satang": {"type": "integer"}, "discount_satang": {"type": "integer"},
                "total_satang": {"type": "integer"}}}},
            "receipt_url": {"type": "string", "format": "uri"},
        },
    },
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
