"""The OpenAPI 3 description of /api/v1/; a test checks it against the routes the app really has.

Core documents its own routes here. A domain package documents its routes beside them with
`document(blueprint, paths, schemas)`, so this module never needs to know (or import) them.
"""

from core.db import LARGEST_ID
from core.households import MAX_VILLAGE_NO
from core.models import CATEGORIES, GROWER_STATUSES, UNITS

# Limits the document states and the API enforces (core/api.py reads them from here).
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

ERROR = {"$ref": "#/components/schemas/Error"}


def error_responses(*statuses):
    """The documented error answers for the given statuses ("400", "404", ...)."""
    texts = {
        "400": "Invalid input; `error.fields` says which field and why",
        "401": "Missing or invalid bearer token",
        "403": "The token's role may not do this",
        "404": "No such record",
        "409": "Conflicts with an existing record",
    }
    return {
        status: {
            "description": texts[status],
            "content": {"application/json": {"schema": ERROR}},
        }
        for status in statuses
    }


def json_response(schema_name, description="OK"):
    """A JSON answer whose body is the named schema."""
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}},
    }


# Old private names, until every domain uses the public ones.
_error_responses = error_responses
_json = json_response


def _created(schema_name):
    """A 201 answer with the new record, and where to read it again."""
    return {
        **json_response(schema_name, "Created"),
        "headers": {
            "Location": {"description": "Address of the new record", "schema": {"type": "string"}}
        },
    }


def _body(schema_name):
    return {
        "required": True,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}},
    }


def _id(name):
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


PAGING = [
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": LARGEST_ID}},
    {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE}},
]

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "example": "invalid"},
                    "message": {"type": "string", "description": "In the caller's language"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                },
            }
        },
    },
    "HouseholdInput": {
        "type": "object",
        "properties": {
            "code": {"type": "string", "maxLength": 20, "example": "KH-03-012"},
            "head_name": {"type": "string", "maxLength": 120},
            "display_name": {"type": "string", "maxLength": 120},
            "village_no": {"type": "integer", "minimum": 1, "maximum": MAX_VILLAGE_NO},
            "address": {"type": "string", "maxLength": 255},
            "phone": {"type": "string", "maxLength": 20},
            "national_id": {"type": "string", "description": "13 digits with a valid check digit"},
            "is_elderly": {"type": "boolean"},
            "is_disabled": {"type": "boolean"},
            "is_low_income": {"type": "boolean"},
            "disadvantaged_other": {"type": "string", "maxLength": 255},
            "grower_status": {"type": "string", "enum": list(GROWER_STATUSES)},
            "pledge_date": {"type": "string", "format": "date", "nullable": True,
                            "description": "2026-11-24, or day/month/year in B.E. or C.E. (24/11/2569), Thai digits "
                            "too; not before the programme began (2022-10-01) nor in the future"},
            "member_count": {"type": "integer", "minimum": 1, "maximum": 99, "nullable": True},
            "notes": {"type": "string", "maxLength": 2000},
            "occupation_group_ids": {"type": "array", "items": {"type": "integer"}},
        },
    },
    "HouseholdNew": {
        "description": "A new household: code, head_name and village_no are required; an active "
        "grower also needs pledge_date.",
        "allOf": [{"$ref": "#/components/schemas/HouseholdInput"}],
        "required": ["code", "head_name", "village_no"],
    },
    "Household": {
        "type": "object",
        "description": "Personal fields (phone, national_id, disadvantaged flags) only for admin.",
        "allOf": [{"$ref": "#/components/schemas/HouseholdInput"}],
        "properties": {"id": {"type": "integer"}},
    },
    "HouseholdPage": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Household"}},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        },
    },
    "PlotInput": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 120},
            "area_m2": {"type": "string", "description": "Square metres as a decimal string", "example": "1600.00"},
            "rai": {"type": "integer", "description": "Alternative to area_m2, with ngan and wa"},
            "ngan": {"type": "integer", "minimum": 0, "maximum": 3},
            "wa": {"type": "string", "description": "Square wa, decimal"},
            "main_crops": {"type": "string", "maxLength": 255},
            "latitude": {"type": "string", "nullable": True},
            "longitude": {"type": "string", "nullable": True},
            "notes": {"type": "string"},
        },
    },
    "PlotNew": {
        "description": "A new plot: name, and its area as area_m2 or as rai, ngan and wa.",
        "allOf": [{"$ref": "#/components/schemas/PlotInput"}],
        "required": ["name"],
    },
    "Plot": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "household_id": {"type": "integer"},
            "name": {"type": "string"},
            "area_m2": {"type": "string"},
            "main_crops": {"type": "string"},
            "latitude": {"type": "string", "nullable": True},
            "longitude": {"type": "string", "nullable": True},
            "notes": {"type": "string"},
        },
    },
    "PlotList": {
        "type": "object",
        "properties": {"items": {"type": "array", "items": {"$ref": "#/components/schemas/Plot"}}},
    },
    "ProductInput": {
        "type": "object",
        "properties": {
            "name_th": {"type": "string", "maxLength": 120},
            "name_en": {"type": "string", "maxLength": 120},
            "unit": {"type": "string", "enum": list(UNITS)},
            "category": {
                "type": "string",
                "enum": list(CATEGORIES),
            },
            "is_certifiable": {"type": "boolean"},
            "making_certified": {"type": "boolean",
                                 "description": "Making it from other batches (bottling, packing) is a certified step"},
            "default_price_satang": {"type": "integer", "nullable": True, "description": "Price in satang (1/100 baht)"},
            "is_active": {"type": "boolean"},
        },
    },
    "ProductNew": {
        "allOf": [{"$ref": "#/components/schemas/ProductInput"}],
        "required": ["name_th", "unit", "category"],
    },
    "Product": {
        "type": "object",
        "allOf": [{"$ref": "#/components/schemas/ProductInput"}],
        "properties": {"id": {"type": "integer"}},
    },
    "ProductPage": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Product"}},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
        },
    },
}


def document(blueprint, paths, schemas=None):
    """Describe a domain blueprint's routes: OpenAPI `paths` (relative to /api/v1) and `schemas`."""
    blueprint.openapi_paths = paths
    blueprint.openapi_schemas = schemas or {}


def openapi_document(app=None):
    """Return the OpenAPI 3.0 document for the API as a dict, with what `app`'s domains document."""
    spec = _core_document()
    for blueprint in (app.blueprints.values() if app is not None else ()):
        spec["paths"].update(getattr(blueprint, "openapi_paths", {}))
        spec["components"]["schemas"].update(getattr(blueprint, "openapi_schemas", {}))
    return spec


def _core_document():
    household_id, plot_id, product_id = _id("household_id"), _id("plot_id"), _id("product_id")
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Khlong Hae Green Market API",
            "version": "1",
            "description": "Households, plots and products of the green market. Tokens come from "
            "`python run.py create-token USERNAME`. Errors are JSON with a 4xx status.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": dict(SCHEMAS),
        },
        "paths": {
            "/households": {
                "get": {
                    "summary": "List households (admin, inspector)",
                    "parameters": PAGING + [
                        {"name": "q", "in": "query", "schema": {"type": "string"}},
                        {"name": "village_no", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_VILLAGE_NO}},
                        {"name": "grower_status", "in": "query", "schema": {"type": "string", "enum": list(GROWER_STATUSES)}},
                        {"name": "occupation_group_id", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": LARGEST_ID}},
                    ],
                    "responses": {"200": json_response("HouseholdPage"), **error_responses("400", "401", "403")},
                },
                "post": {
                    "summary": "Register a household (admin)",
                    "requestBody": _body("HouseholdNew"),
                    "responses": {"201": _created("Household"), **error_responses("400", "401", "403", "409")},
                },
            },
            "/households/{household_id}": {
                "parameters": [household_id],
                "get": {
                    "summary": "Read a household (admin, inspector)",
                    "responses": {"200": json_response("Household"), **error_responses("401", "403", "404")},
                },
                "patch": {
                    "summary": "Change some fields of a household (admin)",
                    "requestBody": _body("HouseholdInput"),
                    "responses": {"200": json_response("Household"), **error_responses("400", "401", "403", "404", "409")},
                },
            },
            "/households/{household_id}/plots": {
                "parameters": [household_id],
                "get": {
                    "summary": "List a household's plots (admin, inspector)",
                    "responses": {"200": json_response("PlotList"), **error_responses("401", "403", "404")},
                },
                "post": {
                    "summary": "Record a plot (admin)",
                    "requestBody": _body("PlotNew"),
                    "responses": {"201": _created("Plot"), **error_responses("400", "401", "403", "404")},
                },
            },
            "/plots/{plot_id}": {
                "parameters": [plot_id],
                "get": {
                    "summary": "Read a plot (admin, inspector)",
                    "responses": {"200": json_response("Plot"), **error_responses("401", "403", "404")},
                },
                "patch": {
                    "summary": "Change a plot (admin)",
                    "requestBody": _body("PlotInput"),
                    "responses": {"200": json_response("Plot"), **error_responses("400", "401", "403", "404")},
                },
            },
            "/products": {
                "get": {
                    "summary": "List products (all staff roles)",
                    "parameters": PAGING + [
                        {"name": "q", "in": "query", "schema": {"type": "string"}},
                        {"name": "category", "in": "query", "schema": {"type": "string", "enum": list(CATEGORIES)}},
                        {"name": "active", "in": "query", "description": "Only products on sale", "schema": {"type": "boolean"}},
                    ],
                    "responses": {"200": json_response("ProductPage"), **error_responses("400", "401", "403")},
                },
                "post": {
                    "summary": "Add a product (admin)",
                    "requestBody": _body("ProductNew"),
                    "responses": {"201": _created("Product"), **error_responses("400", "401", "403", "409")},
                },
            },
            "/products/{product_id}": {
                "parameters": [product_id],
                "get": {
                    "summary": "Read a product (all staff roles)",
                    "responses": {"200": json_response("Product"), **error_responses("401", "403", "404")},
                },
                "patch": {
                    "summary": "Change a product (admin)",
                    "requestBody": _body("ProductInput"),
                    "responses": {"200": json_response("Product"), **error_responses("400", "401", "403", "404", "409")},
                },
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": {"description": "OpenAPI 3 document"}},
                }
            },
        },
    }
