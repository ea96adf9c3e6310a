"""Every refusal is ``{"code", "message", "field"}`` with 400, 401, 403, 404, 405, 409, 415,
422 or 429, whatever the host configures; never a 500."""

from __future__ import annotations

import inspect

import pytest
from django.test import override_settings
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from django_carepay import exceptions
from django_carepay.api.errors import refusal
from tests.api.conftest import api

pytestmark = pytest.mark.django_db


def _refusals() -> list[type[exceptions.CarepayError]]:
    return [cls for _name, cls in inspect.getmembers(exceptions, inspect.isclass)
            if issubclass(cls, exceptions.CarepayError)]


@pytest.mark.parametrize("cls", _refusals(), ids=lambda cls: cls.__name__)
def test_every_carepay_error_has_a_status_and_a_code(cls):
    if cls is exceptions.WouldOverpay:
        exc = cls("Too much.", excess=1, override="allow_overpayment", advice="Reject it.")
    elif cls is exceptions.InvalidInput:
        exc = cls("Bad.", field="reference", code="required")
    else:
        exc = cls("Refused.")

    status, body = refusal(exc)

    assert status in (400, 403, 404, 409)
    assert set(body) == {"code", "message", "field"}
    assert body["code"] and body["message"]
    if cls is exceptions.InvalidInput:
        assert (body["code"], body["field"]) == ("required", "reference")


@pytest.mark.parametrize(("cls", "status", "code", "field"), [
    (exceptions.InvalidAmount, 400, "invalid", "amount"),
    (exceptions.InvalidProof, 400, "invalid", "proof"),
    (exceptions.UnknownBackend, 400, "unknown_method", "method"),
    (exceptions.BackendNotAvailable, 400, "method_not_available", "method"),
    (exceptions.InvalidState, 409, "invalid_state", None),
    (exceptions.AlreadyDecided, 409, "already_decided", None),
    (exceptions.InvoiceBusy, 409, "invoice_busy", None),
    (exceptions.PermissionRefused, 403, "permission_refused", None),
    (exceptions.ProviderError, 409, "provider_unavailable", None),
    (exceptions.InvalidLink, 404, "invalid_link", None),
])
def test_the_mapping(cls, status, code, field):
    assert refusal(cls("Refused.")) == (status, {"code": code, "message": "Refused.",
                                                 "field": field})


def test_a_provider_that_said_no():
    exc = exceptions.ProviderError("Declined.", refused=True)
    assert refusal(exc)[1]["code"] == "provider_refused"


class OnePerDay(SimpleRateThrottle):
    rate = "1/day"
    scope = "carepay-test"

    def get_cache_key(self, request, view):
        return "carepay-test-throttle"


def test_throttling_comes_from_the_host_and_is_429(client, patient, monkeypatch):
    monkeypatch.setattr(api_settings, "DEFAULT_THROTTLE_CLASSES", [OnePerDay])
    client.force_login(patient)
    assert client.get(api("invoices")).status_code == 200

    response = client.get(api("invoices"))

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_basic_authentication_answers_401_with_a_challenge(client):
    with override_settings(REST_FRAMEWORK={"DEFAULT_AUTHENTICATION_CLASSES": [
            "rest_framework.authentication.BasicAuthentication"]}):
        response = client.get(api("invoices"))

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")
    assert response.json() == {"code": "not_authenticated", "field": None,
                               "message": "Authentication credentials were not provided."}


def test_wrong_credentials(client, patient):
    response = client.get(api("invoices"), headers={"Authorization": "Basic YWRhOm5vcGU="})
    assert response.status_code in (401, 403)
    assert response.json()["code"] == "authentication_failed"


def test_the_hosts_permission_classes_apply_first(client, gb_invoice):
    from django_carepay import services

    client.get(services.payment_link(gb_invoice).removeprefix("https://clinic.example.com"))
    assert client.get(api("invoice", gb_invoice.public_id)).status_code == 200
    with override_settings(REST_FRAMEWORK={"DEFAULT_PERMISSION_CLASSES": [
            "rest_framework.permissions.IsAuthenticated"]}):
        response = client.get(api("invoice", gb_invoice.public_id))
    assert (response.status_code, response.json()["code"]) == (403, "not_authenticated")


def test_the_hosts_exception_handler_does_not_change_the_shape(payer, gb_invoice):
    with override_settings(REST_FRAMEWORK={
            "EXCEPTION_HANDLER": "rest_framework.views.exception_handler"}):
        response = payer.get(api("invoices"), {"status": "nope"})
    assert set(response.json()) == {"code", "message", "field"}


def test_a_method_not_allowed(payer):
    response = payer.delete(api("invoices"))
    assert (response.status_code, response.json()["code"]) == (405, "method_not_allowed")


def test_only_json_is_answered(payer):
    response = payer.get(api("invoices"), headers={"Accept": "text/html"})
    assert response.status_code == 406
    assert response.json()["code"] == "not_acceptable"


def test_the_first_of_several_field_errors(payer, gb_invoice):
    response = payer.post(api("invoice_transfers", gb_invoice.public_id), {},
                          content_type="application/json")
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == ("method", "required")
