"""`/api/v1/me/...`: the grower's own household as JSON, for the phone's offline queue and for scripts.

Same rules as the pages (growers.me, growers.diary). A grower's signed-in page may write here with
its CSRF token (the offline queue); a script uses its bearer token. Only the grower's household.
"""
from flask import Blueprint, g, jsonify, url_for
from flask_babel import gettext as _

from certificates import records
from certificates.api import ActivityAnswer, InputEntryFields
from certificates.models import REVIEW_STATES
from core.answers import Answer, Bool, Day, Int, Many, One, Str, schemas
from core.api import api_role, created, json_body, query_args
from core.auth import current_household
from core.openapi import document, error_responses, json_response, list_response, query_parameters
from core.validation import Date, NotFound, Schema, ValidationError
from growers import diary, me
from traceability import batches

bp = Blueprint("growers_api", __name__, url_prefix="/api/v1/me")

grower_api = api_role("grower", browser_writes=True)


def _household():
    household = current_household()
    if household is None:
        raise NotFound()
    return household


class GrowerHousehold(Answer):
    """The grower's own household: its public name, no personal fields."""

    code = Str()
    public_name = Str()
    grower_prints_labels = Bool()


class GrowerCertificate(Answer):
    """The household's current certificate and its live status."""

    number = Str("certificate.number")
    status = Str("state")
    valid_until = Day("certificate.valid_until")


class CorrectiveAction(Answer):
    """A non-compliance the household must still put right."""

    description = Str()
    corrective_action = Str()
    due_on = Day(nullable=True)


class Owed(Answer):
    """What the market owes the household."""

    unsettled_satang = Int()
    unpaid_satang = Int()


def _current_certificate(summary):
    certificate, state = summary["status"].certification.current
    return {"certificate": certificate, "state": state} if certificate else None


class GrowerSummary(Answer):
    """The household as its own grower sees it: `{"household", "status": me.today(household)}`."""

    household = One(GrowerHousehold)
    certificate = One(GrowerCertificate, _current_certificate, nullable=True)
    next_inspection = Day("status.certification.next_inspection.scheduled_for", nullable=True)
    corrective_actions = Many(CorrectiveAction, "status.certification.open_actions")
    sales_today_satang = Int("status.sales_total_satang")
    owed = One(Owed, "status.owed")


class GrowerBatch(Answer):
    """A harvest of the household and where it stands."""

    code = Str()
    product_id = Int()
    plot_id = Int(nullable=True)
    harvest_date = Day()
    quantity = batches.Quantity("quantity_milli")
    sold = batches.Quantity("sold_milli")
    unit = Str()
    price_satang = Int(nullable=True)
    client_id = Str(nullable=True)
    state = Str(lambda batch: getattr(batch, "state", None) or me.harvest_state(batch, False),
                choices=tuple(me.HARVEST_STATES))


class GrowerSale(Answer):
    """The household's sales of one product on one market day (a row of me.sales_by_day)."""

    day = Day()
    product = Str("name_th")
    product_en = Str("name_en")
    unit = Str()
    quantity = batches.Quantity("quantity_milli")
    total_satang = Int()
    refunded_satang = Int()


class DiaryInput(InputEntryFields):
    """An input of the farm diary: the input log's entry, with the phone's id and the inspector's review."""

    kind = Str(lambda entry: "input")
    client_id = Str(nullable=True)
    in_register = Bool(lambda entry: entry.input_id is not None)
    review_status = Str(choices=REVIEW_STATES)
    review_comment = Str()


class DiaryActivity(ActivityAnswer):
    """An activity of the farm diary (a harvest is the batch it was recorded as), with the inspector's review."""

    schema_name = "DiaryActivity"
    kind = Str(lambda entry: "activity")
    review_status = Str(choices=REVIEW_STATES)
    review_comment = Str()


class Diary(Answer):
    """The household's farm diary, as diary.diary finds it."""

    inputs = Many(DiaryInput)
    activities = Many(DiaryActivity)


class DiaryRecorded(Answer):
    """A diary entry recorded (or found already recorded under its client_id)."""

    kind = Str()
    id = Int("entry.id")
    client_id = Str("entry.client_id", nullable=True)


class GrowerSettlement(Answer):
    """A settlement of the household, with the address of its statement."""

    id = Int()
    period_start = Day()
    period_end = Day()
    gross_satang = Int()
    refunds_satang = Int()
    commission_satang = Int()
    net_satang = Int()
    paid_on = Day(nullable=True)
    statement = Str(lambda settlement: url_for("growers.statement", settlement_id=settlement.id))


@bp.route("")
@grower_api
def summary():
    household = _household()
    return jsonify(GrowerSummary.dump({"household": household, "status": me.today(household)}))


@bp.route("/batches")
@grower_api
def batch_list():
    return jsonify({"items": GrowerBatch.many(me.harvests(_household()))})


@bp.route("/batches", methods=["POST"])
@grower_api
def batch_create():
    batch, was_created = me.record_harvest(_household(), json_body(), g.user)
    if not was_created:
        return jsonify(GrowerBatch.dump(batch))
    return created(GrowerBatch.dump(batch), url_for("growers_api.batch_list"))


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
                    "items": GrowerSale.many(rows)})


@bp.route("/diary")
@grower_api
def diary_list():
    return jsonify(Diary.dump(diary.diary(_household())))


@bp.route("/diary", methods=["POST"])
@grower_api
def diary_create():
    data = json_body()
    kind = data.get("kind")
    if kind not in diary.KINDS:
        raise ValidationError({"kind": _("Say which kind of entry: input or activity.")})
    entry, was_created = diary.record(kind, _household(), data, g.user)
    body = DiaryRecorded.dump({"kind": kind, "entry": entry})
    if not was_created:
        return jsonify(body)
    return created(body, url_for("growers_api.diary_list"))


@bp.route("/settlements")
@grower_api
def settlement_list():
    return jsonify({"items": GrowerSettlement.many(me.settlement_list(_household()))})


_INT = {"type": "integer"}


def _diary_entry(kind, schema):
    """The body of one kind of diary entry: the farm record's own input, its kind, and the phone's id."""
    body = schema.openapi()
    body["properties"] = {"kind": {"type": "string", "enum": [kind]},
                          **diary.DiaryEntryId.openapi()["properties"], **body["properties"]}
    body["required"] = ["kind", *body.get("required", ())]
    return body


_DAY = {"type": "string", "format": "date"}

document(bp, paths={
    "/me": {"get": {
        "summary": "The grower's household: certificate, what is due, today's sales, what is owed (grower)",
        "responses": {"200": json_response(GrowerSummary), **error_responses("401", "403", "404")},
    }},
    "/me/batches": {
        "get": {"summary": "The household's harvests with where each stands (waiting, checked, labelled, selling, sold out, recalled)",
                "responses": {"200": list_response(GrowerBatch, "Harvests"), **error_responses("401", "403", "404")}},
        "post": {"summary": "Record a harvest of the household once (client_id); it waits for the secretariat's check",
                 "requestBody": {"required": True, "content": {"application/json": {
                     "schema": batches.HarvestInput.openapi(omit=("household_id",))}}},
                 "responses": {"201": json_response(GrowerBatch, "Recorded"),
                               "200": json_response(GrowerBatch, "Already recorded under this client_id"),
                               **error_responses("400", "401", "403", "404")}},
    },
    "/me/sales": {"get": {
        "summary": "The household's sales by market day and product (default: the last 90 days)",
        "parameters": query_parameters(SalesPeriod),
        "responses": {"200": list_response(GrowerSale, "Sales", start=_DAY, end=_DAY, total_satang=_INT),
                      **error_responses("400", "401", "403", "404")},
    }},
    "/me/diary": {
        "get": {"summary": "The household's farm diary: inputs and activities (harvests included), with the inspector's review",
                "responses": {"200": json_response(Diary, "Diary"), **error_responses("401", "403", "404")}},
        "post": {"summary": "Record a diary entry once (client_id): an input or work on a plot, marked as the grower's",
                 "requestBody": {"required": True, "content": {"application/json": {"schema": {"oneOf": [
                     _diary_entry("input", records.InputEntryInput), _diary_entry("activity", records.ActivityInput)]}}}},
                 "responses": {"201": json_response(DiaryRecorded, "Recorded"),
                               "200": json_response(DiaryRecorded, "Already recorded under this client_id"),
                               **error_responses("400", "401", "403", "404")}},
    },
    "/me/settlements": {"get": {
        "summary": "The household's settlements with their status and the address of the statement PDF",
        "responses": {"200": list_response(GrowerSettlement, "Settlements"), **error_responses("401", "403", "404")},
    }},
}, schemas=schemas(GrowerSummary, GrowerBatch, GrowerSale, Diary, DiaryRecorded, GrowerSettlement))
