"""JSON routes for harvest batches and their label PDFs, under /api/v1/ (documented below them)."""
from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _

from core.answers import Answer, Bool, Day, Int, Many, One, Str, schemas
from core.api import PdfLanguage, api_role, created, json_body, paged, pdf_language, query_args
from core.errors import json_error
from core.openapi import document, error_responses, json_response, page_schema, query_parameters
from traceability import batches, codes, labels, making
from traceability.batches import Quantity
from traceability.models import BATCH_STATUSES

bp = Blueprint("traceability_api", __name__, url_prefix="/api/v1")

READERS = ("admin", "inspector", "cashier")


def _base_url():
    return current_app.config["GREENMARKET_BASE_URL"]


def _batch_or_error(code):
    """The batch for `code`, or the (response, status) that says mistyped (400) or not found (404)."""
    try:
        return batches.find_batch(code), None
    except codes.MistypedCode:
        return None, json_error(400, "mistyped_code", _(
            "%(code)s is not a valid batch code: a character is wrong or missing. Check the code on the label.",
            code=code[:40]))
    except batches.UnknownCode:
        return None, json_error(404, "not_found", _("No batch has the code %(code)s.", code=code[:40]))


def _trace_url(batch):
    return batches.trace_url(_base_url(), batch.code)


class PublicHousehold(Answer):
    """The household a batch comes from: public name and village only."""

    id = Int()
    public_name = Str()
    village_no = Int()


class BatchHousehold(PublicHousehold):
    """The household of a batch with its code: never phone, ID or disadvantaged flags."""

    code = Str()


class ProductName(Answer):
    """A product by its names."""

    id = Int()
    name_th = Str()
    name_en = Str()


class BatchProduct(ProductName):
    """The product of a batch."""

    category = Str()


class PlotName(Answer):
    """The plot a batch was harvested on."""

    id = Int()
    name = Str()


class BatchCertification(Answer):
    """The batch's live certification, and why not when it is not certified."""

    state = Str(example="certified")
    certified = Bool()
    message = Str(description="In the caller's language")
    certificate_number = Str("certificate.number", nullable=True)


class BatchAnswer(Answer):
    """A batch as plain data for the API: no personal data, the live certification, what is left."""

    schema_name = "Batch"
    code = Str(example="ABCD2345")
    display_code = Str(lambda batch: codes.format_code(batch.code), example="ABCD-2345")
    kind = Str(choices=("harvest", "made"), description="made: made from other batches (see /batches/{code}/inputs); "
                                                         "harvest_date is the day it was made")
    household = One(BatchHousehold, description="Public details only: never phone, ID or disadvantaged flags")
    product = One(BatchProduct)
    plot = One(PlotName, lambda batch: batch.plot if batch.plot_id else None, nullable=True)
    harvest_date = Day()
    best_before = Day(nullable=True)
    unit = Str()
    quantity = Quantity("quantity_milli")
    quantity_sold = Quantity("sold_milli")
    quantity_left = Quantity("left_milli")
    price_satang = Int(nullable=True)
    status = Str(choices=tuple(BATCH_STATUSES))
    recall_reason = Str(lambda batch: batch.recall_reason or None, nullable=True)
    notes = Str()
    certification = One(BatchCertification, batches.batch_certification)
    trace_url = Str(_trace_url, format="uri")


class BatchInputItem(Answer):
    """An input of a made batch: public details and how much was used."""

    code = Str()
    display_code = Str(lambda source: codes.format_code(source.code))
    kind = Str(choices=("harvest", "made"))
    product = One(ProductName)
    household = One(PublicHousehold, description="Public name and village only")
    plot = One(PlotName, lambda source: source.plot if source.plot_id else None, nullable=True)
    harvest_date = Day()
    unit = Str()
    quantity_used = Quantity("used_milli")
    trace_url = Str(_trace_url, format="uri")


class MadeBatchAnswer(BatchAnswer):
    """A batch made from other batches, with the inputs it took."""

    schema_name = "MadeBatch"
    inputs = Many(BatchInputItem, batches.input_batches)


class BatchOutputItem(Answer):
    """A batch made from the one asked about, and how much of it that making took (a row of making.used_in)."""

    code = Str("batch.code")
    display_code = Str(lambda row: codes.format_code(row.batch.code))
    product = One(ProductName, "batch.product")
    made_on = Day("batch.harvest_date")
    status = Str("batch.status", choices=tuple(BATCH_STATUSES))
    quantity_used = Quantity("quantity_milli")
    trace_url = Str(lambda row: _trace_url(row.batch), format="uri")


@bp.route("/batches")
@api_role(*READERS)
def batch_list():
    args = query_args(batches.BatchFilter)
    query = batches.search_batches(
        args.get("household_id"), args.get("product_id"), args.get("harvested_from"),
        args.get("harvested_to"), args.get("status"))
    return paged(query, BatchAnswer.many, args)


@bp.route("/batches", methods=["POST"])
@api_role("admin")
def batch_create():
    batch, is_new = batches.record_batch(json_body(), g.user)
    if not is_new:
        return jsonify(BatchAnswer.dump(batch))
    return created(BatchAnswer.dump(batch), url_for(".batch_read", code=batch.code))


@bp.route("/batches/<code>")
@api_role(*READERS)
def batch_read(code):
    batch, error = _batch_or_error(code)
    return error or jsonify(BatchAnswer.dump(batch))


@bp.route("/made-batches", methods=["POST"])
@api_role("admin")
def made_batch_create():
    batch, is_new = making.record_made_batch(json_body(), g.user)
    record = MadeBatchAnswer.dump(batch)
    if not is_new:
        return jsonify(record)
    return created(record, url_for(".batch_read", code=batch.code))


@bp.route("/batches/<code>/inputs")
@api_role(*READERS)
def batch_inputs(code):
    batch, error = _batch_or_error(code)
    return error or jsonify({"items": BatchInputItem.many(batches.input_batches(batch))})


@bp.route("/batches/<code>/outputs")
@api_role(*READERS)
def batch_outputs(code):
    batch, error = _batch_or_error(code)
    return error or jsonify({"items": BatchOutputItem.many(making.used_in(batch))})


def _label_options():
    """Read template, copies, skip and language from the query string (400 naming any bad one)."""
    options = labels.LabelOptions.clean(request.values.to_dict())
    return options.get("template") or "a4-3x8", options.get("copies") or 1, options.get("skip") or 0


def _labels_response(found, filename):
    template, copies, skip = _label_options()
    language = pdf_language()
    if len(found) * copies > labels.MAX_LABELS:
        return json_error(400, "too_many_labels", _("At most %(n)d labels in one PDF.", n=labels.MAX_LABELS))
    # GET only shows the labels (a preview, or a script's check); POST prints them and records it.
    try:
        pdf, _statuses = labels.print_labels(found, template, copies, _base_url(), g.user, language, skip,
                                             record=request.method == "POST")
    except labels.LabelsRefused as refused:
        reasons = {codes.format_code(batch.code): str(reason) for batch, reason in refused.refusals}
        message = " ".join(f"{code}: {reason}" for code, reason in reasons.items())
        return json_error(409, "not_sellable", message, reasons)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


@bp.route("/batches/<code>/labels.pdf", methods=["GET", "POST"])
@api_role("admin", browser_writes=True)
def batch_labels(code):
    batch, error = _batch_or_error(code)
    return error or _labels_response([batch], f"labels-{batch.code}.pdf")


@bp.route("/labels.pdf", methods=["GET", "POST"])
@api_role("admin", browser_writes=True)
def labels_for_batches():
    wanted = request.values.getlist("batch")
    if not wanted:
        return json_error(400, "invalid", _("Choose at least one batch."), {"batch": _("Choose at least one batch.")})
    found = []
    for code in dict.fromkeys(wanted):
        batch, error = _batch_or_error(code)
        if error:
            return error
        found.append(batch)
    return _labels_response(found, "labels.pdf")


_CODE = {"name": "code", "in": "path", "required": True,
         "schema": {"type": "string", "example": "ABCD2345"},
         "description": "A batch code, with or without its dash, in any case"}
_BATCHES = {"name": "batch", "in": "query", "required": True, "style": "form", "explode": True,
            "schema": {"type": "array", "minItems": 1, "items": {"type": "string"}}}
_LABEL_PARAMETERS = query_parameters(labels.LabelOptions) + query_parameters(PdfLanguage)
_PDF = {"description": "The labels as PDF (only for batches the counter may sell; others are a 409 `not_sellable` "
                       "naming each batch and why)",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}

document(bp, paths={
    "/batches": {
        "get": {
            "summary": "List harvest batches, newest harvest first (admin, inspector, cashier)",
            "parameters": query_parameters(batches.BatchFilter),
            "responses": {"200": json_response("BatchPage"), **error_responses("400", "401", "403")},
        },
        "post": {
            "summary": "Record a harvest batch; it gets a new self-checking code (admin)",
            "description": "Send a `client_id` (a UUID you make) and a retry after a lost answer returns "
                           "the first batch with 200 instead of recording the harvest twice.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchInput"}}}},
            "responses": {"201": json_response("Batch", "Created"),
                          "200": json_response("Batch", "Already recorded under this client_id"),
                          **error_responses("400", "401", "403")},
        },
    },
    "/batches/{code}": {
        "get": {
            "summary": "A batch with its household, live certification status and quantity left",
            "parameters": [_CODE],
            "responses": {"200": json_response("Batch"), **error_responses("400", "401", "403", "404")},
        },
    },
    "/made-batches": {
        "post": {
            "summary": "Record a batch made from other batches: bottled honey, packed mushrooms, a craft (admin)",
            "description": "Each input's quantity is taken from its stock in the same transaction, never more than "
                           "it holds; if any input cannot give its quantity nothing is written. Send a `client_id` "
                           "(a UUID you make): a retry after a lost answer returns the first batch with 200 and "
                           "takes nothing more.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MadeBatchInput"}}}},
            "responses": {"201": json_response("MadeBatch", "Created"),
                          "200": json_response("MadeBatch", "Already recorded under this client_id"),
                          **error_responses("400", "401", "403")},
        },
    },
    "/batches/{code}/inputs": {
        "get": {
            "summary": "The batches this batch was made from, and how much of each went in",
            "parameters": [_CODE],
            "responses": {"200": json_response("BatchInputList"), **error_responses("400", "401", "403", "404")},
        },
    },
    "/batches/{code}/outputs": {
        "get": {
            "summary": "The batches made from this batch, and how much of it each took",
            "parameters": [_CODE],
            "responses": {"200": json_response("BatchOutputList"), **error_responses("400", "401", "403", "404")},
        },
    },
    "/batches/{code}/labels.pdf": {
        "get": {
            "summary": "QR labels for a batch, to look at: records no print (admin)",
            "parameters": [_CODE] + _LABEL_PARAMETERS,
            "responses": {"200": _PDF, **error_responses("400", "401", "403", "404", "409")},
        },
        "post": {
            "summary": "Print QR labels for a batch: the print and its claim are recorded (admin)",
            "parameters": [_CODE] + _LABEL_PARAMETERS,
            "responses": {"200": _PDF, **error_responses("400", "401", "403", "404", "409")},
        },
    },
    "/labels.pdf": {
        "get": {
            "summary": "QR labels for several batches at once, to look at: records no print (admin)",
            "parameters": [_BATCHES] + _LABEL_PARAMETERS,
            "responses": {"200": _PDF, **error_responses("400", "401", "403", "404", "409")},
        },
        "post": {
            "summary": "Print QR labels for several batches at once: each print is recorded (admin)",
            "parameters": [_BATCHES] + _LABEL_PARAMETERS,
            "responses": {"200": _PDF, **error_responses("400", "401", "403", "404", "409")},
        },
    },
}, schemas={
    "BatchInput": batches.HarvestInput.openapi(),
    "MadeBatchInput": making.MadeBatchInput.openapi(),
    **schemas(BatchAnswer, MadeBatchAnswer, BatchInputItem, BatchOutputItem),
    "BatchInputList": BatchInputItem.list_schema(),
    "BatchOutputList": BatchOutputItem.list_schema(),
    "BatchPage": page_schema(BatchAnswer),
})
