"""Staff pages of certification: farm records, inspections, decisions and certificates.

Thin: each view parses the form, calls one function of records, inspections or certification,
and renders. Committee-only actions are checked again in those functions.
"""
import os
from functools import partial

from flask import Blueprint, Response, current_app, g, render_template, request, send_file, url_for
from flask_babel import gettext as _

from certificates import certification, documents, evidence, inputs, inspections, network, records, standards, yields
from certificates.models import (
    ACTIVITIES,
    CERTIFICATE_EVENTS,
    CERTIFICATION_KINDS,
    CHECK_RESULTS,
    EVIDENCE_VIEWS,
    INPUT_TYPES,
    INSPECTION_STATES,
    OUTCOMES,
    REVIEW_STATES,
    RULINGS,
    SCREENING_OUTCOMES,
    SEVERITIES,
    VERSION_STATES,
    Activity,
    Certificate,
    CertifyingBody,
    Decision,
    Evidence,
    InputEntry,
    Inspection,
    RegisteredInput,
    Requirement,
    Standard,
    StandardVersion,
    YieldNorm,
)
from certificates.public import find_certificate
from core.auth import role_required
from core.db import get_or_404
from core.exports import csv_bytes, xlsx_bytes
from core.forms import form_page, saved
from core.i18n import local_name
from core.models import CATEGORIES, UNITS, Household, Plot, Product
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
        conversions=records.plot_conversions(household),
        conversion_bases=records.CONVERSION_BASES,
        categories=CATEGORIES,
        today=certification.today(),
        register_options=inputs.picker_options(),
        farm_evidence=evidence.of_farm(household),
        inputs=records.input_log(household),
        activities=records.activity_log(household),
        input_types=INPUT_TYPES,
        activity_types=ACTIVITIES,
        recordable_activities=records.RECORDABLE_ACTIVITIES,
        units=UNITS,
        review_states=REVIEW_STATES,
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
    return form_page(
        partial(_render_farm, household),
        lambda data: adders[kind](household, data, g.user),
        lambda entry: _farm_entry_recorded(household, entry if kind == "inputs" else None),
        key=kind,
    )


def _farm_entry_recorded(household, input_entry):
    """Back to the farm page, warning when the input just recorded is prohibited or not yet registered."""
    url = url_for("certificates.farm", household_id=household.id)
    state = records.entry_state(input_entry) if input_entry is not None else None
    if state == "prohibited":
        return saved(url, _("Recorded, but this input is prohibited by the standard: the plot's conversion starts again."),
                     "warning")
    if state == "needs_review":
        return saved(url, _("Recorded. This input is not in the register yet: the certifying body will review it."),
                     "warning")
    return saved(url, _("Recorded."))


@bp.route("/plots/<int:plot_id>/record", methods=["POST"])
@role_required("admin", "inspector")
def plot_record(plot_id):
    plot = get_or_404(Plot, plot_id)
    return form_page(
        partial(_render_farm, plot.household),
        lambda data: records.save_plot_record(plot, data, g.user),
        lambda _record: saved(url_for("certificates.farm", household_id=plot.household_id), _("Plot record saved.")),
        key=f"plot_{plot.id}",
    )


# Inspections ----------------------------------------------------------------------------


@bp.route("/inspections")
@role_required("admin", "inspector")
def inspection_list():
    return render_template(
        "certificates/inspection_list.html",
        inspections=inspections.inspections_for(status=request.args.get("status") or None),
        states=INSPECTION_STATES,
    )


def _inspectable():
    """Households that may be inspected (applicants and active growers), for the choice on /inspections/new."""
    return (Household.select().where(Household.grower_status.in_(("applicant", "active")))
            .order_by(Household.village_no, Household.code))


@bp.route("/inspections/new", methods=["GET", "POST"])
@role_required("admin", "inspector")
def inspection_schedule():
    """Schedule an inspection from the inspections page, choosing the household on the form."""
    return form_page(partial(_render_schedule, None), _schedule_chosen, _scheduled)


def _schedule_chosen(data):
    household = Household.get_or_none(Household.id == (request.form.get("household_id", type=int) or 0))
    if household is None:
        raise ValidationError({"household_id": _("Choose the household to inspect.")})
    return inspections.schedule_inspection(household, data, g.user)


def _scheduled(inspection):
    return saved(url_for("certificates.inspection_detail", inspection_id=inspection.id), _("Inspection scheduled."))


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
    return form_page(
        partial(_render_schedule, household),
        lambda data: inspections.schedule_inspection(household, data, g.user),
        _scheduled,
    )


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
        requirements=inspections.checklist(inspection),
        decision=decision,
        certificate=certificate,
        outcomes=OUTCOMES,
        check_results=CHECK_RESULTS,
        severities=SEVERITIES,
        evidence=evidence.of_inspection(inspection),
        screenings=inspections.screenings(inspection),
        screening_outcomes=SCREENING_OUTCOMES,
        states=INSPECTION_STATES,
        decidable=inspection.status == "screened" or (inspection.status == "completed" and not inspection.body.requires_screening),
        missing_views=evidence.missing_views(inspection),
        views=EVIDENCE_VIEWS,
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
    requirements = inspections.checklist(inspection)
    return form_page(
        partial(_render_record, inspection, requirements),
        lambda data: inspections.record_inspection(inspection, data, g.user),
        lambda _inspection: saved(url_for("certificates.inspection_detail", inspection_id=inspection.id),
                                  _("Inspection recorded.")),
        values=inspection_form_data(request.form, requirements),
    )


def _render_record(inspection, requirements, values, errors, status):
    """The inspection form; what was typed is shown back from the flat form, not the structure saved."""
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
    ), status


@bp.route("/inspections/<int:inspection_id>/screen", methods=["POST"])
@role_required("admin", "inspector")
def inspection_screen(inspection_id):
    inspection = get_or_404(Inspection, inspection_id)
    return form_page(
        partial(_render_inspection, inspection),
        lambda data: inspections.screen(inspection, data, g.user),
        lambda screening: saved(url_for("certificates.inspection_detail", inspection_id=inspection.id),
                                SCREENING_OUTCOMES[screening.outcome]),
        key="screening",
    )


@bp.route("/inspections/<int:inspection_id>/decide", methods=["POST"])
@role_required("admin", "inspector")
def inspection_decide(inspection_id):
    inspection = get_or_404(Inspection, inspection_id)
    return form_page(
        partial(_render_inspection, inspection),
        lambda data: certification.decide(inspection, data, g.user),
        lambda decision: saved(url_for("certificates.inspection_detail", inspection_id=inspection.id)
                               if decision.outcome == "reject" else
                               url_for("certificates.certificate_new", decision_id=decision.id),
                               _("Decision recorded.")),
    )


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
        conversions=records.plot_conversions(household),
        today=certification.today(),
        products=Product.select().where(Product.is_certifiable == True, Product.is_active == True).order_by(Product.name_th),  # noqa: E712
        values=values,
        errors=errors,
    ), status


@bp.route("/decisions/<int:decision_id>/certificate", methods=["GET", "POST"])
@role_required("admin", "inspector")
def certificate_new(decision_id):
    decision = get_or_404(Decision, decision_id)
    return form_page(
        partial(_render_issue, decision),
        lambda data: certification.issue_certificate(decision, data, g.user),
        lambda certificate: saved(url_for("certificates.certificate_detail", number=certificate.number),
                                  _("Certificate %(number)s issued.", number=certificate.number)),
        values=dict(request.form.to_dict(), product_ids=request.form.getlist("product_ids"),
                    plot_ids=request.form.getlist("plot_ids")),
    )


def _certificate_or_404(number):
    certificate = find_certificate(number)
    if certificate is None:
        raise NotFound()
    return certificate


def _render_certificate(certificate, errors=None, status=200, values=None):
    """The certificate page; a refused status change shows its reasons (what was typed is not kept)."""
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
    return form_page(
        partial(_render_certificate, certificate),
        lambda data: STATUS_ACTIONS[action](certificate, data, g.user),
        lambda _result: saved(url_for("certificates.certificate_detail", number=certificate.number),
                              _("Certificate updated.")),
    )


@bp.route("/network-register.<fmt>")
@role_required("admin", "inspector")
def network_register(fmt):
    if fmt not in ("csv", "xlsx"):
        raise NotFound()
    header, rows = network.table(current_app.config["GREENMARKET_BASE_URL"])
    stamp = certification.today().isoformat()
    if fmt == "csv":
        body, mimetype = csv_bytes(header, rows), "text/csv"
    else:
        body = xlsx_bytes(_("Network register"), header, rows)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename=network-register-{stamp}.{fmt}"})


@bp.route("/households/<int:household_id>/certification-file.pdf")
@role_required("admin", "inspector")
def certification_file(household_id):
    household = get_or_404(Household, household_id)
    return Response(documents.certification_file_pdf(household), mimetype="application/pdf",
                    headers={"Content-Disposition": f"inline; filename=certification-file-{household.code}.pdf",
                             "Cache-Control": "private, no-store"})


# Yield norms -----------------------------------------------------------------------------


@bp.route("/yield-norms", methods=["GET", "POST"])
@role_required("admin", "inspector")
def yield_norms():
    product = get_or_404(Product, request.form.get("product_id", type=int) or 0) if request.method == "POST" else None
    return form_page(
        _render_yield_norms,
        lambda data: yields.save_norm(product, data, g.user),
        lambda _norm: saved(url_for(".yield_norms"), _("Yield norm saved.")),
        key=product.id if product else None,
    )


def _render_yield_norms(values, errors, status):
    norms = {norm.product_id: norm for norm in YieldNorm.select()}
    catalogue = Product.select().where(Product.is_certifiable == True).order_by(Product.name_th)  # noqa: E712
    return render_template("certificates/yield_norms.html", products=catalogue, norms=norms, errors=errors,
                           units=UNITS), status


# Standards, versions and certifying bodies ----------------------------------------------


@bp.route("/standards")
@role_required("admin", "inspector")
def standard_list():
    return _render_standards()


def _render_standards(errors=None, values=None, status=200):
    rows = [(s, list(s.versions.order_by(StandardVersion.number.desc()))) for s in Standard.select().order_by(Standard.id)]
    return render_template("certificates/standard_list.html", rows=rows, states=VERSION_STATES,
                           bodies=CertifyingBody.select().order_by(CertifyingBody.id), kinds=CERTIFICATION_KINDS,
                           editable=g.user.decides_certification, errors=errors or {}, values=values or {}), status


@bp.route("/standards/<int:standard_id>/draft", methods=["POST"])
@role_required("admin", "inspector")
def standard_draft(standard_id):
    standard = get_or_404(Standard, standard_id)
    return form_page(
        _render_standards,
        lambda _data: standards.new_draft(standard, g.user),
        lambda draft: saved(url_for(".standard_version", version_id=draft.id),
                            _("Draft version %(number)s made from the last version. Edit it, then publish it.",
                              number=draft.number)),
        key=standard.id,
    )


def _render_version(version, errors=None, values=None, status=200):
    items = standards.criteria(version)
    periods = {p.category: p.months for p in version.conversion_periods}
    return render_template("certificates/standard_version.html", version=version, criteria=items,
                           states=VERSION_STATES, categories=CATEGORIES, periods=periods,
                           editable=version.status == "draft" and g.user.decides_certification,
                           errors=errors or {}, values=values or {}), status


@bp.route("/standards/versions/<int:version_id>")
@role_required("admin", "inspector")
def standard_version(version_id):
    return _render_version(get_or_404(StandardVersion, version_id))


def _criterion_data():
    data = request.form.to_dict()
    data["categories"] = request.form.getlist("categories")
    return data


@bp.route("/standards/versions/<int:version_id>/criteria", methods=["POST"])
@bp.route("/standards/versions/<int:version_id>/criteria/<int:criterion_id>", methods=["POST"])
@role_required("admin", "inspector")
def criterion_save(version_id, criterion_id=None):
    version = get_or_404(StandardVersion, version_id)
    criterion = get_or_404(Requirement, criterion_id) if criterion_id else None
    return _version_form(version, lambda data: standards.save_criterion(version, data, g.user, criterion),
                         _("Criterion saved."), criterion_id or "new", values=_criterion_data())


def _version_form(version, save, message, key, values=None):
    """One of the version page's forms: a refusal shows the page again, a save comes back to it."""
    return form_page(partial(_render_version, version), save,
                     lambda _result: saved(url_for(".standard_version", version_id=version.id), message),
                     values=values, key=key)


@bp.route("/standards/versions/<int:version_id>/criteria/<int:criterion_id>/remove", methods=["POST"])
@role_required("admin", "inspector")
def criterion_remove(version_id, criterion_id):
    version = get_or_404(StandardVersion, version_id)
    criterion = get_or_404(Requirement, criterion_id)
    return _version_form(version, lambda _data: standards.remove_criterion(version, criterion, g.user),
                         _("Criterion removed from the draft."), "version")


@bp.route("/standards/versions/<int:version_id>/conversion", methods=["POST"])
@role_required("admin", "inspector")
def version_conversion(version_id):
    version = get_or_404(StandardVersion, version_id)
    return _version_form(version, lambda data: standards.save_conversion(version, data, g.user),
                         _("Conversion periods saved."), "conversion")


@bp.route("/standards/versions/<int:version_id>/publish", methods=["POST"])
@role_required("admin", "inspector")
def version_publish(version_id):
    version = get_or_404(StandardVersion, version_id)
    return _version_form(version, lambda _data: standards.publish(version, g.user),
                         _("Version %(number)s is now in force. Inspections scheduled from now on use it.",
                           number=version.number), "version")


@bp.route("/bodies", methods=["POST"])
@bp.route("/bodies/<int:body_id>", methods=["POST"])
@role_required("admin", "inspector")
def body_save(body_id=None):
    body = get_or_404(CertifyingBody, body_id) if body_id else None
    return form_page(
        _render_standards,
        lambda data: standards.save_body(data, g.user, body),
        lambda _body: saved(url_for(".standard_list"), _("Certifying body saved.")),
        key=f"body_{body_id or 'new'}",
    )


# The input register ----------------------------------------------------------------------


def _register_version():
    """The version whose rulings the register shows and edits: the one asked for, else the market's own in force."""
    version_id = request.values.get("version_id", type=int)
    if version_id:
        return get_or_404(StandardVersion, version_id)
    standard = inputs.default_standard()
    return standards.current_version(standard) if standard else None


def _render_register(errors=None, values=None, status=200):
    version = _register_version()
    query = request.args.get("q", "")
    return render_template(
        "certificates/input_register.html", version=version, query=query,
        kind=request.args.get("kind", ""), items=inputs.search(query, request.args.get("kind") or None),
        rulings=inputs.rulings_in(version), ruling_words=RULINGS, input_types=INPUT_TYPES,
        versions=StandardVersion.select(StandardVersion, Standard).join(Standard)
        .where(StandardVersion.status.in_(["published", "draft"])).order_by(Standard.id, StandardVersion.number),
        unclassified=inputs.unclassified_names(), editable=g.user.decides_certification,
        errors=errors or {}, values=values or {}), status


@bp.route("/inputs")
@role_required("admin", "inspector")
def input_register():
    return _render_register()


@bp.route("/inputs/new", methods=["POST"])
@bp.route("/inputs/<int:input_id>", methods=["POST"])
@role_required("admin", "inspector")
def input_save(input_id=None):
    registered = get_or_404(RegisteredInput, input_id) if input_id else None
    version = _register_version()
    if version is None:
        raise NotFound()
    return form_page(
        _render_register,
        lambda data: inputs.save_input(data, g.user, version, registered),
        lambda _input: _register_saved(version, _("Input register saved.")),
        key=input_id or "new",
    )


def _register_saved(version, message):
    return saved(url_for(".input_register", version_id=version.id), message)


@bp.route("/inputs/classify", methods=["POST"])
@role_required("admin", "inspector")
def input_classify():
    version = _register_version()
    if version is None:
        raise NotFound()
    name = request.form.get("name", "")
    return form_page(
        _render_register,
        lambda data: inputs.classify(name, data, g.user, version),
        lambda done: _register_saved(version, _("%(name)s classified as %(input)s; %(count)s past entries now show its ruling.",
                                                name=name, input=local_name(done[0]), count=done[1])),
        key="classify",
    )


@bp.route("/inputs.csv")
@role_required("admin", "inspector")
def input_register_csv():
    return Response(inputs.export_csv(_register_version()), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=input-register.csv"})


@bp.route("/inputs/import", methods=["POST"])
@role_required("admin", "inspector")
def input_register_import():
    version = _register_version()
    if version is None:
        raise NotFound()
    return form_page(
        _render_register,
        lambda _data: _import_register(version),
        lambda counts: _register_saved(version, _("%(added)s inputs added, %(updated)s updated.",
                                                  added=counts[0], updated=counts[1])),
        key="import",
    )


def _import_register(version):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationError({"file": _("Choose a CSV file.")})
    return inputs.import_csv(upload.read(), g.user, version)


# Evidence: photos and documents, for staff only ---------------------------------------------


def _keep_evidence(render, url, key, **owner):
    """Keep the uploaded photos and documents of one inspection or farm record; back to `url`."""
    request.max_content_length = evidence.MAX_REQUEST_BYTES
    return form_page(
        render,
        lambda data: evidence.add_many(request.files.getlist("file"), data, g.user, **owner),
        lambda kept: saved(url, _("Kept as evidence: %(count)s file(s).", count=len(kept))),
        key=key,
    )


@bp.route("/inspections/<int:inspection_id>/evidence", methods=["POST"])
@role_required("admin", "inspector")
def inspection_evidence(inspection_id):
    inspection = get_or_404(Inspection, inspection_id)
    return _keep_evidence(partial(_render_inspection, inspection),
                          url_for(".inspection_detail", inspection_id=inspection.id) + "#evidence", "evidence",
                          inspection=inspection)


def _farm_record(kind, record_id):
    """The input entry or activity a farm-record route names, or NotFound."""
    models = {"inputs": InputEntry, "activities": Activity}
    if kind not in models:
        raise NotFound()
    return get_or_404(models[kind], record_id)


@bp.route("/farm-records/<kind>/<int:record_id>/evidence", methods=["POST"])
@role_required("admin", "inspector")
def farm_evidence(kind, record_id):
    record = _farm_record(kind, record_id)
    owner = {"input_entry": record} if kind == "inputs" else {"activity": record}
    return _keep_evidence(partial(_render_farm, record.household), url_for(".farm", household_id=record.household_id),
                          f"evidence_{kind}_{record.id}", **owner)


@bp.route("/farm-records/<kind>/<int:record_id>/review", methods=["POST"])
@role_required("admin", "inspector")
def farm_review(kind, record_id):
    record = _farm_record(kind, record_id)
    return form_page(
        partial(_render_farm, record.household),
        lambda data: records.review_entry(record, data, g.user),
        lambda _entry: saved(url_for(".farm", household_id=record.household_id),
                             _("Review saved: the grower sees it on their phone.")),
        key=f"review_{kind}_{record.id}",
    )


@bp.route("/evidence/<int:evidence_id>")
@role_required("admin", "inspector")
def evidence_file(evidence_id):
    return _send_evidence(get_or_404(Evidence, evidence_id), thumb=False)


@bp.route("/evidence/<int:evidence_id>/thumb")
@role_required("admin", "inspector")
def evidence_thumb(evidence_id):
    item = get_or_404(Evidence, evidence_id)
    if item.kind != "image":
        raise NotFound()
    return _send_evidence(item, thumb=True)


def _send_evidence(item, thumb):
    path = evidence.path_of(item, thumb=thumb)
    if not os.path.exists(path):
        raise NotFound()
    mimetype = {"jpg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}[("jpg" if thumb else item.extension)]
    response = send_file(path, mimetype=mimetype, max_age=0, etag=item.sha256 + ("t" if thumb else ""))
    response.headers["Cache-Control"] = "private, no-store"  # a shared tablet keeps no copy of a farm photo
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
