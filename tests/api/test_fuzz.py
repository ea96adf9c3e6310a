"""The whole API fuzzed from its own OpenAPI document with schemathesis: no input gets a
5xx, and every response (status, content type, headers, body) matches the document.

``CAREPAY_FUZZ_EXAMPLES`` sets the examples per operation and generation mode (default
120: 240 cases per operation, valid and invalid input; CI runs it on SQLite and on
PostgreSQL). Path parameters, the ``invoice`` query and a body's ``method`` are often
drawn from the objects made below, so the services run, not only the 404s. Requests
are signed in with HTTP Basic as a superuser who is also a payer.
"""

from __future__ import annotations

import base64
import os
import uuid

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks

from django_carepay import services
from tests import factories

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = int(os.environ.get("CAREPAY_FUZZ_EXAMPLES", "120"))
#: Methods a body's ``method`` is drawn from half of the time (else the fuzzer's own).
METHODS = ["online", "bank_transfer_uk", "bank_transfer_pk", "swift"]
PASSWORD = "fuzz-pw"

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture
def known_ids(django_user_model) -> list[str]:
    """A superuser who pays too: open invoices in two countries, a transfer awaiting
    approval, a paid one; their public ids are what the fuzzer aims at."""
    user = django_user_model.objects.create_superuser("fuzzer", "f@example.com", PASSWORD)
    gb = factories.make_invoice(customer=user, billing={"country": "GB"})
    pk = factories.make_invoice(customer=user, currency="PKR", billing={"country": "PK"},
                                lines=[{"description": "Plan", "unit_price": "8000.00"}])
    submitted = services.submit_transfer(pk, backend="bank_transfer_pk", reference="BT-1",
                                         amount="100.00", by=user)
    paid = factories.make_invoice(customer=user)
    cash = factories.pay_cash(paid)
    return [str(obj.public_id) for obj in (gb, pk, submitted, paid, cash)]


def _valid_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


@pytest.fixture
def wsgi_app():
    """Django's WSGI handler, which (unlike the test client) closes the database
    connection after each request: kept open here, inside the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(known_ids, wsgi_app):
    schema = schemathesis.openapi.from_wsgi("/api/billing/schema/", wsgi_app)

    @schema.hook
    def flatmap_path_parameters(context, path_parameters):
        if not path_parameters or "public_id" not in path_parameters:
            return st.just(path_parameters)
        # A path that is not a UUID never reaches the API (Django's URL resolver 404s it).
        drawn = path_parameters["public_id"]
        random_id = drawn if _valid_uuid(drawn) else str(uuid.uuid4())
        return st.sampled_from([*known_ids, random_id]).map(
            lambda value: {**path_parameters, "public_id": value})

    @schema.hook
    def flatmap_query(context, query):
        if not query or "invoice" not in query:
            return st.just(query)
        return st.sampled_from([*known_ids[:2], query["invoice"]]).map(
            lambda value: {**query, "invoice": value})

    @schema.hook
    def flatmap_body(context, body):
        if not isinstance(body, dict) or not isinstance(body.get("method"), str):
            return st.just(body)
        return st.sampled_from([body["method"], *METHODS]).map(
            lambda value: {**body, "method": value})

    return schema


AUTHORIZATION = "Basic " + base64.b64encode(f"fuzzer:{PASSWORD}".encode()).decode()

#: Every operation of the document (test_every_operation_is_fuzzed keeps it complete).
OPERATIONS = [
    "methods_list", "invoices_list", "invoices_retrieve", "invoices_payments_create",
    "invoices_transfers_create", "payments_retrieve", "payments_approve", "payments_reject",
    "payments_refund", "approvals_list",
]


def test_every_operation_is_fuzzed(api_schema):
    found = [result.ok().definition.raw["operationId"]
             for result in api_schema.get_all_operations()]
    assert sorted(found) == sorted(OPERATIONS)


@pytest.mark.parametrize("mode", list(GenerationMode), ids=str)
@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_no_input_gets_a_server_error_and_every_answer_is_documented(api_schema,
                                                                     operation_id, mode):
    operation = api_schema.find_operation_by_id(operation_id)

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def fuzz(case):
        response = case.call(headers={"Authorization": AUTHORIZATION})
        case.validate_response(response, checks=CHECKS)

    fuzz()
