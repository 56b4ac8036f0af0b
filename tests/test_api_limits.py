"""Every limit the OpenAPI document states is the limit the API enforces.

For each operation with a JSON body, each documented limit of each field (maxLength, minLength,
minimum, maximum, pattern, enum, minItems, maxItems, required), in the body and in its nested
objects and lists, is tried with a value just inside and just outside it, on top of a valid body:
outside is a 400 in the documented error shape naming the field; inside is a 2xx. A value inside
the limits can still be refused for another reason: an id at its bound names no record (any 4xx
is then right), a quantity beyond the stock or a price other than the batch's (for the fields in
DEPENDENT only: inside must then not be refused with the message the value outside got). Never a 5xx.
"""
import datetime
import itertools
import re
import uuid
from decimal import Decimal

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_schema_validator import validate as validate_instance

from certificates import certification, inspections
from certificates.models import CertifyingBody, Requirement, Standard
from core import accounts
from core.models import User
from market import sales, settings
from traceability import batches

from tests.support import pgs_peers

API = "/api/v1"
OPERATIONS = 22  # documented operations with a JSON body, each probed in its own test (its own database)
BASE_URL = "http://localhost"
TODAY = datetime.date.today()

# Fields whose value inside the limits may be refused for what else it must match (by their path, lists left out).
DEPENDENT = {
    "lines.batch_code", "inputs.batch_code", "lines.quantity", "lines.unit_price_satang", "lines.discount_satang", "payment.method",
    "payment.cash_tendered_satang", "payment.promptpay_satang", "inputs.quantity", "rai", "ngan", "wa",
    "grower_status", "kind", "outcome", "activity", "category", "is_certifiable", "inspectors.name",
}
# The refund's quantity is bounded by what the line sold, far below the documented maximum.
DEPENDENT_BY_OPERATION = {"/sale-lines/{line_id}/refund": {"quantity"}}


class Probes:
    """Valid bodies and fresh records for every operation with a JSON body, one per call."""

    def __init__(self, story, client, make_user):
        self.story, self.client = story, client
        self.counter = itertools.count(1)
        self.kind = None  # which kind of a body of several kinds (oneOf) is being probed
        self.committee = story["committee"]
        self.headers = {"Authorization": f"Bearer {accounts.create_token(self.committee)}"}
        self.cashier = make_user("cashier", "limits")
        self.day = sales.open_market_day({"counter": "limits", "opening_float": "0"}, self.committee)
        household, product = story["household"], story["product"]
        self.batch, _new = batches.record_batch({
            "household_id": household.id, "product_id": product.id, "plot_id": story["plot"].id,
            "harvest_date": TODAY.isoformat(), "quantity": "1000000", "price_satang": 100}, self.committee)
        self.standard = Standard.get(Standard.code == "PGS-KH")
        self.body = CertifyingBody.get(CertifyingBody.kind == "pgs")
        grower = User.create(username="limits-grower", role="grower", password_hash="-", household=household)
        self.grower_headers = {"Authorization": f"Bearer {accounts.create_token(grower)}"}

    def headers_for(self, path):
        """The grower's own routes (/me/...) answer the grower; every other one the committee's admin."""
        return self.grower_headers if path.startswith("/me") else self.headers

    def n(self):
        return next(self.counter)

    def sale(self):
        sale, _new = sales.record_sale(self.sale_body(), self.cashier, BASE_URL)
        return sale

    def sale_body(self):
        return {"client_id": str(uuid.uuid4()), "market_day_id": self.day.id,
                "lines": [{"batch_code": self.batch.code, "quantity": "1", "unit_price_satang": 100}],
                "payment": {"method": "cash", "cash_tendered_satang": 100}}

    def scheduled(self):
        return inspections.schedule_inspection(self.story["household"], {
            "standard_id": self.standard.id, "body_id": self.body.id, "scheduled_for": TODAY.isoformat()}, self.committee)

    def record_body(self):
        results = {str(r.id): {"result": "pass", "note": ""}
                   for r in Requirement.select().where(Requirement.standard == self.standard)}
        return {"inspected_on": TODAY.isoformat(), "findings": "",
                "inspectors": pgs_peers(), "results": results}

    def recorded(self):
        inspection = self.scheduled()
        inspections.record_inspection(inspection, self.record_body(), self.committee)
        return inspection

    def decision(self):
        return certification.decide(self.recorded(), {"outcome": "approve"}, self.committee)

    def scope_body(self):
        return {"product_ids": [self.story["product"].id], "plot_ids": [self.story["plot"].id]}

    def certificate(self):
        return certification.issue_certificate(self.decision(), self.scope_body(), self.committee)

    def make(self, method, path):
        """The address and a valid body of one call of the operation, with fresh records where it needs them."""
        story, n = self.story, self.n()
        household, plot, product = story["household"], story["plot"], story["product"]
        makers = {
            ("post", "/households"): lambda: ({}, {"code": f"LIM-{n}", "head_name": "ทดสอบ ขอบเขต", "village_no": 1,
                                                        "sensitive_consent": True}),
            ("patch", "/households/{household_id}"): lambda: (
                {"household_id": household.id}, {"notes": "ok", "sensitive_consent": True}),
            ("post", "/households/{household_id}/plots"): lambda: (
                {"household_id": household.id}, {"name": "แปลง", "area_m2": "100"}),
            ("patch", "/plots/{plot_id}"): lambda: ({"plot_id": plot.id}, {"notes": "ok"}),
            ("post", "/products"): lambda: ({}, {"name_th": f"ผัก {n}", "unit": "kg", "category": "vegetable"}),
            ("patch", "/products/{product_id}"): lambda: ({"product_id": product.id}, {"name_en": "Kale"}),
            ("post", "/batches"): lambda: ({}, {
                "household_id": household.id, "product_id": product.id, "harvest_date": TODAY.isoformat(),
                "quantity": "1"}),
            ("post", "/made-batches"): lambda: ({}, {
                "household_id": household.id, "product_id": product.id, "made_on": TODAY.isoformat(),
                "quantity": "1", "client_id": str(uuid.uuid4()),
                "inputs": [{"batch_code": self.batch.code, "quantity": "1"}]}),
            ("post", "/sales"): lambda: ({}, self.sale_body()),
            ("post", "/sales/{sale_id}/void"): lambda: ({"sale_id": self.sale().id}, {"reason": "ลูกค้าเปลี่ยนใจ"}),
            ("post", "/sale-lines/{line_id}/refund"): lambda: (
                {"line_id": self.sale().lines.get().id}, {"quantity": "1", "reason": "ผักช้ำ"}),
            ("post", "/households/{household_id}/inputs"): lambda: ({"household_id": household.id}, {
                "plot_id": plot.id, "used_on": TODAY.isoformat(), "input_type": "fertilizer", "name": "ปุ๋ยหมัก"}),
            ("post", "/households/{household_id}/activities"): lambda: ({"household_id": household.id}, {
                "plot_id": plot.id, "done_on": TODAY.isoformat(), "activity": "planting"}),
            ("post", "/households/{household_id}/inspections"): lambda: ({"household_id": household.id}, {
                "standard_id": self.standard.id, "body_id": self.body.id, "scheduled_for": TODAY.isoformat()}),
            ("post", "/inspections/{inspection_id}/record"): lambda: (
                {"inspection_id": self.scheduled().id}, self.record_body()),
            ("post", "/inspections/{inspection_id}/decision"): lambda: (
                {"inspection_id": self.recorded().id}, {"outcome": "approve"}),
            ("post", "/decisions/{decision_id}/certificate"): lambda: (
                {"decision_id": self.decision().id}, self.scope_body()),
            ("post", "/households/{household_id}/consents"): lambda: ({"household_id": household.id}, {}),
            ("post", "/households/{household_id}/erase"): lambda: ({"household_id": household.id}, {}),
            ("post", "/me/batches"): lambda: ({}, {
                "product_id": product.id, "plot_id": plot.id, "harvest_date": TODAY.isoformat(), "quantity": "2"}),
            ("post", "/me/diary"): lambda: ({}, {
                "kind": "input", "plot_id": plot.id, "used_on": TODAY.isoformat(), "input_type": "fertilizer",
                "name": "ปุ๋ยหมัก"} if self.kind == "input" else {
                "kind": "activity", "plot_id": plot.id, "done_on": TODAY.isoformat(), "activity": "care"}),
            ("post", "/certificates/{number}/{action}"): lambda: (
                {"number": self.certificate().number, "action": "suspend"}, {"reason": "ใช้สารเคมี"}),
        }
        assert (method, path) in makers, f"no valid body for {method.upper()} {path}: add one to Probes.make"
        params, body = makers[(method, path)]()
        return API + path.format(**params), body


def resolve(schema, spec):
    """A schema with its $ref and allOf folded in."""
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if "allOf" in schema:
        merged = {key: value for key, value in schema.items() if key != "allOf"}
        for part in schema["allOf"]:
            part = resolve(part, spec)
            merged["properties"] = {**merged.get("properties", {}), **part.get("properties", {})}
            merged["required"] = merged.get("required", []) + part.get("required", [])
        schema = merged
    return schema


def text_of(length, pattern, seed, matching=True):
    """A text of exactly `length` characters that matches `pattern` (if it can), made distinct by `seed`."""
    candidates = [(f"K{seed}" + "A" * length)[:length], (f"{seed}" + "0" * length)[:length],
                  (f"+{seed}" + "0" * length)[:length], "ก" * length]
    for value in candidates:
        if pattern is None or re.search(pattern, value):
            return value
    assert not matching, f"no text of {length} characters matches {pattern}"
    return candidates[0]


def limit_cases(schema, seed):
    """(limit, inside value, outside value) for every limit the field's schema documents."""
    if "oneOf" in schema:  # a decimal: as a JSON number for the range, as a string for its pattern
        number = next(part for part in schema["oneOf"] if part["type"] == "number")
        text = next(part for part in schema["oneOf"] if part["type"] == "string")
        places = int(re.search(r"\{1,(\d+)\}", text["pattern"]).group(1))
        step = Decimal(1).scaleb(-places)
        cases = []
        if "minimum" in number:
            low = Decimal(str(number["minimum"]))
            cases.append(("minimum", str(low), str(low - step)))
        if "maximum" in number:
            high = Decimal(str(number["maximum"]))
            cases.append(("maximum", str(high), str(high + step)))
        cases.append(("pattern", "1." + "0" * places, "1." + "1" * (places + 1)))
        return cases
    kind, cases = schema.get("type"), []
    if kind == "string" and "enum" in schema:
        cases += [("enum", value, value + "-x") for value in schema["enum"]]
    elif kind == "string" and "maxLength" in schema:
        pattern, longest = schema.get("pattern"), schema["maxLength"]
        cases.append(("maxLength", text_of(longest, pattern, seed), text_of(longest + 1, pattern, seed, matching=False)))
        if schema.get("minLength"):
            cases.append(("minLength", text_of(schema["minLength"], pattern, seed), ""))
        if pattern:
            cases.append(("pattern", text_of(min(longest, 12), pattern, seed), "!"))
    elif kind == "integer":
        if "minimum" in schema:
            cases.append(("minimum", schema["minimum"], schema["minimum"] - 1))
        if "maximum" in schema:
            cases.append(("maximum", schema["maximum"], schema["maximum"] + 1))
    return cases


def fields_of(schema, spec, path=()):
    """(path in the body, field schema, contextual name) for every documented field, nested ones too."""
    schema = resolve(schema, spec)
    for name, field in schema.get("properties", {}).items():
        where = path + (name,)
        yield where, field
        if field.get("type") == "object" and "properties" in field:
            yield from fields_of(field, spec, where)
        if field.get("type") == "array" and field.get("items", {}).get("type") == "object":
            yield from fields_of(field["items"], spec, where + (0,))


def put(body, where, value):
    """The body with the field at `where` set to `value` (None: removed)."""
    body = _copy(body)
    target = body
    for step in where[:-1]:
        target = target[step]
    if value is None:
        target.pop(where[-1], None)
    else:
        target[where[-1]] = value
    return body


def _copy(value):
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def holds(body, where):
    """True when the valid body reaches the field's parent (a list to pad, an object to fill)."""
    target = body
    for step in where[:-1]:
        if isinstance(step, int):
            if not isinstance(target, list) or len(target) <= step:
                return False
        elif step not in target:
            return False
        target = target[step]
    return True


def blamed(answer, where):
    """The error messages that name the field at `where` (a nested field is named from its top)."""
    fields = answer["error"].get("fields", {})
    top = str(where[0])
    return {key: text for key, text in fields.items() if key == top or key.startswith(top.rstrip("s"))}


def names_a_record(where):
    """An id (or list of ids) that must name an existing record: at its bound it names none."""
    return any(str(step).endswith(("_id", "_ids")) for step in where if not isinstance(step, int))


def dependent(where, path):
    label = ".".join(str(step) for step in where if not isinstance(step, int))
    return label in DEPENDENT or label in DEPENDENT_BY_OPERATION.get(path, ())


@pytest.fixture
def spec(client):
    return client.get(f"{API}/openapi.json").get_json()


def json_operations(spec):
    return [(path, method, operation) for path, item in spec["paths"].items() for method, operation in item.items()
            if method != "parameters" and "application/json" in operation.get("requestBody", {}).get("content", {})]


def test_every_operation_with_a_json_body_is_probed(spec):
    """One probe below per documented JSON body: a new operation raises the count here and needs a valid body in Probes.make."""
    assert len(json_operations(spec)) == OPERATIONS


@pytest.mark.parametrize("index", range(OPERATIONS))
def test_documented_limits_are_the_enforced_ones(app, client, make_user, certified_household, spec, index):
    """Each documented limit of one operation's body: just outside is a 400 naming the field, just inside a 2xx."""
    path, method, operation = sorted(json_operations(spec), key=lambda op: (op[0], op[1]))[index]
    probes = Probes(certified_household, client, make_user)
    error_schema = {"$ref": "#/components/schemas/Error", "components": spec["components"]}
    documented = operation["requestBody"]["content"]["application/json"]["schema"]
    problems, tried = [], 0

    def call(url, body):
        answer = client.open(url, method=method.upper(), json=body, headers=probes.headers_for(path))
        assert answer.status_code < 500, (method, url, body, answer.get_data(as_text=True)[:300])
        return answer

    for body_schema in documented.get("oneOf", [documented]):  # a body of several kinds: each kind probed
        probes.kind = body_schema.get("properties", {}).get("kind", {}).get("enum", [None])[0]
        url, valid = probes.make(method, path)
        first = call(url, valid)
        assert 200 <= first.status_code < 300, (path, valid, first.get_json())

        for where, field in fields_of(body_schema, spec):
            url, base = probes.make(method, path)
            if not holds(base, where):
                continue
            label = ".".join(str(step) for step in where)
            for limit, inside, outside in limit_cases(field, probes.n()):
                tried += 1
                url, base = probes.make(method, path)
                refused = call(url, put(base, where, outside))
                if refused.status_code != 400:
                    problems.append(f"{method.upper()} {path} {label} {limit} outside ({outside!r:.40}): {refused.status_code}")
                    continue
                validate_instance(refused.get_json(), error_schema, cls=OAS30Validator)
                refusal = blamed(refused.get_json(), where)
                if not refusal:
                    problems.append(f"{method.upper()} {path} {label} {limit} outside: 400 names {refused.get_json()['error']}")
                    continue
                url, base = probes.make(method, path)
                accepted = call(url, put(base, where, inside))
                if 200 <= accepted.status_code < 300:
                    continue
                if names_a_record(where):
                    continue
                if dependent(where, path):
                    again = blamed(accepted.get_json(), where) if accepted.is_json and "error" in accepted.get_json() else {}
                    if not set(again.values()) & set(refusal.values()):
                        continue
                problems.append(f"{method.upper()} {path} {label} {limit} inside ({inside!r:.40}): "
                                f"{accepted.status_code} {accepted.get_json()}")
        for name in resolve(body_schema, spec).get("required", []):
            tried += 1
            url, base = probes.make(method, path)
            refused = call(url, put(base, (name,), None))
            if refused.status_code != 400 or not blamed(refused.get_json(), (name,)):
                problems.append(f"{method.upper()} {path} without required {name}: {refused.status_code} "
                                f"{refused.get_data(as_text=True)[:200]}")
    assert tried, f"{method.upper()} {path}: no documented limit to try"
    assert not problems, "\n".join(problems)


def test_documented_query_limits_are_the_enforced_ones(app, client, make_user, certified_household, spec):
    """Each limit of each documented query parameter: just outside is a 400 naming it, just inside a 2xx."""
    probes = Probes(certified_household, client, make_user)
    settings.save_settings({**settings.all_settings(), "promptpay_id": "0812345678"}, probes.committee)
    story = certified_household
    values = {"household_id": story["household"].id, "number": story["certificate"].number, "code": probes.batch.code,
              "inspection_id": story["inspection"].id, "scan": probes.batch.code, "amount_satang": 100,
              "product_id": story["product"].id, "batch": probes.batch.code}
    problems, tried = [], 0
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method != "get":
                continue
            parameters = item.get("parameters", []) + operation.get("parameters", [])
            if not any(limit_cases(p["schema"], 0) for p in parameters if p["in"] == "query"):
                continue
            url = API + path.format(**{p["name"]: values[p["name"]] for p in parameters if p["in"] == "path"})
            required = {p["name"]: values[p["name"]] for p in parameters if p["in"] == "query" and p.get("required")}
            for parameter in (p for p in parameters if p["in"] == "query"):
                for limit, inside, outside in limit_cases(parameter["schema"], probes.n()):
                    tried += 1
                    name = parameter["name"]
                    refused = client.get(url, query_string={**required, name: outside}, headers=probes.headers)
                    if refused.status_code != 400 or name not in refused.get_json()["error"].get("fields", {}):
                        problems.append(f"GET {path} {name} {limit} outside ({outside!r:.40}): {refused.status_code}")
                    accepted = client.get(url, query_string={**required, name: inside}, headers=probes.headers)
                    if not 200 <= accepted.status_code < 300 and not (names_a_record((name,)) and accepted.status_code < 500):
                        problems.append(f"GET {path} {name} {limit} inside ({inside!r:.40}): {accepted.status_code}")
    assert tried > 20
    assert not problems, "\n".join(problems)
