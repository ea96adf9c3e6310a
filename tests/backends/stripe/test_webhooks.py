"""Stripe's signed deliveries to ``/billing/webhooks/card/``.

Events are built around objects fetched from localstripe and signed as Stripe signs
them. localstripe itself only emits ``payment_intent.succeeded`` and
``.payment_failed``, one second late; building the others here is deterministic
(see tests/backends/stripe/README.md).
"""

from __future__ import annotations

import json
import time
from decimal import Decimal

import pytest
import stripe
from django.core import mail
from django.test import Client
from django.urls import reverse

from django_carepay import services, signals
from django_carepay.models import Invoice, Payment, Transaction, WebhookEvent
from tests import factories
from tests.backends.stripe.support import (
    ALIAS,
    CARD_DECLINED,
    DECLINE_MESSAGE,
    deliver,
    ledger,
    make_event,
    paid_payment,
    sign,
    webhook_url,
)
from tests.testapp.models import Appointment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("card_backend")]


@pytest.fixture
def payment(invoice):
    """A pending card payment of the £80 invoice: its intent waits for the payer."""
    return services.start_payment(invoice, backend=ALIAS)


def intent_event(localstripe, payment, event_type, **changes):
    """``event_type`` around the payment's intent as localstripe has it now."""
    intent = localstripe.get(f"payment_intents/{payment.provider_reference}")
    return make_event(event_type, {**intent, **changes})


def charge_of(localstripe, payment):
    return localstripe.get(f"payment_intents/{payment.provider_reference}")["latest_charge"]


def stored(event):
    return WebhookEvent.objects.get(backend=ALIAS, event_id=event["id"])


class TestEventTypes:
    def test_payment_intent_succeeded_credits_the_charge(self, localstripe, client, payment,
                                                         invoice):
        localstripe.pay(payment.provider_reference)
        event = intent_event(localstripe, payment, "payment_intent.succeeded")

        response = deliver(client, event)

        assert (response.status_code, response.content) == (200, b"processed")
        assert ledger(invoice) == [("charge", Decimal("80.00"),
                                    payment.provider_reference)]
        assert factories.reload(payment).status == Payment.Status.SUCCEEDED
        assert factories.reload(invoice).status == Invoice.Status.PAID
        row = stored(event)
        assert (row.type, row.status, row.needs_attention) == (
            "payment_intent.succeeded", WebhookEvent.Status.PROCESSED, False)
        assert row.payload == event
        assert row.headers["Stripe-Signature"].startswith("t=")

    def test_payment_intent_payment_failed_fails_the_payment(self, localstripe, client,
                                                             payment, invoice):
        with pytest.raises(stripe.CardError):
            localstripe.pay(payment.provider_reference, CARD_DECLINED)
        event = intent_event(localstripe, payment, "payment_intent.payment_failed")

        response = deliver(client, event)

        assert response.status_code == 200
        payment.refresh_from_db()
        assert (payment.status, payment.failure_code, payment.failure_message) == (
            Payment.Status.FAILED, "card_declined", DECLINE_MESSAGE)
        assert ledger(invoice) == []

    def test_payment_intent_processing_marks_the_payment_processing(self, localstripe,
                                                                    client, payment):
        # localstripe has no delayed payment methods: only the status is Stripe's.
        event = intent_event(localstripe, payment, "payment_intent.processing",
                             status="processing")

        assert deliver(client, event).status_code == 200

        assert factories.reload(payment).status == Payment.Status.PROCESSING

    def test_payment_intent_canceled_cancels_the_payment(self, localstripe, client, payment):
        localstripe.client.v1.payment_intents.cancel(payment.provider_reference)  # dashboard
        event = intent_event(localstripe, payment, "payment_intent.canceled")

        assert deliver(client, event).status_code == 200

        assert factories.reload(payment).status == Payment.Status.CANCELLED

    @pytest.mark.parametrize("embedded", [True, False], ids=["refunds-in-event",
                                                              "refunds-listed-from-api"])
    def test_charge_refunded_records_the_refund(self, localstripe, client, invoice, embedded):
        payment = paid_payment(localstripe, invoice)
        refund = localstripe.dashboard_refund(charge_of(localstripe, payment)["id"], 3000)
        charge = localstripe.get(f"charges/{refund['charge']}")
        if not embedded:  # as Stripe sends it since API version 2022-11-15
            del charge["refunds"]

        response = deliver(client, make_event("charge.refunded", charge))

        assert response.status_code == 200
        assert ledger(invoice)[1:] == [("refund", Decimal("30.00"), refund["id"])]
        assert factories.reload(payment).status == Payment.Status.PARTIALLY_REFUNDED

    def test_refund_updated_records_the_refund(self, localstripe, client, invoice):
        payment = paid_payment(localstripe, invoice)
        refund = localstripe.dashboard_refund(charge_of(localstripe, payment)["id"], 8000)

        response = deliver(client, make_event("refund.updated", refund))

        assert response.status_code == 200
        assert ledger(invoice)[1:] == [("refund", Decimal("80.00"), refund["id"])]
        assert factories.reload(payment).status == Payment.Status.REFUNDED
        assert factories.reload(invoice).status == Invoice.Status.REFUNDED

    def test_refund_failed_puts_the_money_back_and_is_flagged(self, localstripe, client,
                                                              invoice):
        payment = paid_payment(localstripe, invoice)
        txn = services.refund_payment(payment)
        assert factories.reload(invoice).status == Invoice.Status.REFUNDED
        refund = localstripe.get(f"refunds/{txn.provider_reference}")
        # localstripe's refunds always succeed: the failure is Stripe's, as documented.
        event = make_event("refund.failed", {**refund, "status": "failed",
                                             "failure_reason": "expired_or_canceled_card"})

        response = deliver(client, event)
        again = deliver(client, make_event("refund.updated", {**refund, "status": "failed"}))

        assert (response.status_code, again.status_code) == (200, 200)
        reversal = Transaction.objects.get(kind=Transaction.Kind.REFUND_REVERSAL)
        assert (reversal.amount, reversal.provider_reference) == (
            txn.amount, f"{refund['id']}:reversal")
        stored_payment = factories.reload(payment)
        assert (stored_payment.status, stored_payment.amount_refunded) == (
            Payment.Status.SUCCEEDED, 0)
        assert factories.reload(invoice).status == Invoice.Status.PAID
        row = stored(event)
        assert (row.status, row.needs_attention) == (WebhookEvent.Status.PROCESSED, True)
        assert f"Refund {refund['id']} of 80.00 GBP failed" in row.error
        assert "still has to be repaid" in row.error

    def test_an_unknown_event_type_is_stored_and_acknowledged(self, localstripe, client):
        customer = localstripe.client.v1.customers.create({"email": "ada@example.com"})
        event = make_event("customer.created", localstripe.get(f"customers/{customer.id}"))

        response = deliver(client, event)

        assert (response.status_code, response.content) == (200, b"ignored")
        row = stored(event)
        assert (row.type, row.status, row.needs_attention) == (
            "customer.created", WebhookEvent.Status.IGNORED, False)
        assert row.payload == event


class TestRefusedDeliveries:
    """Anything that cannot be verified: 400, nothing stored, nothing changed."""

    @pytest.fixture
    def genuine(self, localstripe, payment):
        localstripe.pay(payment.provider_reference)
        return json.dumps(intent_event(localstripe, payment, "payment_intent.succeeded"))

    @pytest.mark.parametrize(("case", "reason"), [
        ("wrong secret", "Stripe signature check failed"),
        ("tampered body", "Stripe signature check failed"),
        ("stale timestamp", "Timestamp outside the tolerance zone"),
        ("missing header", "Missing Stripe-Signature header"),
        ("signed but not JSON", "Body is not JSON"),
    ])
    def test_is_refused(self, client, genuine, payment, invoice, nothing_changes, caplog,
                        case, reason):
        body, header = genuine, sign(genuine)
        if case == "wrong secret":
            header = sign(body, secret="whsec_someone_else")
        elif case == "tampered body":
            body = body.replace('"amount": 8000', '"amount": 800000')
        elif case == "stale timestamp":
            header = sign(body, timestamp=int(time.time()) - 301)
        elif case == "signed but not JSON":
            body = "amount=8000&status=succeeded"
            header = sign(body)
        extra = {} if case == "missing header" else {"HTTP_STRIPE_SIGNATURE": header}

        with nothing_changes(payment, invoice):
            response = client.post(webhook_url(), data=body, content_type="application/json",
                                   **extra)

        assert response.status_code == 400
        assert reason in response.content.decode()
        assert reason in caplog.text
        assert not WebhookEvent.objects.exists()

    def test_a_delivery_signed_just_inside_the_tolerance_is_accepted(self, client, genuine,
                                                                     invoice):
        response = client.post(webhook_url(), data=genuine, content_type="application/json",
                               HTTP_STRIPE_SIGNATURE=sign(genuine,
                                                          timestamp=int(time.time()) - 290))

        assert response.status_code == 200
        assert factories.reload(invoice).status == Invoice.Status.PAID


class TestExactlyOnce:
    def test_a_duplicate_delivery_is_acknowledged_and_applied_once(self, localstripe, client,
                                                                   payment, invoice):
        localstripe.pay(payment.provider_reference)
        event = intent_event(localstripe, payment, "payment_intent.succeeded")

        first, again = deliver(client, event), deliver(client, event)

        assert (first.status_code, first.content) == (200, b"processed")
        assert (again.status_code, again.content) == (200, b"duplicate")
        assert [kind for kind, *_ in ledger(invoice)] == ["charge"]
        assert WebhookEvent.objects.count() == 1

    def test_charge_refunded_and_refund_updated_for_one_refund_make_one_ledger_row(
            self, localstripe, client, invoice):
        payment = paid_payment(localstripe, invoice)
        refund = localstripe.dashboard_refund(charge_of(localstripe, payment)["id"], 2500)

        deliver(client, make_event("charge.refunded",
                                   localstripe.get(f"charges/{refund['charge']}")))
        deliver(client, make_event("refund.updated", refund))

        assert ledger(invoice)[1:] == [("refund", Decimal("25.00"), refund["id"])]
        assert factories.reload(payment).amount_refunded == Decimal("25.00")

    def test_our_own_refund_reported_back_is_not_recorded_twice(self, localstripe, client,
                                                                invoice):
        payment = paid_payment(localstripe, invoice)
        txn = services.refund_payment(payment, amount="20.00")

        charge = localstripe.get(f"charges/{charge_of(localstripe, payment)['id']}")

        response = deliver(client, make_event("charge.refunded", charge))

        assert response.status_code == 200
        assert ledger(invoice)[1:] == [("refund", Decimal("20.00"), txn.provider_reference)]

    def test_a_refund_made_in_stripes_dashboard_reaches_the_ledger_once(self, localstripe,
                                                                        client, invoice):
        payment = paid_payment(localstripe, invoice)
        refund = localstripe.dashboard_refund(charge_of(localstripe, payment)["id"], 8000)
        charge = localstripe.get(f"charges/{refund['charge']}")
        assert refund["metadata"] == {}  # made by hand, with none of our metadata

        responses = [deliver(client, make_event("charge.refunded", charge)) for _ in range(2)]

        assert [r.status_code for r in responses] == [200, 200]
        assert ledger(invoice)[1:] == [("refund", Decimal("80.00"), refund["id"])]
        assert factories.reload(payment).status == Payment.Status.REFUNDED
        assert factories.reload(invoice).status == Invoice.Status.REFUNDED

    def test_a_late_failure_after_a_success_changes_nothing(self, localstripe, client,
                                                            payment, invoice):
        # The payer's first card was declined, the second went through; Stripe
        # delivers the two events in the wrong order.
        assert localstripe.confirm_as_browser(payment.provider_reference,
                                              CARD_DECLINED).status_code == 402
        failed = intent_event(localstripe, payment, "payment_intent.payment_failed")
        assert localstripe.confirm_as_browser(payment.provider_reference).ok
        succeeded = intent_event(localstripe, payment, "payment_intent.succeeded")
        deliver(client, succeeded)

        response = deliver(client, failed)

        assert response.status_code == 200
        payment.refresh_from_db()
        assert (payment.status, payment.failure_code) == (Payment.Status.SUCCEEDED, "")
        assert [kind for kind, *_ in ledger(invoice)] == ["charge"]
        assert factories.reload(invoice).status == Invoice.Status.PAID

    @pytest.mark.parametrize("first", ["webhook", "return page"])
    def test_the_webhook_and_the_return_page_credit_one_charge(self, localstripe, client,
                                                               patient, payment, invoice,
                                                               first):
        localstripe.pay(payment.provider_reference)
        event = intent_event(localstripe, payment, "payment_intent.succeeded")
        client.force_login(patient)
        return_page = reverse("carepay:payment_return", args=[payment.public_id])

        if first == "webhook":
            deliver(client, event)
            page = client.get(return_page)
        else:
            page = client.get(return_page)
            deliver(client, event)

        assert "Payment received" in page.content.decode()
        assert ledger(invoice) == [("charge", Decimal("80.00"),
                                    payment.provider_reference)]
        assert factories.reload(invoice).amount_paid == Decimal("80.00")


class TestAmountReceived:
    def test_the_ledger_credits_what_stripe_received_not_what_was_asked(self, localstripe,
                                                                        client, payment,
                                                                        invoice):
        localstripe.pay(payment.provider_reference)
        # localstripe has no amount_received; Stripe sends it, and it is what counts.
        event = intent_event(localstripe, payment, "payment_intent.succeeded",
                             amount_received=5000)

        deliver(client, event)

        assert ledger(invoice) == [("charge", Decimal("50.00"),
                                    payment.provider_reference)]
        payment.refresh_from_db()
        invoice.refresh_from_db()
        assert (payment.status, payment.amount_received) == (Payment.Status.SUCCEEDED,
                                                             Decimal("50.00"))
        assert (invoice.status, invoice.amount_due) == (Invoice.Status.OPEN, Decimal("30.00"))


class TestNeedsAttention:
    def test_money_in_another_currency_is_flagged_and_not_credited(self, localstripe, client,
                                                                   payment, invoice):
        localstripe.pay(payment.provider_reference)
        event = intent_event(localstripe, payment, "payment_intent.succeeded", currency="eur")

        response = deliver(client, event)

        assert response.status_code == 200
        row = stored(event)
        assert row.needs_attention
        assert "EUR for a GBP payment; not credited" in row.error
        assert ledger(invoice) == []
        assert factories.reload(payment).status == Payment.Status.PENDING

    def test_an_intent_of_ours_matching_no_payment_is_flagged(self, localstripe, client,
                                                              invoice):
        # Made by carepay (our metadata), e.g. for a payment since deleted, or by
        # another environment sharing the Stripe account.
        intent = localstripe.client.v1.payment_intents.create({
            "amount": 8000, "currency": "gbp",
            "metadata": {"carepay_payment": "5b0e7a43-3c1f-4a4e-9f0b-2d7e8c6a1f90"}})
        localstripe.pay(intent.id)
        event = make_event("payment_intent.succeeded",
                           localstripe.get(f"payment_intents/{intent.id}"))

        response = deliver(client, event)

        assert response.status_code == 200
        row = stored(event)
        assert row.needs_attention
        assert "matches no payment" in row.error
        assert not Transaction.objects.exists()

    def test_an_intent_that_is_not_ours_is_stored_and_ignored(self, localstripe, client):
        intent = localstripe.client.v1.payment_intents.create({"amount": 500,
                                                               "currency": "gbp"})
        localstripe.pay(intent.id)
        event = make_event("payment_intent.succeeded",
                           localstripe.get(f"payment_intents/{intent.id}"))

        response = deliver(client, event)

        assert (response.status_code, response.content) == (200, b"ignored")
        assert not stored(event).needs_attention
        assert not Transaction.objects.exists()


class TestProcessingErrors:
    def test_a_failure_answers_500_stores_the_event_and_a_retry_applies_it(
            self, localstripe, payment, invoice, receive):
        host = {"broken": True}

        def mark_appointment_paid(**kwargs):
            if host["broken"]:
                raise RuntimeError("appointment system is down")

        receive(signals.payment_succeeded, sender=Appointment, action=mark_appointment_paid)
        localstripe.pay(payment.provider_reference)
        event = intent_event(localstripe, payment, "payment_intent.succeeded")
        stripe_side = Client(raise_request_exception=False)

        failed = deliver(stripe_side, event)

        assert failed.status_code == 500
        row = stored(event)
        assert row.status == WebhookEvent.Status.FAILED
        assert "RuntimeError: appointment system is down" in row.error
        assert ledger(invoice) == []
        assert factories.reload(payment).status == Payment.Status.PENDING

        host["broken"] = False
        retried = deliver(stripe_side, event)  # Stripe retries the same event

        assert (retried.status_code, retried.content) == (200, b"processed")
        assert stored(event).status == WebhookEvent.Status.PROCESSED
        assert stored(event).error == ""
        assert [kind for kind, *_ in ledger(invoice)] == ["charge"]
        assert WebhookEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_delivery_signed_by_localstripe_itself_is_verified_and_applied(localstripe,
                                                                         live_server, invoice):
    # An independent implementation of Stripe's signing scheme, over HTTP: localstripe
    # posts payment_intent.succeeded about a second after the confirm.
    endpoint = f"{live_server.url}{webhook_url()}"
    localstripe.register_webhook("carepay", endpoint)
    try:
        payment = services.start_payment(invoice, backend=ALIAS)
        localstripe.pay(payment.provider_reference)
        deadline = time.monotonic() + 10
        while not (ours := about(payment)) and time.monotonic() < deadline:
            time.sleep(0.05)
        # The receipt goes out on commit in the live server's thread, after the event
        # is stored: wait for it, or it lands in the next test's outbox.
        while not receipts(invoice) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:  # registrations outlive localstripe's reset: silence this one
        localstripe.register_webhook("carepay", endpoint, events=[])

    [event] = ours
    assert (event.type, event.status) == ("payment_intent.succeeded",
                                          WebhookEvent.Status.PROCESSED)
    assert ledger(invoice) == [("charge", Decimal("80.00"), payment.provider_reference)]
    assert factories.reload(invoice).status == Invoice.Status.PAID
    assert len(receipts(invoice)) == 1


def receipts(invoice):
    return [m for m in mail.outbox if m.subject.startswith("Receipt:")
            and invoice.number in m.subject]


def about(payment):
    """The stored deliveries about ``payment``'s intent (localstripe also delivers
    events of earlier tests' intents to whoever is registered when they fire)."""
    return [e for e in WebhookEvent.objects.all()
            if e.payload["data"]["object"]["id"] == payment.provider_reference]


class TestOlderApiVersions:
    def test_a_payload_without_latest_charge_credits_the_same_money_once(self, localstripe,
                                                                          client, patient,
                                                                          invoice):
        # Endpoints pinned to API versions before 2022-11-15 get intents with
        # charges.data[] and no latest_charge; the return page expands latest_charge.
        client.force_login(patient)
        payment = services.start_payment(invoice, backend=ALIAS)
        localstripe.pay(payment.provider_reference)
        intent = localstripe.get(f"payment_intents/{payment.provider_reference}")
        charge = intent.pop("latest_charge")
        intent["charges"] = {"object": "list", "data": [charge], "has_more": False}

        client.get(reverse("carepay:payment_return", args=[payment.public_id]))
        response = deliver(client, make_event("payment_intent.succeeded", intent))

        assert response.status_code == 200
        assert ledger(invoice) == [("charge", Decimal("80.00"), payment.provider_reference)]
        assert not Invoice.objects.needing_refund().exists()


class TestRefundOrdering:
    def test_a_refund_that_overtakes_its_charge_records_both_once(self, localstripe,
                                                                  client, invoice):
        # The charge is asked of Stripe (payment_intent.succeeded may never come);
        # when it does come, and the refund is delivered again, nothing doubles.
        payment = services.start_payment(invoice, backend=ALIAS)
        localstripe.pay(payment.provider_reference)
        intent = localstripe.get(f"payment_intents/{payment.provider_reference}")
        refund = localstripe.dashboard_refund(intent["latest_charge"]["id"], 8000)
        refunded = make_event("refund.updated", refund)

        first = deliver(client, refunded)
        assert stored(refunded).status == WebhookEvent.Status.PROCESSED
        deliver(client, make_event("payment_intent.succeeded", intent))
        retried = deliver(client, refunded)

        assert (first.status_code, retried.status_code, retried.content) == (
            200, 200, b"duplicate")
        assert [kind for kind, *_ in ledger(invoice)] == ["charge", "refund"]
        assert factories.reload(invoice).status == Invoice.Status.REFUNDED

    def test_a_stale_pending_snapshot_after_the_failure_records_nothing(self, localstripe,
                                                                        client, invoice):
        payment = paid_payment(localstripe, invoice)
        refund = localstripe.dashboard_refund(charge_of(localstripe, payment)["id"], 8000)
        deliver(client, make_event("refund.failed", {**refund, "status": "failed"}))
        # Stripe says the refund failed; localstripe cannot, so make it so there.
        localstripe.set_refund_status(refund["id"], "failed")

        deliver(client, make_event("refund.created", {**refund, "status": "pending"}))

        assert [kind for kind, *_ in ledger(invoice)] == ["charge"]
        assert factories.reload(invoice).status == Invoice.Status.PAID
