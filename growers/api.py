"""`/api/v1/me/...`: the grower's own household as JSON, for the phone's offline queue and for scripts.

Same rules as the pages (growers.me, growers.diary). A grower's signed-in page may write here with
its CSRF token (the offline queue); a script uses its bearer token. Only the grower's household.
"""
from flask import Blueprint, g, jsonify, url_for
from flask_babel import gettext as _

from core.api import api_role, created, json_body, query_args
from core.auth import current_household
from core.openapi import document, error_responses, json_response
from core.validation import Date, NotFound, Schema, ValidationError
from growers import diary, me
from traceability.batches import quantity_text

bp = Blueprint("growers_api", __name__, url_prefix="/api/v1/me")

grower_api = api_role("grower", browser_writes=True)


def _household():
    household = current_household()
    if household is None:
        raise NotFound()
    return household


def _batch(batch):
    return {"code": batch.code, "product_id": batch.product_id, "plot_id": batch.plot_id,
            "harvest_date": batch.harvest_date.isoformat(), "quantity": quantity_text(batch.quantity_milli),
            "sold": quantity_text(batch.sold_milli), "unit": batch.unit, "price_satang": batch.price_satang,
            "client_id": batch.client_id, "state": getattr(batch, "state", None) or me.harvest_state(batch, False)}


@bp.route("")
@grower_api
def summary():
    return jsonify(me.summary(_household()))


@bp.route("/batches")
@grower_api
def batch_list():
    return jsonify({"items": [_batch(batch) for batch in me.harvests(_household())]})


@bp.route("/batches", methods=["POST"])
@grower_api
def batch_create():
    batch, was_created = me.record_harvest(_household(), json_body(), g.user)
    if not was_created:
        return jsonify(_batch(batch))
    return created(_batch(batch), url_for("growers_api.batch_list"))


class SalesPeriod(Schema):
    """The days of the sales asked for; by default this month up to today."""

    start = Date()
    end = Date()


@bp.route("/sales")
@grower_api
def sales():
    asked = {key: value.isoformat() for key, value in query_args(SalesPeriod).items() if value}
    start, end, rows, total = me.sales_by_day(_household(), asked)
    return jsonify({"start": start.isoformat(), "end": end.isoformat(), "total_satang": total,
                    "items": [{"day": row["day"].isoformat(), "product": row["name_th"], "product_en": row["name_en"],
                               "unit": row["unit"], "quantity": quantity_text(row["quantity_milli"]),
                               "total_satang": row["total_satang"], "refunded_satang": row["refunded_satang"]}
                              for row in rows]})


@bp.route("/diary")
@grower_api
def diary_list():
    found = diary.diary(_household())
    return jsonify({"inputs": [diary.serialize_input(entry) for entry in found["inputs"]],
                    "activities": [diary.serialize_activity(entry) for entry in found["activities"]]})


@bp.route("/diary", methods=["POST"])
@grower_api
def diary_create():
    data = json_body()
    kind = data.get("kind")
    if kind not in diary.KINDS:
        raise ValidationError({"kind": _("Say which kind of entry: input or activity.")})
    entry, was_created = diary.record(kind, _household(), data, g.user)
    body = {"kind": kind, "id": entry.id, "client_id": entry.client_id}
    if not was_created:
        return jsonify(body)
    return created(body, url_for("growers_api.diary_list"))


@bp.route("/settlements")
@grower_api
def settlement_list():
    return jsonify({"items": [
        {"id": s.id, "period_start": s.period_start.isoformat(), "period_end": s.period_end.isoformat(),
         "gross_satang": s.gross_satang, "refunds_satang": s.refunds_satang, "commission_satang": s.commission_satang,
         "net_satang": s.net_satang, "paid_on": s.paid_on.isoformat() if s.paid_on else None,
         "statement": url_for("growers.statement", settlement_id=s.id)}
        for s in me.settlement_list(_household())]})


_STRING, _DATE, _INT = {"type": "string"}, {"type": "string", "format": "date"}, {"type": "integer"}
_NULLABLE_DATE = {"type": "string", "format": "date", "nullable": True}
_DIARY_INPUT = {
    "type": "object", "required": ["kind", "plot_id"],
    "description": "kind input: used_on, input_type, name (from the register or typed), quantity, unit, source; "
                   "kind activity: done_on, activity (not harvest: POST /me/batches), product_id, quantity, notes. "
                   "Dates in B.E. or C.E., Thai digits too.",
    "properties": {"kind": {"type": "string", "enum": list(diary.KINDS)},
                   "client_id": {"type": "string", "format": "uuid", "description": "Made by the phone; a resend is one entry"},
                   "plot_id": _INT, "used_on": _STRING, "done_on": _STRING, "input_type": _STRING, "name": _STRING,
                   "activity": _STRING, "product_id": _INT, "quantity": _STRING, "unit": _STRING, "source": _STRING,
                   "notes": _STRING}}
_DIARY_RECORDED = {"application/json": {"schema": {"$ref": "#/components/schemas/DiaryRecorded"}}}
_REVIEW = {"review_status": {"type": "string", "enum": ["", "confirmed", "queried"]}, "review_comment": _STRING}

document(bp, paths={
    "/me": {"get": {
        "summary": "The grower's household: certificate, what is due, today's sales, what is owed (grower)",
        "responses": {"200": json_response("GrowerSummary"), **error_responses("401", "403", "404")},
    }},
    "/me/batches": {
        "get": {"summary": "The household's harvests with where each stands (waiting, checked, labelled, selling, sold out, recalled)",
                "responses": {"200": {"description": "Harvests", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/GrowerBatch"}}}}}}},
                    **error_responses("401", "403", "404")}},
        "post": {"summary": "Record a harvest of the household once (client_id); it waits for the secretariat's check",
                 "requestBody": {"required": True, "content": {"application/json": {"schema": {
                     "type": "object", "required": ["product_id", "harvest_date", "quantity"], "properties": {
                         "client_id": {"type": "string", "format": "uuid"}, "product_id": _INT, "plot_id": _INT,
                         "harvest_date": _STRING, "quantity": _STRING, "unit": _STRING, "price": _STRING,
                         "best_before": _STRING, "notes": _STRING}}}}},
                 "responses": {"201": json_response("GrowerBatch", "Recorded"),
                               "200": json_response("GrowerBatch", "Already recorded under this client_id"),
                               **error_responses("400", "401", "403", "404")}},
    },
    "/me/sales": {"get": {
        "summary": "The household's sales by market day and product (default: the last 90 days)",
        "parameters": [{"name": "start", "in": "query", "schema": _STRING}, {"name": "end", "in": "query", "schema": _STRING}],
        "responses": {"200": {"description": "Sales", "content": {"application/json": {"schema": {"type": "object", "properties": {
            "start": _DATE, "end": _DATE, "total_satang": _INT, "items": {"type": "array", "items": {"type": "object", "properties": {
                "day": _DATE, "product": _STRING, "product_en": _STRING, "unit": _STRING, "quantity": _STRING,
                "total_satang": _INT, "refunded_satang": _INT}}}}}}}},
            **error_responses("400", "401", "403", "404")},
    }},
    "/me/diary": {
        "get": {"summary": "The household's farm diary: inputs and activities (harvests included), with the inspector's review",
                "responses": {"200": {"description": "Diary", "content": {"application/json": {"schema": {"type": "object", "properties": {
                    "inputs": {"type": "array", "items": {"type": "object", "properties": {
                        "kind": _STRING, "id": _INT, "client_id": {"type": "string", "nullable": True}, "used_on": _DATE,
                        "plot_id": _INT, "input_type": _STRING, "name": _STRING, "quantity": {"type": "string", "nullable": True},
                        "unit": _STRING, "source": _STRING, "in_register": {"type": "boolean"}, **_REVIEW}}},
                    "activities": {"type": "array", "items": {"type": "object", "properties": {
                        "kind": _STRING, "id": {"type": "integer", "nullable": True}, "done_on": _DATE,
                        "plot_id": {"type": "integer", "nullable": True}, "activity": _STRING,
                        "product_id": {"type": "integer", "nullable": True}, "quantity": {"type": "string", "nullable": True},
                        "unit": _STRING, "notes": _STRING, "batch_code": {"type": "string", "nullable": True}, **_REVIEW}}}}}}}},
                    **error_responses("401", "403", "404")}},
        "post": {"summary": "Record a diary entry once (client_id): an input or work on a plot, marked as the grower's",
                 "requestBody": {"required": True, "content": {"application/json": {"schema": _DIARY_INPUT}}},
                 "responses": {"201": {"description": "Recorded", "content": _DIARY_RECORDED},
                               "200": {"description": "Already recorded under this client_id", "content": _DIARY_RECORDED},
                               **error_responses("400", "401", "403", "404")}},
    },
    "/me/settlements": {"get": {
        "summary": "The household's settlements with their status and the address of the statement PDF",
        "responses": {"200": {"description": "Settlements", "content": {"application/json": {"schema": {"type": "object", "properties": {
            "items": {"type": "array", "items": {"type": "object", "properties": {
                "id": _INT, "period_start": _DATE, "period_end": _DATE, "gross_satang": _INT, "refunds_satang": _INT,
                "commission_satang": _INT, "net_satang": _INT, "paid_on": _NULLABLE_DATE, "statement": _STRING}}}}}}}},
            **error_responses("401", "403", "404")},
    }},
}, schemas={
    "GrowerSummary": {"type": "object", "properties": {
        "household": {"type": "object", "properties": {"code": _STRING, "public_name": _STRING,
                                                       "grower_prints_labels": {"type": "boolean"}}},
        "certificate": {"type": "object", "nullable": True, "properties": {
            "number": _STRING, "status": _STRING, "valid_until": _DATE}},
        "next_inspection": _NULLABLE_DATE,
        "corrective_actions": {"type": "array", "items": {"type": "object", "properties": {
            "description": _STRING, "corrective_action": _STRING, "due_on": _NULLABLE_DATE}}},
        "sales_today_satang": _INT,
        "owed": {"type": "object", "properties": {"unsettled_satang": _INT, "unpaid_satang": _INT}}}},
    "GrowerBatch": {"type": "object", "properties": {
        "code": _STRING, "product_id": _INT, "plot_id": {"type": "integer", "nullable": True}, "harvest_date": _DATE,
        "quantity": _STRING, "sold": _STRING, "unit": _STRING, "price_satang": {"type": "integer", "nullable": True},
        "client_id": {"type": "string", "nullable": True},
        "state": {"type": "string", "enum": list(me.HARVEST_STATES)}}},
    "DiaryRecorded": {"type": "object", "properties": {"kind": _STRING, "id": _INT, "client_id": {"type": "string", "nullable": True}}},
})
