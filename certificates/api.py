"""JSON routes of certification under /api/v1/, with the same role rules as the pages."""

from flask import Blueprint, Response, current_app, g, jsonify

from certificates import certification, documents, inspections, network, records
from certificates.models import Certificate, CertificatePlot, CertificateProduct, Decision, Inspection
from certificates.public import find_certificate
from certificates.views import STATUS_ACTIONS
from core.answers import Answer, Bool, Day, Exact, Int, Keyed, Many, Moment, One, Str, schemas
from core.api import PdfLanguage, api_role, json_body, pdf_language, query_args
from core.db import LARGEST_ID, get_or_404
from core.models import Household, Product
from core.openapi import document, error_responses, json_response, list_response, query_parameters, request_body
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


class CertificateHolder(Answer):
    """The household a certificate is for: public details only."""

    id = Int()
    code = Str()
    display_name = Str("public_name")
    village_no = Int()


class CertificateEventAnswer(Answer):
    """One step of a certificate's history."""

    at = Moment()
    action = Str()
    reason = Str()
    until = Day(nullable=True)
    user = Str("user.username", nullable=True)


class CertificateAnswer(Answer):
    """A certificate as plain data, with its live status; no personal data of the household."""

    schema_name = "Certificate"
    number = Str()
    status = Str(certification.effective_status, choices=("active", "suspended", "revoked", "expired", "not_yet_valid"))
    household = One(CertificateHolder, description="Public details only")
    standard = Str("standard.code")
    body = Str("body.name_th")
    issued_on = Day()
    valid_until = Day()
    suspended_until = Day(nullable=True)
    status_reason = Str()
    conditions = Str()
    product_ids = Many(Int(), lambda c: [link.product_id for link in
                                         CertificateProduct.select().where(CertificateProduct.certificate == c)])
    plot_ids = Many(Int(), lambda c: [link.plot_id for link in
                                      CertificatePlot.select().where(CertificatePlot.certificate == c)])
    history = Many(CertificateEventAnswer, certification.history)


class InspectorAnswer(Answer):
    """Who inspected: a peer of the network (with their household) or a body's inspector."""

    name = Str()
    household_id = Int(nullable=True)
    organisation = Str()


class ResultAnswer(Answer):
    """What the inspection found for one requirement of the checklist."""

    result = Str()
    note = Str()


class NonComplianceAnswer(Answer):
    """A non-compliance found, and what the household must do by when."""

    description = Str()
    severity = Str()
    corrective_action = Str()
    due_on = Day(nullable=True)


class DecisionAnswer(Answer):
    """The committee's decision on an inspection."""

    id = Int()
    outcome = Str()
    conditions = Str()
    reason = Str()


class InspectionAnswer(Answer):
    """An inspection with its inspectors, results (by requirement id), non-compliances and decision."""

    schema_name = "Inspection"
    id = Int()
    household_id = Int()
    standard = Str("standard.code")
    body_id = Int()
    kind = Str()
    status = Str()
    scheduled_for = Day()
    inspected_on = Day(nullable=True)
    findings = Str()
    inspectors = Many(InspectorAnswer)
    results = Keyed(ResultAnswer, lambda inspection: [(r.requirement_id, r) for r in inspection.results])
    non_compliances = Many(NonComplianceAnswer)
    decision = One(DecisionAnswer, lambda inspection: Decision.get_or_none(Decision.inspection == inspection),
                   nullable=True)


class RegisterEntry(Answer):
    """An entry of the register the network reads (network.FIELDS): public data only."""

    public_name = Str(description="The name the household chose to show, or its code and village")
    village_no = Int()
    standard = Str(example="PGS-KH")
    standard_version = Int(nullable=True)
    scope = Str(description="Products the certificate covers, comma-separated ('' in conversion)")
    status = Str(choices=("certified", "in_conversion"))
    valid_until = Str(format="date", description="The certificate's end date, or the day the conversion period ends")
    certificate_number = Str(example="KH-2569-0001")
    certificate_url = Str(description="Its public verification page ('' in conversion)")


class CertificationAnswer(Answer):
    """Whether a household is certified for a product on a day, and if not, why."""

    household_id = Int("household.id")
    product_id = Int("product.id")
    on = Day()
    certified = Bool("status.certified")
    state = Str("status.state")
    message = Str("status.message")
    certificate = Str("status.certificate.number", nullable=True)


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
    status = certification.certification_status(household, product, on)
    return jsonify(CertificationAnswer.dump({"household": household, "product": product, "on": on, "status": status}))


@bp.route("/certificates")
@api_role(*STAFF)
def certificate_list():
    household_id = query_args(CertificateFilter).get("household_id")
    query = Certificate.select().order_by(Certificate.number)
    if household_id:
        query = query.where(Certificate.household == household_id)
    return jsonify({"items": CertificateAnswer.many(query)})


@bp.route("/certificates/<number>")
@api_role(*STAFF)
def certificate_read(number):
    return jsonify(CertificateAnswer.dump(_certificate(number)))


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
    return jsonify(CertificateAnswer.dump(certificate))


class InputEntryFields(Answer):
    """What an entry of the input log says, as the committee's log and the grower's diary answer it."""

    id = Int()
    plot_id = Int()
    used_on = Day()
    input_type = Str()
    name = Str()
    quantity = Exact(nullable=True)
    unit = Str()
    source = Str()


class InputEntryAnswer(InputEntryFields):
    """An entry of the input log, flagged when the standard prohibits the input."""

    schema_name = "InputEntry"
    input_id = Int(nullable=True)
    state = Str(choices=("allowed", "restricted", "prohibited", "needs_review"),
                description="What the standard the household is judged by says of the input now")
    prohibited = Bool(lambda entry: entry.state == "prohibited")
    prohibited_reason = Str(lambda entry: entry.ruling.condition if entry.state == "prohibited" else "")


class ActivityAnswer(Answer):
    """An entry of the activity log; a harvest is the batch it was recorded as (records.FarmEntry).

    The grower's diary answers the same entries with the same fields."""

    schema_name = "Activity"
    id = Int("activity_id", nullable=True, description="The activity's id; null for a harvest, which is a batch")
    batch_code = Str(nullable=True, description="For a harvest: the batch it was recorded as")
    plot_id = Int("plot.id", nullable=True)
    done_on = Day()
    activity = Str()
    product_id = Int("product.id", nullable=True)
    quantity = Exact(nullable=True)
    unit = Str()
    notes = Str()


def _input_log(household):
    return {"items": InputEntryAnswer.many(records.input_log(household))}


def _activity_log(household):
    return {"items": ActivityAnswer.many(records.activity_log(household))}


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
    return jsonify({"as_of": on.isoformat(),
                    "items": RegisterEntry.many(network.register(current_app.config["GREENMARKET_BASE_URL"], on))})


@bp.route("/households/<int:household_id>/inspections", methods=["POST"])
@api_role("admin", "inspector")
def inspection_schedule(household_id):
    household = get_or_404(Household, household_id)
    inspection = inspections.schedule_inspection(household, json_body(), g.user)
    return jsonify(InspectionAnswer.dump(inspection)), 201


@bp.route("/inspections/<int:inspection_id>")
@api_role("admin", "inspector")
def inspection_read(inspection_id):
    return jsonify(InspectionAnswer.dump(get_or_404(Inspection, inspection_id)))


@bp.route("/inspections/<int:inspection_id>/record", methods=["POST"])
@api_role("admin", "inspector")
def inspection_record_route(inspection_id):
    inspection = get_or_404(Inspection, inspection_id)
    inspections.record_inspection(inspection, json_body(), g.user)
    return jsonify(InspectionAnswer.dump(inspection))


@bp.route("/inspections/<int:inspection_id>/decision", methods=["POST"])
@api_role("admin", "inspector")
def inspection_decision(inspection_id):
    inspection = get_or_404(Inspection, inspection_id)
    certification.decide(inspection, json_body(), g.user)
    return jsonify(InspectionAnswer.dump(inspection)), 201


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
    return jsonify(CertificateAnswer.dump(certificate)), 201


def _path_id(name):
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1, "maximum": LARGEST_ID}}


_NUMBER = {"name": "number", "in": "path", "required": True, "schema": {"type": "string", "example": "KH-2569-0001"}}
_PDF = {"description": "A4 PDF", "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}


document(bp, paths={
    "/households/{household_id}/certification": {"get": {
        "summary": "Is the household certified for a product on a date (default today), and if not, why",
        "parameters": [_path_id("household_id"),
                       *query_parameters(CertificationQuestion)],
        "responses": {"200": json_response(CertificationAnswer), **error_responses("400", "401", "403", "404")},
    }},
    "/certificates": {"get": {
        "summary": "Certificates with their live status, newest first (staff)",
        "parameters": query_parameters(CertificateFilter),
        "responses": {"200": list_response(CertificateAnswer), **error_responses("401", "403")},
    }},
    "/certificates/{number}": {"get": {
        "summary": "A certificate with its status now and its history", "parameters": [_NUMBER],
        "responses": {"200": json_response(CertificateAnswer), **error_responses("401", "403", "404")},
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
        "responses": {"200": json_response(CertificateAnswer), **error_responses("400", "401", "403", "404")},
    }},
    "/households/{household_id}/inputs": {
        "get": {"summary": "The household's input log; prohibited inputs are flagged", "parameters": [_path_id("household_id")],
                "responses": {"200": list_response(InputEntryAnswer), **error_responses("401", "403", "404")}},
        "post": {"summary": "Record an input (admin); answers the whole log", "parameters": [_path_id("household_id")],
                 "requestBody": request_body(records.InputEntryInput),
                 "responses": {"201": list_response(InputEntryAnswer), **error_responses("400", "401", "403", "404")}},
    },
    "/households/{household_id}/activities": {
        "get": {"summary": "The household's activity log: soil preparation, planting, care, and its harvests (the batches recorded)",
                "parameters": [_path_id("household_id")],
                "responses": {"200": list_response(ActivityAnswer), **error_responses("401", "403", "404")}},
        "post": {"summary": "Record an activity (admin; a harvest is recorded as a batch, POST /batches); answers the whole log",
                 "parameters": [_path_id("household_id")],
                 "requestBody": request_body(records.ActivityInput),
                 "responses": {"201": list_response(ActivityAnswer), **error_responses("400", "401", "403", "404")}},
    },
    "/households/{household_id}/inspections": {"post": {
        "summary": "Schedule an inspection (standard, body, date)", "parameters": [_path_id("household_id")],
        "requestBody": request_body(inspections.InspectionPlan),
        "responses": {"201": json_response(InspectionAnswer, "Scheduled"), **error_responses("400", "401", "403", "404")},
    }},
    "/inspections/{inspection_id}": {"get": {
        "summary": "An inspection with inspectors, checklist results, non-compliances and the decision",
        "parameters": [_path_id("inspection_id")],
        "responses": {"200": json_response(InspectionAnswer), **error_responses("401", "403", "404")},
    }},
    "/inspections/{inspection_id}/record": {"post": {
        "summary": "Record the inspection: date, inspectors (PGS: at least three peers), results, findings, non-compliances",
        "parameters": [_path_id("inspection_id")],
        "requestBody": request_body(inspections.InspectionRecord),
        "responses": {"200": json_response(InspectionAnswer), **error_responses("400", "401", "403", "404")},
    }},
    "/inspections/{inspection_id}/decision": {"post": {
        "summary": "The committee's decision on a recorded inspection: approve, approve with conditions, reject",
        "parameters": [_path_id("inspection_id")],
        "requestBody": request_body(certification.DecisionInput),
        "responses": {"201": json_response(InspectionAnswer, "Decided"), **error_responses("400", "401", "403", "404")},
    }},
    "/inspections/{inspection_id}/report.pdf": {"get": {
        "summary": "The inspection report as PDF", "parameters": [_path_id("inspection_id"), *query_parameters(PdfLanguage)],
        "responses": {"200": _PDF, **error_responses("400", "401", "403", "404")},
    }},
    "/decisions/{decision_id}/certificate": {"post": {
        "summary": "Issue the certificate of an approving decision: scope (products, plots) and validity",
        "parameters": [_path_id("decision_id")],
        "requestBody": request_body(certification.CertificateScope),
        "responses": {"201": json_response(CertificateAnswer, "Issued"), **error_responses("400", "401", "403", "404")},
    }},
    "/network-register": {"get": {
        "summary": "The register the network reads: certified and in-conversion households, public data only",
        "responses": {"200": list_response(RegisterEntry, as_of={"type": "string", "format": "date"}),
            **error_responses("401", "403")},
    }},
}, schemas=schemas(CertificationAnswer, CertificateAnswer, InputEntryAnswer, ActivityAnswer, InspectionAnswer,
                   RegisterEntry))
