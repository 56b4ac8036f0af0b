"""The OpenAPI 3 description of /api/v1/; a test checks it against the routes the app really has.

Request bodies are not written here: they come from the inputs' declarations
(`core.validation.Schema`), the same ones that check what is sent, so the document states exactly
the limits that are enforced (tests/test_api_limits.py proves it). Core documents its own routes
here. A domain package documents its routes beside them with `document(blueprint, paths, schemas)`,
so this module never needs to know (or import) them.
"""

from core.answers import Answer, schemas
from core.households import HouseholdAnswer, HouseholdFilter, HouseholdInput, PlotAnswer, PlotInput
from core.products import ProductAnswer, ProductFilter, ProductInput

ERROR = {"$ref": "#/components/schemas/Error"}
ID = {"type": "integer"}


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


def json_response(schema, description="OK"):
    """A JSON answer whose body is a declared Answer, a schema, or the named schema of the document."""
    if isinstance(schema, str):
        schema = {"$ref": f"#/components/schemas/{schema}"}
    elif isinstance(schema, type) and issubclass(schema, Answer):
        schema = schema.ref()
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def list_response(answer, description="OK", **properties):
    """A JSON answer `{"items": [...]}` of a declared Answer, with any further `properties`."""
    return json_response(answer.list_schema(**properties), description)


def input_schemas(schema, name):
    """The document's schemas of one declared input: `<name>Input` for a PATCH, `<name>New` for a POST."""
    return {f"{name}Input": schema.openapi(partial=True), f"{name}New": schema.openapi()}


def page_schema(answer):
    """One page of a list of a declared Answer, as core.api.paged writes it."""
    return answer.list_schema(page=ID, per_page=ID, total=ID)


def request_body(schema):
    """A required JSON body: a declared input (a Schema class), or the name of a documented schema."""
    if isinstance(schema, str):
        schema = {"$ref": f"#/components/schemas/{schema}"}
    else:
        schema = schema.openapi()
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _created(schema_name):
    """A 201 answer with the new record, and where to read it again."""
    return {
        **json_response(schema_name, "Created"),
        "headers": {
            "Location": {"description": "Address of the new record", "schema": {"type": "string"}}
        },
    }


def _id(name):
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


def query_parameters(schema):
    """A declared input read from the query string, as an operation's parameters."""
    return [{"name": name, "in": "query", "required": field.required, "schema": field.openapi()}
            for name, field in schema.fields.items()]


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
    **input_schemas(HouseholdInput, "Household"),
    **input_schemas(PlotInput, "Plot"),
    **input_schemas(ProductInput, "Product"),
    **schemas(HouseholdAnswer, PlotAnswer, ProductAnswer),
    "HouseholdPage": page_schema(HouseholdAnswer),
    "PlotList": PlotAnswer.list_schema(),
    "ProductPage": page_schema(ProductAnswer),
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
                    "parameters": query_parameters(HouseholdFilter),
                    "responses": {"200": json_response("HouseholdPage"), **error_responses("400", "401", "403")},
                },
                "post": {
                    "summary": "Register a household (admin)",
                    "requestBody": request_body("HouseholdNew"),
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
                    "requestBody": request_body("HouseholdInput"),
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
                    "requestBody": request_body("PlotNew"),
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
                    "requestBody": request_body("PlotInput"),
                    "responses": {"200": json_response("Plot"), **error_responses("400", "401", "403", "404")},
                },
            },
            "/products": {
                "get": {
                    "summary": "List products (all staff roles)",
                    "parameters": query_parameters(ProductFilter),
                    "responses": {"200": json_response("ProductPage"), **error_responses("400", "401", "403")},
                },
                "post": {
                    "summary": "Add a product (admin)",
                    "requestBody": request_body("ProductNew"),
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
                    "requestBody": request_body("ProductInput"),
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
