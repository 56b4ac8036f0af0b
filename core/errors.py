"""One place that turns failures into answers: an error page for people, JSON for the API.

Every failure a user can cause ends here as a 4xx in the user's language; nothing here ever
shows a traceback.
"""
from flask import jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from peewee import IntegrityError, InterfaceError, InternalError, OperationalError
from werkzeug.exceptions import HTTPException

from core.db import database_failure
from core.validation import NotFound, ValidationError

RETRY_AFTER_SECONDS = 5  # about how long PostgreSQL takes to come back after a restart


def wants_json():
    return request.path.startswith("/api/")


def json_error(status, code, message, fields=None):
    """Answer with the API's error shape: {"error": {"code", "message", "fields"?}}."""
    body = {"code": code, "message": str(message)}
    if fields:
        body["fields"] = {name: str(text) for name, text in fields.items()}
    return jsonify({"error": body}), status


def _messages():
    return {
        400: _("The request could not be understood. Check what you entered and try again."),
        401: _("Sign in to continue."),
        403: _("Your role does not allow this page. Ask the council secretariat if you need it."),
        404: _("Nothing is here. Check the address or go back to the start page."),
        405: _("This address does not accept that kind of request."),
        409: _("This conflicts with a record that already exists."),
        413: _("The file is too large. Upload at most 5 MB."),
        429: _("Too many attempts. Wait a few minutes and try again."),
        500: _("Something went wrong on our side. Your data was not changed; try again."),
    }


def error_response(status, message=None, code=None, fields=None):
    message = message or _messages().get(status, _messages()[400])
    if wants_json():
        return json_error(status, code or _code_for(status), message, fields)
    return render_template("error.html", status=status, message=message, fields=fields), status


def _code_for(status):
    return {
        400: "bad_request",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        413: "too_large",
        422: "invalid",
        429: "too_many_attempts",
    }.get(status, "error")


def init_app(app):
    @app.errorhandler(CSRFError)
    def csrf_failed(exc):
        return error_response(
            400, _("The form expired or came from elsewhere. Reload the page and try again."),
            code="csrf",
        )

    @app.errorhandler(HTTPException)
    def http_error(exc):
        return error_response(exc.code or 500)

    @app.errorhandler(ValidationError)
    def invalid(exc):
        return error_response(
            400, _("Some fields need attention."), code="invalid", fields=exc.errors
        )

    @app.errorhandler(NotFound)
    def not_found(exc):
        return error_response(404)

    @app.errorhandler(IntegrityError)
    def conflict(exc):
        return error_response(409)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(InternalError)  # PostgreSQL's "read-only transaction" is one of these
    def cannot_write(exc):
        """A full disk, a read-only or an unreachable database: nothing was committed (retrying is safe), so say so."""
        failure = database_failure(exc)
        if failure == "storage":
            app.logger.error("The database cannot be written (%s) on %s", exc, request.path)
            return error_response(503, _("The database cannot save anything now (the disk is full or read-only). "
                                         "Nothing was saved. Tell the council secretariat."), code="storage_unavailable")
        if failure == "unreachable":
            app.logger.error("The database cannot be reached (%s) on %s", exc, request.path)
            response = make_response(error_response(503, _("The database cannot be reached right now. Nothing was "
                                                           "saved; try again in a moment."), code="database_unavailable"))
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        return unexpected(exc)

    @app.errorhandler(Exception)
    def unexpected(exc):
        app.logger.exception("Unhandled error on %s", request.path)
        return error_response(500)
