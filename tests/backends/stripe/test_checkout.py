"""Stripe Checkout (StripeCheckoutBackend) against localstripe's Checkout stand-in.

The sessions are real HTTP objects of the stand-in (tests/backends/stripe/
checkout_standin.py) over localstripe's real PaymentIntents; the Checkout events,
which nothing emits, are built from the fetched objects as Stripe documents them and
signed (support.deliver).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from django_carepay import services
from django_carepay.backends import UpdateKind, get_backend
from django_carepay.exceptions import ProviderError
from django_carepay.models import Invoice, Payment, WebhookEvent
from tests import factories
from tests.backends.stripe.support import (
    CARD_DECLINED,
    CHECKOUT_ALIAS,
    CONNECT_WEBHOOK_SECRET,
    LocalStripe,
    deliver,
    ledger,
    make_event,
)

pytestmark = pytest.mark.django_db


def start(invoice: Invoice) -> Payment:
    return services.start_payment(invoice, backend=CHECKOUT_ALIAS)


def session(server: LocalStripe, payment: Payment, **changes: Any) -> dict[str, Any]:
    """The payment's session as Stripe would put it in an event (changed as told)."""
    return {**server.get(f"checkout/sessions/{payment.provider_reference}"), **changes}


def paid(server: LocalStripe, payment: Payment) -> dict[str, Any]:
    server.pay_checkout(payment.provider_reference).raise_for_status()
    return session(server, payment)


def deliver_to(client: Client, event_type: str, obj: dict[str, Any], **kwargs: Any) -> Any:
    response = deliver(client, make_event(event_type, obj, **kwargs), alias=CHECKOUT_ALIAS)
    assert response.status_code == 200, response.content
    return response


class TestStart:
    def test_redirects_to_a_session_for_exactly_the_amount_due(self, checkout_backend,
                                                               localstripe, invoice):
        started = services.begin_payment(invoice, backend=CHECKOUT_ALIAS)

        payment, action = started.payment, started.action
        assert action is not None and action.kind == "redirect"
        cs = session(localstripe, payment)
        assert payment.provider_reference == cs["id"] and action.url == cs["url"]
        assert (cs["amount_total"], cs["currency"], cs["status"]) == (8000, "gbp", "open")
        assert cs["metadata"]["carepay_payment"] == str(payment.public_id)
        assert cs["client_reference_id"] == str(payment.public_id)
        result = f"https://clinic.example.com/billing/payments/{payment.public_id}/"
        assert cs["success_url"].startswith(result) and cs["cancel_url"] == cs["success_url"]

    def test_every_post_carries_an_idempotency_key(self, checkout_backend, localstripe,
                                                   invoice):
        payment = start(invoice)
        services.cancel_payment(payment)

        posts = localstripe.api_requests("POST", "/v1/checkout/sessions")
        assert [p["path"].rsplit("/", 1)[-1] for p in posts] == ["sessions", "expire"]
        assert all(p["idempotency_key"] for p in posts)
        assert posts[0]["idempotency_key"] == f"carepay-cs-{payment.idempotency_key}"

    def test_the_cart_lines_are_shown_when_they_add_up(self, checkout_backend, localstripe,
                                                       patient):
        invoice = factories.make_invoice(customer=patient, lines=[
            {"description": "Piano lesson", "unit_price": "40.00"},
            {"description": "Workshop seat", "unit_price": "25.00", "quantity": 2},
            {"description": "Odd tax", "unit_price": "0.05", "tax_rate": "50"}])

        start(invoice)

        params = localstripe.api_requests("POST", "/v1/checkout/sessions")[0]["params"]
        # 0.05 + 50 % tax = 0.08 (rounded): items cannot show 0.075, but add up anyway
        assert [(i["price_data"]["product_data"]["name"], i["quantity"],
                 i["price_data"]["unit_amount"]) for i in params["line_items"]] == [
            ("Piano lesson", "1", "4000"), ("Workshop seat", "2", "2500"),
            ("Odd tax", "1", "8")]

    def test_a_reload_reuses_the_open_session(self, checkout_backend, localstripe, invoice):
        first = start(invoice)
        again = start(invoice)

        assert again.pk == first.pk
        assert again.provider_reference == first.provider_reference
        assert len(localstripe.api_requests("POST", "/v1/checkout/sessions")) == 1


class TestHappyPath:
    def test_the_redirect_alone_credits_nothing(self, checkout_backend, localstripe,
                                                invoice, patient, client):
        payment = start(invoice)
        client.force_login(patient)

        client.get(reverse("carepay:payment_return", args=[payment.public_id]),
                   {"session_id": payment.provider_reference, "paid": "1"})

        payment.refresh_from_db()
        assert payment.status == Payment.Status.PENDING and not ledger(invoice)

    def test_paid_on_stripes_page_then_the_result_page_asks_stripe(
            self, checkout_backend, localstripe, invoice, patient, client):
        payment = start(invoice)
        cs = paid(localstripe, payment)
        client.force_login(patient)

        response = client.get(reverse("carepay:payment_return", args=[payment.public_id]))

        assert response.status_code == 200
        payment.refresh_from_db()
        invoice.refresh_from_db()
        assert payment.status == Payment.Status.SUCCEEDED
        assert invoice.status == Invoice.Status.PAID
        assert ledger(invoice) == [("charge", Decimal("80.000"), cs["payment_intent"])]

    @pytest.mark.parametrize("order", ["session_first", "intent_first", "return_page_first"])
    def test_session_and_intent_events_credit_once_in_any_order(
            self, checkout_backend, localstripe, invoice, client, order):
        payment = start(invoice)
        cs = paid(localstripe, payment)
        intent = {**localstripe.get(f"payment_intents/{cs['payment_intent']}"),
                  "amount_received": 8000}
        events = [("checkout.session.completed", cs), ("payment_intent.succeeded", intent)]
        if order == "intent_first":
            events.reverse()
        if order == "return_page_first":
            services.apply_provider_update(checkout_backend.sync(payment))

        for event_type, obj in events * 2:  # and each delivered twice
            deliver_to(client, event_type, obj)

        assert ledger(invoice) == [("charge", Decimal("80.000"), cs["payment_intent"])]
        invoice.refresh_from_db()
        assert invoice.status == Invoice.Status.PAID and invoice.amount_due == 0
        assert not WebhookEvent.objects.filter(needs_attention=True).exists()

    def test_a_declined_card_leaves_the_session_payable(self, checkout_backend, localstripe,
                                                        invoice):
        payment = start(invoice)
        assert localstripe.pay_checkout(payment.provider_reference,
                                        CARD_DECLINED).status_code == 402

        assert checkout_backend.sync(payment) is None  # still open: try another card
        paid(localstripe, payment)
        assert checkout_backend.sync(payment).kind == UpdateKind.SUCCEEDED


class TestAsyncPayments:
    def test_completed_unpaid_then_async_succeeded(self, checkout_backend, localstripe,
                                                   invoice, client):
        payment = start(invoice)
        cs = paid(localstripe, payment)
        unpaid = {**cs, "payment_status": "unpaid"}

        deliver_to(client, "checkout.session.completed", unpaid)
        payment.refresh_from_db()
        assert payment.status == Payment.Status.PROCESSING and not ledger(invoice)

        deliver_to(client, "checkout.session.async_payment_succeeded", cs)
        payment.refresh_from_db()
        assert payment.status == Payment.Status.SUCCEEDED
        assert ledger(invoice) == [("charge", Decimal("80.000"), cs["payment_intent"])]

    def test_async_payment_failed(self, checkout_backend, localstripe, invoice, client,
                                  mailoutbox):
        payment = start(invoice)
        unpaid = {**paid(localstripe, payment), "payment_status": "unpaid"}
        deliver_to(client, "checkout.session.completed", unpaid)

        deliver_to(client, "checkout.session.async_payment_failed", unpaid)

        payment.refresh_from_db()
        invoice.refresh_from_db()
        assert payment.status == Payment.Status.FAILED
        assert invoice.status == Invoice.Status.OPEN and not ledger(invoice)

    def test_an_event_contradicting_its_session_is_refused(self, checkout_backend,
                                                           localstripe, invoice, client):
        payment = start(invoice)
        cs = paid(localstripe, payment)  # paid
        response = deliver(client, make_event("checkout.session.async_payment_failed", cs),
                           alias=CHECKOUT_ALIAS)
        assert response.status_code == 400
        assert not ledger(invoice) and not WebhookEvent.objects.exists()


class TestExpired:
    def test_an_expired_session_cancels_the_payment(self, checkout_backend, localstripe,
                                                    invoice, client):
        payment = start(invoice)
        localstripe.get(f"checkout/sessions/{payment.provider_reference}")
        checkout_backend.client.v1.checkout.sessions.expire(payment.provider_reference)

        deliver_to(client, "checkout.session.expired", session(localstripe, payment))

        payment.refresh_from_db()
        assert payment.status == Payment.Status.CANCELLED

    def test_cancel_payment_expires_the_session(self, checkout_backend, localstripe,
                                                invoice):
        payment = start(invoice)

        services.cancel_payment(payment)

        assert session(localstripe, payment)["status"] == "expired"
        assert payment.status == Payment.Status.CANCELLED

    def test_a_paid_session_is_not_cancelled(self, checkout_backend, localstripe, invoice):
        payment = start(invoice)
        paid(localstripe, payment)

        with pytest.raises(ProviderError, match="already taken"):
            services.cancel_payment(payment)

    def test_after_expiry_the_payer_gets_a_new_session(self, checkout_backend, localstripe,
                                                       invoice):
        first = start(invoice)
        checkout_backend.client.v1.checkout.sessions.expire(first.provider_reference)

        second = start(invoice)

        assert second.pk != first.pk and second.provider_reference != first.provider_reference
        first.refresh_from_db()
        assert first.status == Payment.Status.CANCELLED


class TestMismatches:
    def test_another_amount_is_flagged_and_not_credited_as_full(
            self, checkout_backend, localstripe, invoice, client):
        payment = start(invoice)
        cs = {**paid(localstripe, payment), "amount_total": 5000}

        deliver_to(client, "checkout.session.completed", cs)

        event = WebhookEvent.objects.get()
        assert event.needs_attention
        assert "50.00 GBP received" in event.error and "asked for 80.00 GBP" in event.error
        invoice.refresh_from_db()
        assert ledger(invoice) == [("charge", Decimal("50.000"), cs["payment_intent"])]
        assert invoice.status == Invoice.Status.OPEN and invoice.amount_due == Decimal("30")

    def test_another_currency_is_flagged_and_not_credited(self, checkout_backend,
                                                          localstripe, invoice, client):
        payment = start(invoice)
        cs = {**paid(localstripe, payment), "currency": "eur"}

        deliver_to(client, "checkout.session.completed", cs)

        event = WebhookEvent.objects.get()
        assert event.needs_attention and "EUR" in event.error
        assert not ledger(invoice)

    def test_a_paid_session_without_its_intent_is_refused(self, checkout_backend,
                                                          localstripe, invoice, client):
        payment = start(invoice)
        cs = {**paid(localstripe, payment), "payment_intent": None}
        response = deliver(client, make_event("checkout.session.completed", cs),
                           alias=CHECKOUT_ALIAS)
        assert response.status_code == 400 and not ledger(invoice)


class TestRefunds:
    def test_a_refund_names_the_sessions_intent_and_is_recorded_once(
            self, checkout_backend, localstripe, invoice, client):
        payment = start(invoice)
        cs = paid(localstripe, payment)
        services.apply_provider_update(checkout_backend.sync(payment))

        refund = services.refund_payment(payment, amount="30.00")

        post = localstripe.api_requests("POST", "/v1/refunds")[-1]
        assert post["params"]["payment_intent"] == cs["payment_intent"]
        assert post["idempotency_key"]
        # Stripe then tells both endpoints; the Checkout one matches it by the charge.
        charge = localstripe.get(f"payment_intents/{cs['payment_intent']}")["latest_charge"]
        deliver_to(client, "charge.refunded", charge)
        deliver_to(client, "refund.updated",
                   localstripe.get(f"refunds/{refund.provider_reference}"))
        assert [row[0] for row in ledger(invoice)] == ["charge", "refund"]
        assert not WebhookEvent.objects.filter(needs_attention=True).exists()

    def test_a_dashboard_refund_reaches_the_checkout_payment(self, checkout_backend,
                                                              localstripe, invoice, client):
        payment = start(invoice)
        cs = paid(localstripe, payment)
        deliver_to(client, "checkout.session.completed", cs)
        charge = localstripe.get(f"payment_intents/{cs['payment_intent']}")["latest_charge"]

        refund = localstripe.dashboard_refund(charge["id"], 2500)
        deliver_to(client, "refund.updated", refund)

        payment.refresh_from_db()
        assert payment.status == Payment.Status.PARTIALLY_REFUNDED
        assert ledger(invoice)[-1] == ("refund", Decimal("25.000"), refund["id"])

    def test_refund_line_refunds_one_seat(self, checkout_backend, localstripe, patient):
        invoice = factories.make_invoice(customer=patient, lines=[
            {"description": "Seat A", "unit_price": "25.00"},
            {"description": "Seat B", "unit_price": "25.00"}])
        payment = start(invoice)
        paid(localstripe, payment)
        services.apply_provider_update(checkout_backend.sync(payment))

        refund = services.refund_line(invoice.lines.get(position=1))
        again = services.refund_line(invoice.lines.get(position=1))

        assert again == refund and refund.amount == Decimal("25.00")
        assert len(localstripe.api_requests("POST", "/v1/refunds")) == 1


class TestEndpoints:
    def test_a_connect_event_verifies_with_the_second_secret(self, checkout_backend,
                                                             localstripe, invoice, client):
        payment = start(invoice)
        event = make_event("checkout.session.completed", paid(localstripe, payment),
                           account="acct_1Teacher")

        response = deliver(client, event, alias=CHECKOUT_ALIAS, secret=CONNECT_WEBHOOK_SECRET)

        assert response.status_code == 200
        payment.refresh_from_db()
        assert payment.status == Payment.Status.SUCCEEDED

    def test_an_unknown_secret_is_refused(self, checkout_backend, localstripe, invoice,
                                          client):
        payment = start(invoice)
        event = make_event("checkout.session.completed", paid(localstripe, payment))
        response = deliver(client, event, alias=CHECKOUT_ALIAS, secret="whsec_other")
        assert response.status_code == 400 and not ledger(invoice)

    def test_another_aliases_payment_is_acknowledged_quietly(self, checkout_backend,
                                                             localstripe, invoice, client):
        """One Stripe account, two endpoints: each receives the other's events."""
        payment = start(invoice)
        cs = paid(localstripe, payment)
        intent = localstripe.get(f"payment_intents/{cs['payment_intent']}")

        # the card backend's endpoint receives the Checkout payment's intent event
        response = deliver(client, make_event("payment_intent.succeeded", intent))

        assert response.status_code == 200 and response.content == b"ignored"
        event = WebhookEvent.objects.get()
        assert (event.backend, event.needs_attention) == ("card", False)
        assert not ledger(invoice)
        # a card payment's event at the Checkout endpoint, likewise
        card = services.start_payment(factories.make_invoice(customer=invoice.customer),
                                      backend="card")
        localstripe.pay(card.provider_reference)
        card_intent = localstripe.get(f"payment_intents/{card.provider_reference}")
        response = deliver_to(client, "payment_intent.succeeded", card_intent)
        assert response.content == b"ignored"
        assert not WebhookEvent.objects.filter(needs_attention=True).exists()

    def test_an_unknown_payment_of_ours_is_still_flagged(self, checkout_backend,
                                                         localstripe, invoice, client):
        payment = start(invoice)
        cs = paid(localstripe, payment)
        stray = {**cs, "id": "cs_test_unknown",
                 "metadata": {"carepay_payment": "7d0f3c1e-2b4a-4c8e-9f1a-0b2c3d4e5f60"},
                 "client_reference_id": None}

        deliver_to(client, "checkout.session.completed", stray)

        assert WebhookEvent.objects.get().needs_attention


def test_the_backend_is_what_the_handler_builds(checkout_backend):
    assert get_backend(CHECKOUT_ALIAS) is checkout_backend
    assert checkout_backend.online and checkout_backend.has_webhooks


@pytest.mark.parametrize(("value", "fires"), [(3600, False), (60, True), ("3600", True),
                                              (2 * 86400, True)])
def test_expires_after_is_checked(localstripe, value, fires):
    from django.core.checks import run_checks
    from django.test import override_settings

    from tests.backends.stripe.support import carepay_with_checkout

    with override_settings(CAREPAY=carepay_with_checkout(localstripe.url,
                                                         expires_after=value)):
        messages = [m for m in run_checks(tags=["carepay"]) if m.id == "carepay.E004"]
    assert bool(messages) is fires


def test_expires_after_sets_the_sessions_expiry(localstripe, invoice):
    import time

    from django.test import override_settings

    from tests.backends.stripe.support import carepay_with_checkout

    with override_settings(CAREPAY=carepay_with_checkout(localstripe.url,
                                                         expires_after=3600)):
        payment = start(invoice)
    expires = session(localstripe, payment)["expires_at"]
    # Rounded to a 10-minute step of the clock (a retried start sends the same).
    assert expires % 600 == 0
    assert -60 < expires - (time.time() + 3600) <= 600
