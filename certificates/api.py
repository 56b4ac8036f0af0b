"""JSON routes of certification under /api/v1/, with the same role rules as the pages."""

from flask import Blueprint, Response, current_app, g, jsonify

from certificates import certification, documents, inspections, network, records
from certificates.models import Certificate, CertificatePlot, CertificateProduct, Decision, Inspection
from certificates.public import find_certificate
from certificates.views import STATUS_ACTIONS
from core.api import PdfLanguage, api_role, json_body, pdf_language, query_args
from core.db import LARGEST_ID, get_or_404
from core.models import Household, Product
from core.openapi import document, error_responses, json_response, query_parameters, request_body
from core.validation import Date, Integer, NotFound, Schema

bp = Blueprint("certificates_api", __name__, url_prefix="/api/v1")

STAFF = ("admin", "cashier", "inspector")


class CertificationQuestion(Schema):
    """Which product a household's certification is asked for, and on which day."""

    product_id = Integer(minimum=1, maximum=LARGEST_ID, required=True)
    on = Date(description="Default today")


class CertificateFilter(Schema):
    """Whose certificates to list; all without it."""

    household_id = Integer(minimum=1, maximum=LARGEST_ID)


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


def certification_answer(household, product, on, status):
    """Whether a household is certified for a product on a day, and if not, why."""
    return {
        "household_id": household.id,
        "product_id": product.id,
        "on": on.isoformat(),
        "certified": status.certified,
        "state": status.state,
        "message": str(status.message),
        "certificate": status.certificate.number if status.certificate else None,
    }


def _certificate(number):
    certificate = find_certificate(number)
    if certificate is None:
        raise NotFound()
    return certificate


@bp.route("/households/<int:household_id>/certification")
@api_role(*STAFF)
def household_certification(household_id):
    """Is the household certified for a product on a date (default today), and if not, why."""
    household = get_or_404(Household, household_id)
    question = query_args(CertificationQuestion)
    product = get_or_404(Product, question["product_id"])
    on = question.get("on") or certification.today()
    return jsonify(certification_answer(household, product, on, certification.certification_status(household, product, on)))


@bp.route("/certificates")
@api_role(*STAFF)
def certificate_list():
    household_id = query_args(CertificateFilter).get("household_id")
    query = Certificate.select().order_by(Certificate.number)
    if household_id:
        query = query.where(Certificate.household == household_id)
    return jsonify({"items": [certificate_record(c) for c in query]})


@bp.route("/certificates/<number>")
@api_role(*STAFF)
def certificate_read(number):
    return jsonify(certificate_record(_certificate(number)))


@bp.route("/certificates/<number>.pdf")
@api_role(*STAFF)
def certificate_pdf(number):
    certificate = _certificate(number)
    pdf = documents.certificate_pdf(certificate, current_app.config["GREENMARKET_BASE_URL"], pdf_language())
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{certificate.number}.pdf"'})


@bp.route("/certificates/<number>/<action>", methods=["POST"])
@api_role("admin", "inspector")
def certificate_action(number, action):
    certificate = _certificate(number)
    if action not in STATUS_ACTIONS:
        raise NotFound()
    STATUS_ACTIONS[action](certificate, json_body(), g.user)
    return jsonify(certificate_record(certificate))


def input_entry_record(entry):
    """An entry of the input log, flagged when the standard prohibits the input."""
    return {
        "id": entry.id, "plot_id": entry.plot_id, "used_on": entry.used_on.isoformat(), "input_type": entry.input_type,
        "name": entry.name, "quantity": str(entry.quantity) if entry.quantity is not None else None, "unit": entry.unit,
        "source": entry.source, "input_id": entry.input_id, "state": entry.state, "prohibited": entry.state == "prohibited",
        "prohibited_reason": entry.ruling.condition if entry.state == "prohibited" else "",
    }


def activity_record(activity):
    """An entry of the activity log; a harvest is the batch it was recorded as."""
    return {
        "id": activity.activity_id, "batch_code": activity.batch_code, "plot_id": activity.plot.id if activity.plot else None,
        "done_on": activity.done_on.isoformat(), "activity": activity.activity,
        "product_id": activity.product.id if activity.product else None,
        "quantity": str(activity.quantity) if activity.quantity is not None else None, "unit": activity.unit,
        "notes": activity.notes,
    }


def _input_log(household):
    return {"items": [input_entry_record(entry) for entry in records.input_log(household)]}


def _activity_log(household):
    return {"items": [activity_record(activity) for activity in records.activity_log(household)]}


@bp.route("/households/<int:household_id>/inputs")
@api_role("admin", "inspector")
def household_inputs(household_id):
    return jsonify(_input_log(get_or_404(Household, household_id)))


@bp.route("/households/<int:household_id>/inputs", methods=["POST"])
@api_role("admin")
def input_add(household_id):
    household = get_or_404(Household, household_id)
    records.add_input(household, json_body(), g.user)
    return jsonify(_input_log(household)), 201


@bp.route("/households/<int:household_id>/activities")
@api_role("admin", "inspector")
def household_activities(household_id):
    return jsonify(_activity_log(get_or_404(Household, household_id)))


@bp.route("/households/<int:household_id>/activities", methods=["POST"])
@api_role("admin")
def activity_add(household_id):
    household = get_or_404(Household, household_id)
    records.add_activity(household, json_body(), g.user)
    return jsonify(_activity_log(household)), 201


@bp.route("/network-register")
@api_role("admin", "inspector")
def network_register():
    """The certified and in-conversion households, public data only, for the network of markets."""
    on = certification.today()
    return jsonify({"as_of": on.isoformat(), "items": network.register(current_app.config["GREENMARKET_BASE_URL"], on)})


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
    inspection = get_or_404(Inspection, inspection_id)
    pdf = documents.inspection_report_pdf(inspection, pdf_language())
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="inspection-{inspection.id}.pdf"'})


@bp.route("/decisions/<int:decision_id>/certificate", methods=["POST"])
@api_role("admin", "inspector")
def certificate_issue(decision_id):
    decision = get_or_404(Decision, decision_id)
    certificate = certification.issue_certificate(decision, json_body(), g.user)
    return jsonify(certificate_record(certificate)), 201


def _path_id(name):
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1, "maximum": LARGEST_ID}}


_NUMBER = {"name": "number", "in": "path", "required": True, "schema": {"type": "string", "example": "KH-2569-0001"}}
_PDF = {"description": "A4 PDF", "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}
_OBJECT = {"type": "object"}


def _items(schema_name):
    return {"description": "OK", "content": {"application/json": {"schema": {
        "type": "object", "properties": {"items": {"type": "array", "items": {"$ref": f"#/components/schemas/{schema_name}"}}}}}}}


document(bp, paths={
    "/households/{household_id}/certification": {"get": {
        "summary": "Is the household certified for a product on a date (default today), and if not, why",
        "parameters": [_path_id("household_id"),
                       *query_parameters(CertificationQuestion)],
        "responses": {"200": json_response("CertificationAnswer"), **error_responses("400", "401", "403", "404")},
    }},
    "/certificates": {"get": {
        "summary": "Certificates with their live status, newest first (staff)",
        "parameters": query_parameters(CertificateFilter),
        "responses": {"200": _items("Certificate"), **error_responses("401", "403")},
    }},
    "/certificates/{number}": {"get": {
        "summary": "A certificate with its status now and its history", "parameters": [_NUMBER],
        "responses": {"200": json_response("Certificate"), **error_responses("401", "403", "404")},
    }},
    "/certificates/{number}.pdf": {"get": {
        "summary": "The certificate as an A4 PDF with the QR code of its verification page",
        "parameters": [_NUMBER, *query_parameters(PdfLanguage)],
        "responses": {"200": _PDF, **error_responses("400", "401", "403", "404")},
    }},
    "/certificates/{number}/{action}": {"post": {
        "summary": "Suspend (reason, until), reinstate, revoke (reason), record an appeal or its outcome (committee)",
        "parameters": [_NUMBER, {"name": "action", "in": "path", "required": True,
                                 "schema": {"type": "string", "enum": list(STATUS_ACTIONS)}}],
        "requestBody": request_body(certification.StatusChange),
        "responses": {"200": json_response("Certificate"), **error_responses("400", "401", "403", "404")},
    }},
    "/households/{household_id}/inputs": {
        "get": {"summary": "The household's input log; prohibited inputs are flagged", "parameters": [_path_id("household_id")],
                "responses": {"200": _items("InputEntry"), **error_responses("401", "403", "404")}},
        "post": {"summary": "Record an input (admin); answers the whole log", "parameters": [_path_id("household_id")],
                 "requestBody": request_body(records.InputEntryInput),
                 "responses": {"201": _items("InputEntry"), **error_responses("400", "401", "403", "404")}},
    },
    "/households/{household_id}/activities": {
        "get": {"summary": "The household's activity log: soil preparation, planting, care, and its harvests (the batches recorded)",
                "parameters": [_path_id("household_id")],
                "responses": {"200": _items("Activity"), **error_responses("401", "403", "404")}},
        "post": {"summary": "Record an activity (admin; a harvest is recorded as a batch, POST /batches); answers the whole log",
                 "parameters": [_path_id("household_id")],
                 "requestBody": request_body(records.ActivityInput),
                 "responses": {"201": _items("Activity"), **error_responses("400", "401", "403", "404")}},
    },
    "/households/{household_id}/inspections": {"post": {
        "summary": "Schedule an inspection (standard, body, date)", "parameters": [_path_id("household_id")],
        "requestBody": request_body(inspections.InspectionPlan),
        "responses": {"201": json_response("Inspection", "Scheduled"), **error_responses("400", "401", "403", "404")},
    }},
    "/inspections/{inspection_id}": {"get": {
        "summary": "An inspection with inspectors, checklist results, non-compliances and the decision",
        "parameters": [_path_id("inspection_id")],
        "responses": {"200": json_response("Inspection"), **error_responses("401", "403", "404")},
    }},
    "/inspections/{inspection_id}/record": {"post": {
        "summary": "Record the inspection: date, inspectors (PGS: at least three peers), results, findings, non-compliances",
        "parameters": [_path_id("inspection_id")],
        "requestBody": request_body(inspections.InspectionRecord),
        "responses": {"200": json_response("Inspection"), **error_responses("400", "401", "403", "404")},
    }},
    "/inspections/{inspection_id}/decision": {"post": {
        "summary": "The committee's decision on a recorded inspection: approve, approve with conditions, reject",
        "parameters": [_path_id("inspection_id")],
        "requestBody": request_body(certification.DecisionInput),
        "responses": {"201": json_response("Inspection", "Decided"), **error_responses("400", "401", "403", "404")},
    }},
    "/inspections/{inspection_id}/report.pdf": {"get": {
        "summary": "The inspection report as PDF", "parameters": [_path_id("inspection_id"), *query_parameters(PdfLanguage)],
        "responses": {"200": _PDF, **error_responses("400", "401", "403", "404")},
    }},
    "/decisions/{decision_id}/certificate": {"post": {
        "summary": "Issue the certificate of an approving decision: scope (products, plots) and validity",
        "parameters": [_path_id("decision_id")],
        "requestBody": request_body(certification.CertificateScope),
        "responses": {"201": json_response("Certificate", "Issued"), **error_responses("400", "401", "403", "404")},
    }},
    "/network-register": {"get": {
        "summary": "The register the network reads: certified and in-conversion households, public data only",
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {
            "type": "object", "required": ["as_of", "items"], "properties": {
                "as_of": {"type": "string", "format": "date"},
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/RegisterEntry"}}}}}}},
            **error_responses("401", "403")},
    }},
}, schemas={
    "RegisterEntry": {"type": "object", "required": list(network.FIELDS), "properties": {
        "public_name": {"type": "string", "description": "The name the household chose to show, or its code and village"},
        "village_no": {"type": "integer"},
        "standard": {"type": "string", "example": "PGS-KH"},
        "standard_version": {"type": "integer", "nullable": True},
        "scope": {"type": "string", "description": "Products the certificate covers, comma-separated ('' in conversion)"},
        "status": {"type": "string", "enum": ["certified", "in_conversion"]},
        "valid_until": {"type": "string", "format": "date",
                        "description": "The certificate's end date, or the day the conversion period ends"},
        "certificate_number": {"type": "string", "example": "KH-2569-0001"},
        "certificate_url": {"type": "string", "format": "uri", "description": "Its public verification page ('' in conversion)"}}},
    "CertificationAnswer": {"type": "object", "required": ["household_id", "product_id", "on", "certified", "state", "message"],
                            "properties": {"household_id": {"type": "integer"}, "product_id": {"type": "integer"},
                                           "on": {"type": "string", "format": "date"}, "certified": {"type": "boolean"},
                                           "state": {"type": "string"}, "message": {"type": "string"},
                                           "certificate": {"type": "string", "nullable": True}}},
    "Certificate": {"type": "object", "required": ["number", "status", "household", "issued_on", "valid_until"], "properties": {
        "number": {"type": "string"}, "status": {"type": "string", "enum": ["active", "suspended", "revoked", "expired", "not_yet_valid"]},
        "household": {"type": "object", "description": "Public details only", "properties": {
            "id": {"type": "integer"}, "code": {"type": "string"}, "display_name": {"type": "string"}, "village_no": {"type": "integer"}}},
        "standard": {"type": "string"}, "body": {"type": "string"},
        "issued_on": {"type": "string", "format": "date"}, "valid_until": {"type": "string", "format": "date"},
        "suspended_until": {"type": "string", "format": "date", "nullable": True},
        "status_reason": {"type": "string"}, "conditions": {"type": "string"},
        "product_ids": {"type": "array", "items": {"type": "integer"}}, "plot_ids": {"type": "array", "items": {"type": "integer"}},
        "history": {"type": "array", "items": _OBJECT}}},
    "InputEntry": {"type": "object", "properties": {
        "id": {"type": "integer"}, "plot_id": {"type": "integer"}, "used_on": {"type": "string", "format": "date"},
        "input_type": {"type": "string"}, "name": {"type": "string"}, "quantity": {"type": "string", "nullable": True},
        "unit": {"type": "string"}, "source": {"type": "string"}, "prohibited": {"type": "boolean"},
        "prohibited_reason": {"type": "string"}, "input_id": {"type": "integer", "nullable": True},
        "state": {"type": "string", "enum": ["allowed", "restricted", "prohibited", "needs_review"],
                  "description": "What the standard the household is judged by says of the input now"}}},
    "Activity": {"type": "object", "properties": {
        "id": {"type": "integer", "nullable": True, "description": "The activity's id; null for a harvest, which is a batch"},
        "batch_code": {"type": "string", "nullable": True, "description": "For a harvest: the batch it was recorded as"},
        "plot_id": {"type": "integer", "nullable": True}, "done_on": {"type": "string", "format": "date"},
        "activity": {"type": "string"}}},
    "Inspection": {"type": "object", "required": ["id", "household_id", "status"], "properties": {
        "id": {"type": "integer"}, "household_id": {"type": "integer"}, "standard": {"type": "string"},
        "body_id": {"type": "integer"}, "kind": {"type": "string"}, "status": {"type": "string"},
        "scheduled_for": {"type": "string", "format": "date"},
        "inspected_on": {"type": "string", "format": "date", "nullable": True}, "findings": {"type": "string"},
        "inspectors": {"type": "array", "items": _OBJECT}, "results": _OBJECT,
        "non_compliances": {"type": "array", "items": _OBJECT},
        "decision": {"type": "object", "nullable": True}}},
})
