"""The OpenAPI document as a fuzzer (schemathesis): every /api/v1 operation with generated input.

No answer is a 5xx, every answer matches what the document says, and a refused request (4xx)
writes nothing. Cases come from schemathesis's strategies and run under hypothesis here (its
pytest plugin does not run under pytest 9 yet).
"""
import schemathesis
from hypothesis import HealthCheck, given, settings

from core import accounts

from tests.support import database_rows

EXAMPLES_PER_OPERATION = 15
# What the document promises. (ignored_auth is left out: it resends our own admin token.)
CHECKS = [schemathesis.checks.not_a_server_error, schemathesis.checks.status_code_conformance,
          schemathesis.checks.content_type_conformance, schemathesis.checks.response_schema_conformance]


def test_every_operation_answers_as_documented_and_never_500s(app, certified_household, make_user):
    headers = {"Authorization": f"Bearer {accounts.create_token(make_user('admin', 'fuzzer'))}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    problems = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30

    for operation in operations:
        _fuzz(operation, headers, problems)
    assert not problems, "\n".join(sorted(set(problems))[:40])


def _fuzz(operation, headers, problems):
    """Send one operation's generated requests; add what goes wrong to `problems`."""

    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def call(case):
        before = database_rows()
        response = case.call(headers=headers)
        if response.status_code >= 500:
            problems.append(f"{operation.label}: {response.status_code} {response.text[:200]}")
            return
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as failure:  # schemathesis reports every mismatch it finds
            problems.append(f"{operation.label}: {str(failure)[:300]}")
        if 400 <= response.status_code < 500 and database_rows() != before:
            problems.append(f"{operation.label}: a refused request wrote something")

    call()
