"""Staff pages of certification: farm records, inspections, decisions and certificates.

Thin: each view parses the form, calls one function of records, inspections or certification,
and renders. Committee-only actions are checked again in those functions.
"""
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from certificates import certification, inspections, records, yields
from certificates.models import (
    ACTIVITIES,
    CERTIFICATE_EVENTS,
    CERTIFICATION_KINDS,
    CHECK_RESULTS,
    INPUT_TYPES,
    OUTCOMES,
    SEVERITIES,
    Certificate,
    CertifyingBody,
    Decision,
    Inspection,
    Requirement,
    Standard,
    YieldNorm,
)
from certificates.public import find_certificate
from core.auth import role_required
from core.db import get_or_404
from core.i18n import local_name
from core.models import UNITS, Household, Plot, Product
from core.validation import NotFound, ValidationError

bp = Blueprint("certificates", __name__)

# Rows offered on the inspection form; PGS needs three, more may take part.
INSPECTOR_ROWS = 6
NON_COMPLIANCE_ROWS = 3


def household_section(household, user):
    """What the household page shows of certification: the certificate now, inspections, what is due."""
    return {"certification": certification.household_certification(household), "severities": SEVERITIES,
            "today": certification.today()}


# Farm records ---------------------------------------------------------------------------


def _render_farm(household, errors=None, values=None, status=200):
    plots = list(household.plots.order_by(Plot.name))
    products = Product.select().where(Product.is_active == True).order_by(Product.name_th)  # noqa: E712
    return render_template(
        "certificates/farm.html",
        household=household,
        plots=plots,
        plot_options={plot.id: plot.name for plot in plots},
        product_options={product.id: local_name(product) for product in products},
        plot_records=records.plot_records(household),
        inputs=records.input_log(household),
        activities=records.activity_log(household),
        input_types=INPUT_TYPES,
        activity_types=ACTIVITIES,
        recordable_activities=records.RECORDABLE_ACTIVITIES,
        units=UNITS,
        errors=errors or {},
        values=values or {},
    ), status


@bp.route("/households/<int:household_id>/farm")
@role_required("admin", "inspector")
def farm(household_id):
    return _render_farm(get_or_404(Household, household_id))


@bp.route("/households/<int:household_id>/farm/<kind>", methods=["POST"])
@role_required("admin")
def farm_add(household_id, kind):
    household = get_or_404(Household, household_id)
    adders = {"inputs": records.add_input, "activities": records.add_activity}
    if kind not in adders:
        raise NotFound()
    data = request.form.to_dict()
    try:
        entry = adders[kind](household, data, g.user)
    except ValidationError as exc:
        return _render_farm(household, {kind: exc.errors}, {kind: data}, 400)
    if kind == "inputs" and entry.is_prohibited:
        flash(_("Recorded, but this input is prohibited by the standard: %(reason)s", reason=entry.prohibited_reason), "warning")
    else:
        flash(_("Recorded."), "success")
    return redirect(url_for("certificates.farm", household_id=household.id))


@bp.route("/plots/<int:plot_id>/record", methods=["POST"])
@role_required("admin")
def plot_record(plot_id):
    plot = get_or_404(Plot, plot_id)
    data = request.form.to_dict()
    try:
        records.save_plot_record(plot, data, g.user)
    except ValidationError as exc:
        return _render_farm(plot.household, {f"plot_{plot.id}": exc.errors}, {f"plot_{plot.id}": data}, 400)
    flash(_("Plot record saved."), "success")
    return redirect(url_for("certificates.farm", household_id=plot.household_id))


# Inspections ----------------------------------------------------------------------------


@bp.route("/inspections")
@role_required("admin", "inspector")
def inspection_list():
    return render_template(
        "certificates/inspection_list.html",
        inspections=inspections.inspections_for(status=request.args.get("status") or None),
    )


def _inspectable():
    """Households that may be inspected (applicants and active growers), for the choice on /inspections/new."""
    return (Household.select().where(Household.grower_status.in_(("applicant", "active")))
            .order_by(Household.village_no, Household.code))


@bp.route("/inspections/new", methods=["GET", "POST"])
@role_required("admin", "inspector")
def inspection_schedule():
    """Schedule an inspection from the inspections page, choosing the household on the form."""
    if request.method == "GET":
        return _render_schedule(None, {}, {})
    data = request.form.to_dict()
    household = Household.get_or_none(Household.id == (request.form.get("household_id", type=int) or 0))
    if household is None:
        return _render_schedule(None, data, {"household_id": _("Choose the household to inspect.")}, 400)
    try:
        inspection = inspections.schedule_inspection(household, data, g.user)
    except ValidationError as exc:
        return _render_schedule(None, data, exc.errors, 400)
    flash(_("Inspection scheduled."), "success")
    return redirect(url_for("certificates.inspection_detail", inspection_id=inspection.id))


def _render_schedule(household, values, errors, status=200):
    return render_template(
        "certificates/inspection_new.html",
        household=household,
        households=_inspectable() if household is None else [],
        standards=Standard.select().order_by(Standard.code),
        bodies=CertifyingBody.select().order_by(CertifyingBody.id),
        kinds=CERTIFICATION_KINDS,
        values=values,
        errors=errors,
    ), status


@bp.route("/households/<int:household_id>/inspections/new", methods=["GET", "POST"])
@role_required("admin", "inspector")
def inspection_new(household_id):
    household = get_or_404(Household, household_id)
    if request.method == "GET":
        return _render_schedule(household, {}, {})
    data = request.form.to_dict()
    try:
        inspection = inspections.schedule_inspection(household, data, g.user)
    except ValidationError as exc:
        return _render_schedule(household, data, exc.errors, 400)
    flash(_("Inspection scheduled."), "success")
    return redirect(url_for("certificates.inspection_detail", inspection_id=inspection.id))


@bp.route("/inspections/<int:inspection_id>")
@role_required("admin", "inspector")
def inspection_detail(inspection_id):
    return _render_inspection(get_or_404(Inspection, inspection_id))


def _render_inspection(inspection, errors=None, values=None, status=200):
    decision = Decision.get_or_none(Decision.inspection == inspection)
    certificate = Certificate.get_or_none(Certificate.decision == decision) if decision else None
    return render_template(
        "certificates/inspection_detail.html",
        inspection=inspection,
        results={r.requirement_id: r for r in inspection.results},
        requirements=Requirement.select().where(Requirement.standard == inspection.standard_id).order_by(Requirement.position),
        decision=decision,
        certificate=certificate,
        outcomes=OUTCOMES,
        check_results=CHECK_RESULTS,
        severities=SEVERITIES,
        errors=errors or {},
        values=values or {},
    ), status


def inspection_form_data(form, requirements):
    """Turn the flat inspection form into the structure record_inspection takes."""
    return {
        "inspected_on": form.get("inspected_on", ""),
        "findings": form.get("findings", ""),
        "inspectors": [
            {"name": form.get(f"inspector_name_{i}", ""), "household_id": form.get(f"inspector_household_{i}", ""),
             "organisation": form.get(f"inspector_organisation_{i}", "")}
            for i in range(1, INSPECTOR_ROWS + 1)
        ],
        "results": {
            str(r.id): {"result": form.get(f"result_{r.id}"), "note": form.get(f"note_{r.id}", "")}
            for r in requirements
        },
        "non_compliances": [
            {"description": form.get(f"nc_description_{i}", ""), "severity": form.get(f"nc_severity_{i}", ""),
             "corrective_action": form.get(f"nc_action_{i}", ""), "due_on": form.get(f"nc_due_{i}", "")}
            for i in range(1, NON_COMPLIANCE_ROWS + 1)
        ],
    }


@bp.route("/inspections/<int:inspection_id>/record", methods=["GET", "POST"])
@role_required("admin", "inspector")
def inspection_record(inspection_id):
    inspection = get_or_404(Inspection, inspection_id)
    requirements = list(Requirement.select().where(Requirement.standard == inspection.standard_id).order_by(Requirement.position))
    errors = {}
    if request.method == "POST":
        try:
            inspections.record_inspection(inspection, inspection_form_data(request.form, requirements), g.user)
        except ValidationError as exc:
            errors = exc.errors
        else:
            flash(_("Inspection recorded."), "success")
            return redirect(url_for("certificates.inspection_detail", inspection_id=inspection.id))
    peers = Household.select().where(Household.id != inspection.household_id, Household.grower_status == "active").order_by(Household.code)
    return render_template(
        "certificates/inspection_record.html",
        inspection=inspection,
        requirements=requirements,
        peers=peers,
        check_results=CHECK_RESULTS,
        severities=SEVERITIES,
        inspector_rows=range(1, INSPECTOR_ROWS + 1),
        nc_rows=range(1, NON_COMPLIANCE_ROWS + 1),
        values=request.form,
        errors=errors,
    ), (400 if errors else 200)


@bp.route("/inspections/<int:inspection_id>/decide", methods=["POST"])
@role_required("admin", "inspector")
def inspection_decide(inspection_id):
    inspection = get_or_404(Inspection, inspection_id)
    data = request.form.to_dict()
    try:
        decision = certification.decide(inspection, data, g.user)
    except ValidationError as exc:
        return _render_inspection(inspection, exc.errors, data, 400)
    flash(_("Decision recorded."), "success")
    if decision.outcome == "reject":
        return redirect(url_for("certificates.inspection_detail", inspection_id=inspection.id))
    return redirect(url_for("certificates.certificate_new", decision_id=decision.id))


# Certificates ---------------------------------------------------------------------------


@bp.route("/certificates")
@role_required("admin", "inspector")
def certificate_list():
    query = Certificate.select(Certificate, Household).join(Household).order_by(Certificate.number.desc())
    ending = request.args.get("ending") == "1"
    if ending:
        query = query.where(Certificate.id.in_([c.id for c in certification.ending_soon()]))
    rows = [(c, certification.effective_status(c)) for c in query]
    return render_template("certificates/certificate_list.html", rows=rows, ending=ending)


def _render_issue(decision, values, errors, status=200):
    household = decision.inspection.household
    return render_template(
        "certificates/certificate_new.html",
        decision=decision,
        household=household,
        plots=household.plots.order_by(Plot.name),
        products=Product.select().where(Product.is_certifiable == True, Product.is_active == True).order_by(Product.name_th),  # noqa: E712
        values=values,
        errors=errors,
    ), status


@bp.route("/decisions/<int:decision_id>/certificate", methods=["GET", "POST"])
@role_required("admin", "inspector")
def certificate_new(decision_id):
    decision = get_or_404(Decision, decision_id)
    if request.method == "GET":
        return _render_issue(decision, {}, {})
    data = request.form.to_dict()
    data["product_ids"] = request.form.getlist("product_ids")
    data["plot_ids"] = request.form.getlist("plot_ids")
    try:
        certificate = certification.issue_certificate(decision, data, g.user)
    except ValidationError as exc:
        return _render_issue(decision, data, exc.errors, 400)
    flash(_("Certificate %(number)s issued.", number=certificate.number), "success")
    return redirect(url_for("certificates.certificate_detail", number=certificate.number))


def _certificate_or_404(number):
    certificate = find_certificate(number)
    if certificate is None:
        raise NotFound()
    return certificate


def _render_certificate(certificate, errors=None, status=200):
    return render_template(
        "certificates/certificate_detail.html",
        certificate=certificate,
        status=certification.effective_status(certificate),
        history=certification.history(certificate),
        events=CERTIFICATE_EVENTS,
        scope_products=[link.product for link in certificate.scope_products],
        scope_plots=[link.plot for link in certificate.scope_plots],
        errors=errors or {},
    ), status


@bp.route("/certificates/<number>")
@role_required("admin", "inspector")
def certificate_detail(number):
    return _render_certificate(_certificate_or_404(number))


STATUS_ACTIONS = {
    "suspend": certification.suspend,
    "reinstate": certification.reinstate,
    "revoke": certification.revoke,
    "appeal": certification.file_appeal,
    "appeal-decision": certification.decide_appeal,
}


@bp.route("/certificates/<number>/<action>", methods=["POST"])
@role_required("admin", "inspector")
def certificate_action(number, action):
    certificate = _certificate_or_404(number)
    if action not in STATUS_ACTIONS:
        raise NotFound()
    try:
        STATUS_ACTIONS[action](certificate, request.form.to_dict(), g.user)
    except ValidationError as exc:
        return _render_certificate(certificate, exc.errors, 400)
    flash(_("Certificate updated."), "success")
    return redirect(url_for("certificates.certificate_detail", number=certificate.number))


# Yield norms -----------------------------------------------------------------------------


@bp.route("/yield-norms", methods=["GET", "POST"])
@role_required("admin", "inspector")
def yield_norms():
    errors, status = {}, 200
    if request.method == "POST":
        product = get_or_404(Product, request.form.get("product_id", type=int) or 0)
        try:
            yields.save_norm(product, request.form.to_dict(), g.user)
        except ValidationError as exc:
            errors, status = {product.id: exc.errors}, 400
        else:
            flash(_("Yield norm saved."), "success")
            return redirect(url_for(".yield_norms"))
    norms = {norm.product_id: norm for norm in YieldNorm.select()}
    catalogue = Product.select().where(Product.is_certifiable == True).order_by(Product.name_th)  # noqa: E712
    return render_template("certificates/yield_norms.html", products=catalogue, norms=norms, errors=errors,
                           units=UNITS), status
