"""`/api/v1/me/...`: the grower's own household as JSON, for the phone's offline queue and for scripts.

Same rules as the pages (growers.me, growers.diary). A grower's signed-in page may write here with
its CSRF token (the offline queue); a script uses its bearer token. Only the grower's household.
"""
from flask import Blueprint, g, jsonify, url_for
from flask_babel import gettext as _

from core.api import api_role, created, json_body, query_form
from core.auth import current_household
from core.validation import NotFound, ValidationError
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


@bp.route("/sales")
@grower_api
def sales():
    form = query_form()
    form.date("start")
    form.date("end")
    asked = {key: value.isoformat() for key, value in form.finish().items() if key in ("start", "end") and value}
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
