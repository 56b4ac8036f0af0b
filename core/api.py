"""The JSON API under /api/v1/: the same rules and roles as the pages, for scripts and devices.

Authentication is `Authorization: Bearer <token>`; a signed-in staff session also works for
reading (GET), never for writing, so no other site can make a browser write through the API.
"""
import functools

from flask import Blueprint, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError as CSRFTokenInvalid

from core import households, products
from core.accounts import user_for_token
from core.db import get_or_404
from core.errors import json_error
from core.i18n import DEFAULT_LANGUAGE, LANGUAGES
from core.models import Household, Plot, Product
from core.openapi import openapi_document
from core.validation import DEFAULT_PAGE_SIZE, Choice, Schema, ValidationError

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def bearer_token():
    """The token of an `Authorization: Bearer` header (the scheme in any case), else None."""
    scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip()


def _csrf_header_valid():
    """True when the request carries the page's CSRF token: in an X-CSRFToken header (the POS's
    scripts), or as a page form's csrf_token field (the label print form)."""
    try:
        validate_csrf(request.headers.get("X-CSRFToken") or request.form.get("csrf_token", ""))
    except CSRFTokenInvalid:
        return False
    return True


def api_role(*roles, browser_writes=False):
    """Let a request through only for a user with one of `roles`; else a JSON 401 or 403.

    With `browser_writes`, a signed-in page (the POS, the label print form) may also write, when it
    sends the page's CSRF token; other sites cannot read that token, so cannot forge it.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(**kwargs):
            token = bearer_token()
            if token is not None:
                g.user = user_for_token(token) if token else None
            elif request.method not in ("GET", "HEAD") and not (browser_writes and _csrf_header_valid()):
                g.user = None
            if g.user is None:
                return json_error(401, "unauthorized", _("Send a valid API token: Authorization: Bearer <token>."))
            if not g.user.has_role(*roles):
                return json_error(403, "forbidden", _("Your role does not allow this."))
            return view(**kwargs)

        wrapped.roles = roles
        return wrapped

    return decorator


# No record of the API nests deeper than a sale's lines or an inspection's results (4 levels).
MAX_JSON_DEPTH = 10


def json_body():
    """The request's JSON object, or a 400 that says what was expected."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # nested about 1,000 deep: Python's parser gives up
        data = None
    if not isinstance(data, dict):
        raise ValidationError({"body": _("Send a JSON object with Content-Type: application/json.")})
    if _depth(data) > MAX_JSON_DEPTH:
        raise ValidationError({"body": _("The JSON is nested too deeply (at most %(n)d levels).", n=MAX_JSON_DEPTH)})
    return data


def _depth(data):
    """How deeply lists and objects nest in `data`, counted without recursion."""
    deepest, pending = 0, [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth)
            if depth <= MAX_JSON_DEPTH:
                pending += [(item, depth + 1) for item in (value.values() if isinstance(value, dict) else value)]
    return deepest


def query_args(schema):
    """The query string read by a declared input (a Paging one for a list); what is left out is None.

    A filter that cannot be read is a 400 naming it, never silently ignored: a script asking for
    village_no=abc must not get every household back.
    """
    return schema.clean(request.args.to_dict(), partial=True)


class PdfLanguage(Schema):
    """The language a PDF is written in."""

    lang = Choice(LANGUAGES, description=f"Default {DEFAULT_LANGUAGE}")


def pdf_language():
    """The language a PDF is asked for with `?lang=` (Thai unless English is asked)."""
    return PdfLanguage.clean(request.values.to_dict(), partial=True).get("lang") or DEFAULT_LANGUAGE


def created(record, location):
    """A 201 answer with the new record and its address in the Location header."""
    response = jsonify(record)
    response.status_code = 201
    response.headers["Location"] = location
    return response


def paged(query, serialize, args):
    """One page of a query as {"items", "page", "per_page", "total"}; `args` from query_args()."""
    page = args.get("page") or 1
    per_page = args.get("per_page") or DEFAULT_PAGE_SIZE
    rows = list(query.paginate(page, per_page))
    return jsonify(
        {"items": serialize(rows), "page": page, "per_page": per_page, "total": query.count()}
    )


@bp.route("/openapi.json")
def openapi():
    return jsonify(openapi_document(current_app))


@bp.route("/households")
@api_role("admin", "inspector")
def household_list():
    args = query_args(households.HouseholdFilter)
    query = households.search_households(
        args.get("q") or "",
        args.get("village_no"),
        args.get("grower_status"),
        args.get("occupation_group_id"),
    )
    sensitive = g.user.role == "admin"

    def serialize(rows):
        groups = households.occupation_ids_by_household(rows)
        return [households.household_record(h, sensitive, groups[h.id]) for h in rows]

    return paged(query, serialize, args)


@bp.route("/households", methods=["POST"])
@api_role("admin")
def household_create():
    household = households.create_household(json_body(), g.user)
    return created(
        households.household_record(household, include_sensitive=True),
        url_for("api.household_read", household_id=household.id),
    )


@bp.route("/households/<int:household_id>")
@api_role("admin", "inspector")
def household_read(household_id):
    household = get_or_404(Household, household_id)
    return jsonify(households.household_record(household, g.user.role == "admin"))


@bp.route("/households/<int:household_id>", methods=["PATCH"])
@api_role("admin")
def household_update(household_id):
    household = get_or_404(Household, household_id)
    households.update_household(household, json_body(), g.user, partial=True)
    return jsonify(households.household_record(household, include_sensitive=True))


@bp.route("/households/<int:household_id>/plots")
@api_role("admin", "inspector")
def plot_list(household_id):
    household = get_or_404(Household, household_id)
    return jsonify({"items": households.PlotAnswer.many(household.plots.order_by(Plot.id))})


@bp.route("/households/<int:household_id>/plots", methods=["POST"])
@api_role("admin")
def plot_create(household_id):
    household = get_or_404(Household, household_id)
    plot = households.create_plot(household, json_body(), g.user)
    return created(households.PlotAnswer.dump(plot), url_for("api.plot_read", plot_id=plot.id))


@bp.route("/plots/<int:plot_id>")
@api_role("admin", "inspector")
def plot_read(plot_id):
    return jsonify(households.PlotAnswer.dump(get_or_404(Plot, plot_id)))


@bp.route("/plots/<int:plot_id>", methods=["PATCH"])
@api_role("admin")
def plot_update(plot_id):
    plot = get_or_404(Plot, plot_id)
    households.update_plot(plot, json_body(), g.user, partial=True)
    return jsonify(households.PlotAnswer.dump(plot))


@bp.route("/products")
@api_role("admin", "cashier", "inspector")
def product_list():
    args = query_args(products.ProductFilter)
    query = products.search_products(
        args.get("q") or "", args.get("category"), active_only=bool(args.get("active"))
    )
    return paged(query, products.ProductAnswer.many, args)


@bp.route("/products", methods=["POST"])
@api_role("admin")
def product_create():
    product = products.create_product(json_body(), g.user)
    return created(products.ProductAnswer.dump(product), url_for("api.product_read", product_id=product.id))


@bp.route("/products/<int:product_id>")
@api_role("admin", "cashier", "inspector")
def product_read(product_id):
    return jsonify(products.ProductAnswer.dump(get_or_404(Product, product_id)))


@bp.route("/products/<int:product_id>", methods=["PATCH"])
@api_role("admin")
def product_update(product_id):
    product = get_or_404(Product, product_id)
    products.update_product(product, json_body(), g.user, partial=True)
    return jsonify(products.ProductAnswer.dump(product))
