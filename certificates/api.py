"""JSON routes of certification under /api/v1/, with the same role rules as the pages."""
import datetime

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask_babel import gettext as _

from certificates import certification, inspections, records
from certificates.models import Certificate, CertificatePlot, CertificateProduct, Decision, Inspection
from certificates.public import find_certificate
from core.api import api_role, json_body
from core.db import get_or_404
from core.errors import json_error
from core.models import Household, Product
from core.validation import NotFound, ValidationError

bp = Blueprint("certificates_api", __name__, url_prefix="/api/v1")

STAFF = ("admin", "cashier", "inspector")


def certificate_record(certificate, on=None):
    """A certificate as plain data, with its live status; no personal data of the household."""
    household = certificate.household
    return {
        "number": certificate.number,
        "status": certification.effective_status(certificate, on),
        "household": {"id": household.id, "code": household.code, "display_name": household.public_name,
                      "village_no": household.village_no},
        "standard": certificate.standard.code,
        "body": certificate.body.name_th,
        "issued_on": certificate.issued_on.isoformat(),
        "valid_until": certificate.valid_until.isoformat(),
        "suspended_until": certificate.suspended_until.isoformat() if certificate.suspended_until else None,
        "status_reason": certificate.status_reason,
        "conditions": certificate.conditions,
        "product_ids": [link.product_id for link in CertificateProduct.select().where(CertificateProduct.certificate == certificate)],
        "plot_ids": [link.plot_id for link in CertificatePlot.select().where(CertificatePlot.certificate == certificate)],
        "history": [
            {"at": e.at.isoformat() + "Z", "action": e.action, "reason": e.reason,
             "until": e.until.isoformat() if e.until else None, "user": e.user.username if e.user else None}
            for e in certification.history(certificate)
        ],
    }


def inspection_record(inspection):
    """An inspection with its inspectors, results and non-compliances."""
    decision = Decision.get_or_none(Decision.inspection == inspection)
    return {
        "id": inspection.id,
        "household_id": inspection.household_id,
        "standard": inspection.standard.code,
        "body_id": inspection.body_id,
        "kind": inspection.kind,
        "status": inspection.status,
        "scheduled_for": inspection.scheduled_for.isoformat(),
        "inspected_on": inspection.inspected_on.isoformat() if inspection.inspected_on else None,
        "findings": inspection.findings,
        "inspectors": [{"name": p.name, "household_id": p.household_id, "organisation": p.organisation} for p in inspection.inspectors],
        "results": {str(r.requirement_id): {"result": r.result, "note": r.note} for r in inspection.results},
        "non_compliances": [
            {"description": nc.description, "severity": nc.severity, "corrective_action": nc.corrective_action,
             "due_on": nc.due_on.isoformat() if nc.due_on else None}
            for nc in inspection.non_compliances
        ],
        "decision": {"id": decision.id, "outcome": decision.outcome, "conditions": decision.conditions,
                     "reason": decision.reason} if decision else None,
    }


def _certificate(number):
    certificate = find_certificate(number)
    if certificate is None:
        raise NotFound()
    return certificate


def _language():
    language = request.args.get("lang", "th")
    if language not in ("th", "en"):
        raise ValidationError({"lang": "th | en"})
    return language


@bp.route("/households/<int:household_id>/certification")
@api_role(*STAFF)
def household_certification(household_id):
    """Is the household certified for a product on a date (default today), and if not, why."""
    household = get_or_404(Household, household_id)
    product = get_or_404(Product, request.args.get("product_id", type=int) or 0)
    on = None
    if request.args.get("on"):
        try:
            on = datetime.date.fromisoformat(request.args["on"])
        except ValueError:
            raise ValidationError({"on": "YYYY-MM-DD"}) from None
    status = certification.certification_status(household, product, on)
    return jsonify({
        "household_id": household.id,
        "product_id": product.id,
        "on": (on or certification.today()).isoformat(),
        "certified": status.certified,
        "state": status.state,
        "message": str(status.message),
        "certificate": status.certificate.number if status.certificate else None,
    })


@bp.route("/certificates")
@api_role(*STAFF)
def certificate_list():
    query = Certificate.select().order_by(Certificate.number)
    if request.args.get("household_id", type=int):
        query = query.where(Certificate.household == request.args.get("household_id", type=int))
    return jsonify({"items": [certificate_record(c) for c in query]})


@bp.route("/certificates/<number>")
@api_role(*STAFF)
def certificate_read(number):
    return jsonify(certificate_record(_certificate(number)))


@bp.route("/certificates/<number>.pdf")
@api_role(*STAFF)
def certificate_pdf(number):
    from certificates.documents import certificate_pdf as build

    certificate = _certificate(number)
    pdf = build(certificate, current_app.config["GREENMARKET_BASE_URL"], _language())
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{certificate.number}.pdf"'})


@bp.route("/certificates/<number>/<action>", methods=["POST"])
@api_role("admin", "inspector")
def certificate_action(number, action):
    from certificates.views import STATUS_ACTIONS

    certificate = _certificate(number)
    if action not in STATUS_ACTIONS:
        raise NotFound()
    STATUS_ACTIONS[action](certificate, json_body(), g.user)
    return jsonify(certificate_record(certificate))


@bp.route("/households/<int:household_id>/inputs", methods=["GET", "POST"])
@api_role("admin", "inspector")
def household_inputs(household_id):
    household = get_or_404(Household, household_id)
    if request.method == "POST":
        if g.user.role != "admin":
            return _forbidden()
        records.add_input(household, json_body(), g.user)
    return jsonify({"items": [
        {"id": e.id, "plot_id": e.plot_id, "used_on": e.used_on.isoformat(), "input_type": e.input_type, "name": e.name,
         "quantity": str(e.quantity) if e.quantity is not None else None, "unit": e.unit, "source": e.source,
         "prohibited": e.is_prohibited, "prohibited_reason": e.prohibited_reason}
        for e in records.input_log(household)
    ]}), (201 if request.method == "POST" else 200)


@bp.route("/households/<int:household_id>/activities", methods=["GET", "POST"])
@api_role("admin", "inspector")
def household_activities(household_id):
    household = get_or_404(Household, household_id)
    if request.method == "POST":
        if g.user.role != "admin":
            return _forbidden()
        records.add_activity(household, json_body(), g.user)
    return jsonify({"items": [
        {"id": a.id, "plot_id": a.plot_id, "done_on": a.done_on.isoformat(), "activity": a.activity,
         "product_id": a.product_id, "quantity": str(a.quantity) if a.quantity is not None else None,
         "unit": a.unit, "notes": a.notes}
        for a in records.activity_log(household)
    ]}), (201 if request.method == "POST" else 200)


def _forbidden():
    return json_error(403, "forbidden", _("Your role does not allow this."))


@bp.route("/households/<int:household_id>/inspections", methods=["POST"])
@api_role("admin", "inspector")
def inspection_schedule(household_id):
    household = get_or_404(Household, household_id)
    inspection = inspections.schedule_inspection(household, json_body(), g.user)
    return jsonify(inspection_record(inspection)), 201


@bp.route("/inspections/<int:inspection_id>")
@api_role("admin", "inspector")
def inspection_read(inspection_id):
    return jsonify(inspection_record(get_or_404(Inspection, inspection_id)))


@bp.route("/inspections/<int:inspection_id>/record", methods=["POST"])
@api_role("admin", "inspector")
def inspection_record_route(inspection_id):
    inspection = get_or_404(Inspection, inspection_id)
    inspections.record_inspection(inspection, json_body(), g.user)
    return jsonify(inspection_record(inspection))


@bp.route("/inspections/<int:inspection_id>/decision", methods=["POST"])
@api_role("admin", "inspector")
def inspection_decision(inspection_id):
    inspection = get_or_404(Inspection, inspection_id)
    certification.decide(inspection, json_body(), g.user)
    return jsonify(inspection_record(inspection)), 201


@bp.route("/inspections/<int:inspection_id>/report.pdf")
@api_role("admin", "inspector")
def inspection_report(inspection_id):
    from certificates.documents import inspection_report_pdf

    inspection = get_or_404(Inspection, inspection_id)
    pdf = inspection_report_pdf(inspection, _language())
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="inspection-{inspection.id}.pdf"'})


@bp.route("/decisions/<int:decision_id>/certificate", methods=["POST"])
@api_role("admin", "inspector")
def certificate_issue(decision_id):
    decision = get_or_404(Decision, decision_id)
    certificate = certification.issue_certificate(decision, json_body(), g.user)
    return jsonify(certificate_record(certificate)), 201
