"""The OpenAPI 3 document: it validates, drf-spectacular has nothing to warn about, it
documents carepay's views only (with their real prefix), and it carries examples."""

from __future__ import annotations

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.validation import validate_schema

from tests.api.conftest import api

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(client):
    GENERATOR_STATS.reset()
    response = client.get(api("schema"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def test_it_validates_without_a_warning(document):
    validate_schema(document)  # the OpenAPI 3.0 JSON schema, as `spectacular --validate`
    assert not GENERATOR_STATS  # `spectacular --fail-on-warn`: no warning, no error


def test_it_documents_the_api_only_at_its_real_paths(document):
    assert sorted(document["paths"]) == [
        "/api/billing/approvals/",
        "/api/billing/invoices/",
        "/api/billing/invoices/{public_id}/",
        "/api/billing/invoices/{public_id}/payments/",
        "/api/billing/invoices/{public_id}/transfers/",
        "/api/billing/methods/",
        "/api/billing/payments/{public_id}/",
        "/api/billing/payments/{public_id}/approve/",
        "/api/billing/payments/{public_id}/refund/",
        "/api/billing/payments/{public_id}/reject/",
    ]


def test_amounts_are_strings_and_refusals_have_one_shape(document):
    schemas = document["components"]["schemas"]
    assert schemas["CarepayInvoice"]["properties"]["amount_due"]["type"] == "string"
    assert schemas["CarepayTransferInputRequest"]["properties"]["amount"]["type"] == "string"
    assert set(schemas["CarepayError"]["properties"]) == {"code", "message", "field"}
    transfers = document["paths"]["/api/billing/invoices/{public_id}/transfers/"]["post"]
    assert set(transfers["responses"]) == {"201", "400", "401", "403", "404", "409", "415",
                                           "422", "429"}
    assert set(transfers["requestBody"]["content"]) == {"application/json",
                                                        "multipart/form-data"}


def test_the_seed_flow_has_examples(document):
    paths = document["paths"]
    methods = paths["/api/billing/methods/"]["get"]["responses"]["200"]["content"]
    transfer = paths["/api/billing/invoices/{public_id}/transfers/"]["post"]
    assert "MethodsForPakistan" in methods["application/json"]["examples"]
    assert "ConfirmATransfer" in transfer["requestBody"]["content"]["application/json"][
        "examples"]
    assert paths["/api/billing/payments/{public_id}/approve/"]["post"]["requestBody"][
        "content"]["application/json"]["examples"]


def test_yaml_too(client):
    response = client.get(api("schema"), {"format": "yaml"})
    assert response.content.startswith(b"openapi: 3.0.3")
