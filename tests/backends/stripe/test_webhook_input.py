"""Validly signed but malformed Stripe deliveries: 200 or 400, never 500, never credited.

A signature proves who sent a body, not that it is well formed. Whatever the body,
the webhook answers 200 (stored) or 400 (refused, reason logged, nothing stored), and
money is only credited from an integer number of minor units in a known currency.
The ``\\u0000`` and ``NaN`` cases fail only on PostgreSQL (SQLite stores them).
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from django_carepay import services
from django_carepay.models import Invoice, Payment, WebhookEvent
from tests import factories
from tests.backends.stripe.support import (
    assert_refused,
    deliver,
    ledger,
    make_event,
    sign,
    webhook_url,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("card_backend")]


@pytest.fixture
def client(server_client):
    return server_client


@pytest.fixture
def payment(card_payment):
    return card_payment


@pytest.fixture
def succeeded(paid_intent):
    """``payment_intent.succeeded`` for the payment, paid at localstripe (8000 pence)."""
    return make_event("payment_intent.succeeded", paid_intent)


def post_raw(client, body: str, **signing):
    return client.post(webhook_url(), data=body, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=sign(body, **signing))


refused = assert_refused


class TestWhatPostgresCannotStore:
    """Bug 15: strings and numbers PostgreSQL's jsonb refuses."""

    @pytest.mark.parametrize("bad", ["a\u0000b", "\ud800", "x\udfffy"])
    def test_nul_and_lone_surrogates_are_stored_replaced_and_the_event_applied(
            self, client, succeeded, payment, invoice, bad):
        event = {**succeeded, "id": f"evt_{bad}"}
        event["data"]["object"]["description"] = bad
        event["data"]["object"]["metadata"] = {**event["data"]["object"]["metadata"],
                                              f"note{bad}": bad}

        response = deliver(client, event)

        assert (response.status_code, response.content) == (200, b"processed")
        assert ledger(invoice) == [("charge", Decimal("80.00"), payment.provider_reference)]
        row = WebhookEvent.objects.get()
        clean = bad.replace("\u0000", "\ufffd").replace("\ud800", "\ufffd") \
            .replace("\udfff", "\ufffd")
        assert row.event_id == f"evt_{clean}"
        assert row.payload["data"]["object"]["description"] == clean
        assert row.payload["data"]["object"]["metadata"][f"note{clean}"] == clean

    @pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e309", "-1e400"])
    def test_numbers_json_cannot_carry_are_refused(self, client, succeeded, payment,
                                                   invoice, nothing_changes, caplog, literal):
        body = json.dumps(succeeded).replace('"livemode": false',
                                             f'"livemode": false, "x": {literal}')
        assert literal in body

        with nothing_changes(payment, invoice):
            response = post_raw(client, body)

        refused(response, caplog, "Body is not JSON")

    def test_an_event_id_longer_than_stored_is_refused(self, client, succeeded, payment,
                                                       invoice, nothing_changes, caplog):
        with nothing_changes(payment, invoice):
            response = deliver(client, {**succeeded, "id": "evt_" + "x" * 252})

        refused(response, caplog, "at most 255")

    def test_an_event_id_of_255_characters_is_stored(self, client, succeeded, invoice):
        event = {**succeeded, "id": "evt_" + "x" * 251}

        response = deliver(client, event)

        assert (response.status_code, response.content) == (200, b"processed")
        assert WebhookEvent.objects.get().event_id == event["id"]
        assert factories.reload(invoice).status == Invoice.Status.PAID


def _set(event: dict, path: str, value: object) -> dict:
    """``event`` with ``value`` at the dotted ``path`` (a copy)."""
    event = json.loads(json.dumps(event))
    *parents, last = path.split(".")
    target = event
    for key in parents:
        target = target[key]
    target[last] = value
    return event


class TestWrongShapes:
    """Bug 16: shapes Stripe never sends are refused with 400, not answered 500."""

    @pytest.mark.parametrize(("path", "value", "reason"), [
        ("data", [], "data must be an object"),
        ("data", "x", "data must be an object"),
        ("data", None, "data must be an object"),
        ("data.object", "x", "data.object must be an object"),
        ("data.object", [1, 2], "data.object must be an object"),
        ("data.object.metadata", "x", "metadata must be an object"),
        ("data.object.metadata", [1], "metadata must be an object"),
        ("data.object.currency", "xyz", "not an ISO 4217 currency code"),
        ("data.object.currency", "", "not an ISO 4217 currency code"),
        ("data.object.currency", 5, "currency must be a string"),
        ("data.object.amount_received", "abc", "must be an integer"),
        ("data.object.amount_received", "", "must be an integer"),
        ("data.object.amount_received", [8000], "must be an integer"),
        ("data.object.amount_received", {"value": 8000}, "must be an integer"),
        ("data.object.amount_received", 10 ** 20, "too large"),
        ("data.object.latest_charge", 5, "latest_charge must be"),
        ("id", 5, "event id must be a non-empty string"),
        ("type", ["payment_intent.succeeded"], "event type must be a non-empty string"),
    ])
    def test_payment_intent_succeeded(self, client, succeeded, payment, invoice,
                                      nothing_changes, caplog, path, value, reason):
        with nothing_changes(payment, invoice):
            response = deliver(client, _set(succeeded, path, value))

        refused(response, caplog, reason)

    def test_an_amount_of_1e309(self, client, succeeded, payment, invoice, nothing_changes,
                                caplog):
        body = json.dumps(succeeded).replace('"amount_received": 8000',
                                             '"amount_received": 1e309')

        with nothing_changes(payment, invoice):
            response = post_raw(client, body)

        refused(response, caplog, "Body is not JSON")

    @pytest.mark.parametrize("depth", [65, 100_000])
    def test_deeply_nested_json(self, client, succeeded, payment, invoice, nothing_changes,
                                caplog, depth):
        body = json.dumps(succeeded)[:-1] + ', "x": ' + "[" * depth + "]" * depth + "}"

        with nothing_changes(payment, invoice):
            response = post_raw(client, body)

        refused(response, caplog, "nested")

    def test_last_payment_error_not_an_object(self, client, localstripe, payment, invoice,
                                              nothing_changes, caplog):
        intent = localstripe.get(f"payment_intents/{payment.provider_reference}")
        event = make_event("payment_intent.payment_failed",
                           {**intent, "last_payment_error": "declined"})

        with nothing_changes(payment, invoice):
            response = deliver(client, event)

        refused(response, caplog, "last_payment_error must be an object")

    @pytest.mark.parametrize(("field", "value", "reason"), [
        ("amount", "abc", "must be an integer"),
        ("amount", True, "must be an integer"),
        ("currency", "zzz", "not an ISO 4217 currency code"),
        ("payment_intent", [1], "payment_intent must be"),
        ("payment_intent", 7, "payment_intent must be"),
        ("metadata", "x", "metadata must be an object"),
    ])
    def test_a_failed_refund_snapshot(self, client, localstripe, invoice, nothing_changes,
                                      caplog, field, value, reason):
        from tests.backends.stripe.support import paid_payment

        paid = paid_payment(localstripe, invoice)
        txn = services.refund_payment(paid)
        refund = localstripe.get(f"refunds/{txn.provider_reference}")
        event = make_event("refund.failed", {**refund, "status": "failed", field: value})

        with nothing_changes(paid, factories.reload(invoice)):
            response = deliver(client, event)

        refused(response, caplog, reason)

    @pytest.mark.parametrize(("value", "reason"), [
        (None, "charge id must be a non-empty string"),
        ("", "charge id must be a non-empty string"),
        (["ch_1"], "id must be a string"),
    ])
    def test_charge_refunded_without_a_charge_id(self, client, localstripe, invoice,
                                                 nothing_changes, caplog, value, reason):
        from tests.backends.stripe.support import paid_payment

        paid = paid_payment(localstripe, invoice)
        charge = localstripe.get(f"payment_intents/{paid.provider_reference}")["latest_charge"]
        event = make_event("charge.refunded", {**charge, "id": value})

        with nothing_changes(paid, factories.reload(invoice)):
            response = deliver(client, event)

        refused(response, caplog, reason)

    def test_an_account_that_is_not_a_string(self, client, localstripe, invoice,
                                             nothing_changes, caplog):
        from tests.backends.stripe.support import paid_payment

        paid = paid_payment(localstripe, invoice)
        charge = localstripe.get(f"payment_intents/{paid.provider_reference}")["latest_charge"]
        event = {**make_event("charge.refunded", charge), "account": {"id": "acct_1"}}

        with nothing_changes(paid, factories.reload(invoice)):
            response = deliver(client, event)

        refused(response, caplog, "account must be a string")


class TestWrongTypedAmounts:
    """Bug 17: minor units are integers, never booleans, floats or digit strings."""

    @pytest.mark.parametrize("amount", ["8000", True, 80.5, 8000.0, "١٢٣", -8000])
    def test_are_refused_not_credited(self, client, succeeded, payment, invoice,
                                      nothing_changes, caplog, amount):
        with nothing_changes(payment, invoice):
            response = deliver(client, _set(succeeded, "data.object.amount_received", amount))

        assert response.status_code == 400
        assert "amount_received must be" in response.content.decode()
        assert "amount_received must be" in caplog.text
        assert not WebhookEvent.objects.exists()
        assert ledger(invoice) == []
        assert factories.reload(payment).status == Payment.Status.PENDING

    @pytest.mark.parametrize("amount", ["8000", True, 80.5])
    def test_in_the_charge_when_the_intent_has_no_amount_received(
            self, client, succeeded, payment, invoice, nothing_changes, amount):
        event = json.loads(json.dumps(succeeded))
        del event["data"]["object"]["amount_received"]
        event["data"]["object"]["latest_charge"]["amount_captured"] = amount

        with nothing_changes(payment, invoice):
            response = deliver(client, event)

        assert response.status_code == 400
        assert "amount_captured must be" in response.content.decode()

    def test_the_sync_of_the_return_page_refuses_them_too(self, card_backend, succeeded):
        from django_carepay.exceptions import CarepayError

        intent = {**succeeded["data"]["object"], "amount_received": "8000"}

        with pytest.raises(CarepayError, match="amount_received must be an integer"):
            card_backend.update_from_intent(intent)
