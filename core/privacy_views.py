"""Pages and JSON routes for the PDPA duties: consent, a person's export and erasure, the view log.

Admin only. Thin: parse, call core.privacy, render. Views of personal data anywhere in the app
are logged here too, after each answer, from one list of the pages and exports that show it.
"""
import json
from functools import partial

from flask import Blueprint, Response, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core import privacy
from core.answers import Answer, Bool, Day, Int, Moment, Str, schemas
from core.api import api_role, json_body
from core.auth import role_required
from core.db import get_or_404
from core.forms import form_page, saved
from core.models import Consent, Household, Member
from core.openapi import document, error_responses, json_response, list_response, request_body
from core.validation import ValidationError

bp = Blueprint("privacy", __name__)
api_bp = Blueprint("privacy_api", __name__, url_prefix="/api/v1")

# Pages and exports that show a household's personal data to admin: each successful view is logged.
PERSONAL_DATA_ENDPOINTS = {
    "core.household_detail", "core.household_edit", "core.household_history", "core.household_export",
    "core.household_surveys", "api.household_read", "api.household_list", "privacy.household_privacy",
    "privacy.person_export", "privacy_api.person_export_api",
}


def init_app(app):
    """Register the pages, the API and the view log; give templates the household's consent."""
    from core.app import csrf

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)
    app.after_request(_log_personal_data_view)
    app.jinja_env.globals.update(
        household_consent=lambda household: privacy.active_consents(household).first() if household else None,
        consent_form_version=privacy.CURRENT_FORM_VERSION,
    )


def _log_personal_data_view(response):
    """Log who saw personal data, where and when, for every successful admin view listed above."""
    user = getattr(g, "user", None)
    if (request.endpoint in PERSONAL_DATA_ENDPOINTS and request.method == "GET" and response.status_code == 200
            and user is not None and user.role == "admin"):
        household_id = (request.view_args or {}).get("household_id")
        household = Household.get_or_none(Household.id == household_id) if household_id else None
        privacy.log_view(user, household, request.full_path.rstrip("?"))
    return response


def _member_id(data):
    return privacy.PersonInput.clean(data, partial=True).get("member_id")


def _person_name(household, member_id):
    if not member_id:
        return household.head_name
    return get_or_404(Member, member_id).full_name


def _render(household, errors=None, values=None, status=200):
    return render_template(
        "core/privacy.html", household=household, members=list(household.members.order_by(Member.id)),
        consents=list(Consent.select().where(Consent.household == household).order_by(Consent.id.desc())),
        has_consent=privacy.has_consent(household), purposes=privacy.PURPOSES,
        form_version=privacy.CURRENT_FORM_VERSION, errors=errors or {}, values=values or {},
        views=list(privacy.views(household, limit=50)),
    ), status


@bp.route("/households/<int:household_id>/privacy", methods=["GET", "POST"])
@role_required("admin")
def household_privacy(household_id):
    """The household's consents, and each person's export and erasure (PDPA)."""
    household = get_or_404(Household, household_id)
    return form_page(
        partial(_render, household),
        lambda data: privacy.record_consent(household, data, g.user),
        lambda _consent: saved(url_for(".household_privacy", household_id=household.id), _("Consent recorded.")),
    )


@bp.route("/consents/<int:consent_id>/withdraw", methods=["POST"])
@role_required("admin")
def consent_withdraw(consent_id):
    consent = get_or_404(Consent, consent_id)
    try:
        privacy.withdraw_consent(consent, g.user)
    except ValidationError as exc:
        flash(" ".join(str(message) for message in exc.errors.values()), "error")
        return redirect(url_for(".household_privacy", household_id=consent.household_id)), 303
    flash(_("Consent withdrawn. Without a consent the disadvantaged status is cleared."), "success")
    return redirect(url_for(".household_privacy", household_id=consent.household_id))


@bp.route("/households/<int:household_id>/personal-data.<fmt>")
@role_required("admin")
def person_export(household_id, fmt):
    """Everything held about one person (?member_id=, else the head) as JSON or a readable PDF."""
    household = get_or_404(Household, household_id)
    member_id = _member_id(request.args.to_dict())
    record = privacy.person_data(household, member_id)
    privacy.export_logged(household, member_id, g.user)
    filename = f"personal-data-{household.code}{'-' + str(member_id) if member_id else ''}"
    if fmt == "json":
        return Response(json.dumps(record, ensure_ascii=False, indent=2), mimetype="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{filename}.json"'})
    if fmt == "pdf":
        return Response(privacy.person_pdf(record), mimetype="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{filename}.pdf"'})
    return render_template("errors/404.html"), 404


@bp.route("/households/<int:household_id>/erase", methods=["POST"])
@role_required("admin")
def person_erase(household_id):
    """Erase one person; the typed household code confirms it."""
    household = get_or_404(Household, household_id)
    return form_page(
        partial(_render, household),
        partial(_erase_confirmed, household),
        lambda name: saved(url_for(".household_privacy", household_id=household.id),
                           _("The personal data of %(name)s was erased; sales, settlements and certificates are kept.",
                             name=name)),
    )


def _erase_confirmed(household, data):
    """Erase the person the form names once the household code typed matches; return their name."""
    member_id = _member_id(data)
    name = _person_name(household, member_id)
    if data.get("confirm", "").strip().upper() != household.code:
        raise ValidationError({"confirm": _("Type the household code %(code)s to confirm.", code=household.code)})
    privacy.erase_person(household, member_id, g.user)
    return name


@bp.route("/privacy/views")
@role_required("admin")
def view_log():
    """Who viewed personal data, which page or export, and when (newest first)."""
    return render_template("core/privacy_views.html", views=list(privacy.views(limit=500)))


# JSON API -----------------------------------------------------------------------------------


class ConsentAnswer(Answer):
    """A person's PDPA consent, withdrawn or not."""

    schema_name = "Consent"
    id = Int()
    household_id = Int()
    member_id = Int(nullable=True)
    person_name = Str()
    purpose = Str()
    form_version = Str()
    given_on = Day()
    recorded_at = Moment()
    withdrawn_at = Moment(nullable=True)


class ErasedAnswer(Answer):
    """Which household a person's personal data was erased from."""

    household_id = Int("id")
    code = Str()
    erased = Bool(lambda household: True)


class PersonalDataViewAnswer(Answer):
    """Who viewed personal data, which page or export, and when."""

    schema_name = "PersonalDataView"
    at = Moment()
    user = Str("user.username", nullable=True)
    household_id = Int(nullable=True)
    what = Str()


@api_bp.route("/households/<int:household_id>/consents")
@api_role("admin")
def consent_list(household_id):
    household = get_or_404(Household, household_id)
    consents = Consent.select().where(Consent.household == household).order_by(Consent.id)
    return jsonify({"items": ConsentAnswer.many(consents)})


@api_bp.route("/households/<int:household_id>/consents", methods=["POST"])
@api_role("admin")
def consent_create(household_id):
    household = get_or_404(Household, household_id)
    consent = privacy.record_consent(household, json_body(), g.user)
    response = jsonify(ConsentAnswer.dump(consent))
    response.status_code = 201
    return response


@api_bp.route("/consents/<int:consent_id>/withdraw", methods=["POST"])
@api_role("admin")
def consent_withdraw_api(consent_id):
    return jsonify(ConsentAnswer.dump(privacy.withdraw_consent(get_or_404(Consent, consent_id), g.user)))


@api_bp.route("/households/<int:household_id>/personal-data")
@api_role("admin")
def person_export_api(household_id):
    household = get_or_404(Household, household_id)
    member_id = _member_id(request.args.to_dict())
    record = privacy.person_data(household, member_id)
    privacy.export_logged(household, member_id, g.user)
    return jsonify(record)


@api_bp.route("/households/<int:household_id>/erase", methods=["POST"])
@api_role("admin")
def person_erase_api(household_id):
    household = get_or_404(Household, household_id)
    data = json_body()
    privacy.erase_person(household, _member_id(data), g.user)
    return jsonify(ErasedAnswer.dump(household))


@api_bp.route("/personal-data-views")
@api_role("admin")
def view_log_api():
    return jsonify({"items": PersonalDataViewAnswer.many(privacy.views(limit=500))})


_ID = {"name": "household_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
_MEMBER = {"name": "member_id", "in": "query", "schema": {"type": "integer", "minimum": 1},
           "description": "A member of the household; without it, the head of household"}
_ERRORS = error_responses("400", "401", "403", "404")




document(api_bp, paths={
    "/households/{household_id}/consents": {
        "get": {"summary": "The household's PDPA consents, withdrawn ones too (admin)", "parameters": [_ID],
                "responses": {"200": list_response(ConsentAnswer, "Consents")}},
        "post": {"summary": "Record a person's consent to keeping the household's disadvantaged status (admin)",
                 "parameters": [_ID],
                 "requestBody": request_body("ConsentInput"),
                 "responses": {"201": json_response(ConsentAnswer, "The consent")}},
    },
    "/consents/{consent_id}/withdraw": {
        "post": {"summary": "Withdraw a consent; with none left the disadvantaged status is cleared (admin)",
                 "parameters": [dict(_ID, name="consent_id")],
                 "responses": {"200": json_response(ConsentAnswer, "The consent")}},
    },
    "/households/{household_id}/personal-data": {
        "get": {"summary": "Everything held about one person, for their PDPA request (admin; logged)",
                "parameters": [_ID, _MEMBER],
                "responses": {"200": json_response({"type": "object"}, "The person's data, as privacy.person_data gathers it")}},
    },
    "/households/{household_id}/erase": {
        "post": {"summary": "Erase one person's personal data; sales, settlements and certificates stay (admin)",
                 "parameters": [_ID],
                 "requestBody": request_body(privacy.PersonInput),
                 "responses": {"200": json_response(ErasedAnswer, "Erased")}},
    },
    "/personal-data-views": {
        "get": {"summary": "Who viewed personal data, which page or export, and when: newest 500 (admin)",
                "responses": {"200": list_response(PersonalDataViewAnswer, "Views")}},
    },
}, schemas={
    **schemas(ConsentAnswer, ErasedAnswer, PersonalDataViewAnswer),
    "ConsentInput": privacy.ConsentInput.openapi(),
})
for _path in api_bp.openapi_paths.values():
    for _operation in _path.values():
        _operation["responses"].update(_ERRORS)
