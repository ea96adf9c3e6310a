"""Paying by card through the Stripe backend, end to end against localstripe.

The payer's side (the Payment Element) is played by the tests: ``localstripe.pay``
attaches a test card and confirms, as Stripe.js would after the payer pressed Pay.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
import stripe
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from django_carepay import services, signals
from django_carepay.exceptions import InvalidState, ProviderError
from django_carepay.models import Invoice, Payment
from django_carepay.templatetags.carepay import money
from tests import factories
from tests.backends.stripe.support import (
    ALIAS,
    CARD_DECLINED,
    DECLINE_MESSAGE,
    carepay_with_card,
    ledger,
    paid_payment,
)
from tests.testapp.models import Appointment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("card_backend")]

#: The same £80-equivalent consultation in a two-, zero- and three-decimal currency.
CURRENCIES = [("GBP", "80.00", 8000), ("JPY", "8000", 8000), ("KWD", "24.680", 24680)]


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient)
    return client


def pay_url(invoice):
    return reverse("carepay:pay", args=[invoice.public_id, ALIAS])


def return_url(payment):
    return reverse("carepay:payment_return", args=[payment.public_id])


def invoice_in(currency, price, customer):
    return factories.make_invoice(
        customer=customer, currency=currency,
        lines=[{"description": "GP consultation", "unit_price": price}],
    )


class TestStartPayment:
    @pytest.mark.parametrize(("currency", "price", "minor"), CURRENCIES)
    def test_creates_an_intent_for_the_amount_due_in_minor_units(
            self, localstripe, patient, currency, price, minor):
        invoice = invoice_in(currency, price, patient)

        started = services.begin_payment(invoice, backend=ALIAS)
        payment = started.payment

        intent = localstripe.get(f"payment_intents/{payment.provider_reference}")
        assert (intent["amount"], intent["currency"]) == (minor, currency.lower())
        assert intent["status"] == "requires_payment_method"
        assert intent["metadata"] == {"carepay_payment": str(payment.public_id),
                                      "carepay_invoice": invoice.number}
        assert started.action.context["client_secret"] == intent["client_secret"]
        assert factories.reload(payment).provider_reference == intent["id"]

    def test_asks_for_automatic_payment_methods_by_default(self, localstripe, invoice):
        services.start_payment(invoice, backend=ALIAS)

        [create] = localstripe.api_requests("POST", "/v1/payment_intents")
        assert create["params"]["automatic_payment_methods"] == {"enabled": "true"}
        assert "payment_method_types" not in create["params"]

    def test_asks_for_the_configured_payment_method_types(self, localstripe, invoice,
                                                          settings):
        settings.CAREPAY = carepay_with_card(localstripe.url, payment_method_types=["card"])

        services.start_payment(invoice, backend=ALIAS)

        [create] = localstripe.api_requests("POST", "/v1/payment_intents")
        assert create["params"]["payment_method_types"] == ["card"]
        assert "automatic_payment_methods" not in create["params"]

    def test_reloading_the_pay_page_resumes_the_same_intent(self, localstripe,
                                                            patient_client, invoice):
        first = patient_client.get(pay_url(invoice))
        second = patient_client.get(pay_url(invoice))

        [payment] = Payment.objects.filter(invoice=invoice)
        assert first.context["client_secret"] == second.context["client_secret"]
        assert first.context["client_secret"].startswith(f"{payment.provider_reference}_secret_")
        assert len(localstripe.api_requests("POST", "/v1/payment_intents")) == 1
        assert len(localstripe.get("payment_intents")["data"]) == 1

    def test_a_start_retried_after_a_lost_answer_gets_the_intent_stripe_made(
            self, localstripe, invoice):
        payment = services.start_payment(invoice, backend=ALIAS)
        first_intent = payment.provider_reference
        # Stripe made the intent but we never stored its id (say the answer was lost).
        Payment.objects.filter(pk=payment.pk).update(provider_reference="")

        again = services.start_payment(invoice, backend=ALIAS)

        assert again.pk == payment.pk
        assert factories.reload(payment).provider_reference == first_intent
        key = f"carepay-pi-{factories.reload(payment).idempotency_key}"
        creates = localstripe.api_requests("POST", "/v1/payment_intents")
        assert [c["idempotency_key"] for c in creates] == [key, key]
        assert [pi["id"] for pi in localstripe.get("payment_intents")["data"]] == [first_intent]

    def test_every_mutating_call_carries_a_key_derived_from_our_ids(self, localstripe,
                                                                    patient):
        paid = paid_payment(localstripe, factories.make_invoice(customer=patient))
        services.refund_payment(paid, amount="30.00")
        services.refund_payment(paid)
        abandoned = services.start_payment(factories.make_invoice(customer=patient),
                                           backend=ALIAS)
        services.cancel_payment(abandoned)

        # The payer paid through Stripe.js (the stand-in): every POST here is carepay's.
        posts = localstripe.api_requests("POST")
        paid_key, abandoned_key = (str(p.idempotency_key) for p in (paid, abandoned))
        assert [(r["path"], r["idempotency_key"]) for r in posts
                if r["path"] != "/v1/refunds"] == [
            ("/v1/payment_intents", f"carepay-pi-{paid_key}"),
            ("/v1/payment_intents", f"carepay-pi-{abandoned_key}"),
            (f"/v1/payment_intents/{abandoned.provider_reference}/cancel",
             f"carepay-cancel-{abandoned_key}"),
        ]
        # A refund's key also counts the refund requests answered before it: one key
        # per attempt, the same for a retry of that attempt.
        refund_keys = [r["idempotency_key"] for r in posts if r["path"] == "/v1/refunds"]
        assert refund_keys == [f"carepay-refund-{paid_key}-0.0-30.00",
                               f"carepay-refund-{paid_key}-1.0-50.00"]

    @pytest.mark.parametrize("change", ["part paid in cash", "server asks for part"])
    def test_an_abandoned_payment_is_cancelled_when_the_amount_changes(
            self, localstripe, invoice, django_capture_on_commit_callbacks, change):
        abandoned = services.start_payment(invoice, backend=ALIAS)
        amount = None
        if change == "part paid in cash":
            factories.pay_cash(invoice, "30.00")  # at the front desk, meanwhile
        else:
            amount = "50.00"

        with django_capture_on_commit_callbacks(execute=True):
            current = services.start_payment(invoice, backend=ALIAS, amount=amount)

        assert factories.reload(abandoned).status == Payment.Status.CANCELLED
        assert localstripe.get(f"payment_intents/{abandoned.provider_reference}")["status"] \
            == "canceled"
        assert current.pk != abandoned.pk
        assert current.amount == Decimal("50.00")
        assert localstripe.get(f"payment_intents/{current.provider_reference}")["amount"] == 5000


class TestResumingAFinishedIntent:
    """The payer opens the pay page again after the intent finished at Stripe."""

    def test_a_payer_who_paid_is_never_offered_a_second_intent(self, localstripe,
                                                               patient_client, invoice):
        patient_client.get(pay_url(invoice))
        payment = Payment.objects.get(invoice=invoice)
        localstripe.pay(payment.provider_reference)
        # Neither the return page nor a webhook has told us yet (the tab was closed,
        # the endpoint was down); the payer opens the pay page again the next day.
        localstripe.forget_idempotency_keys()

        response = patient_client.get(pay_url(invoice), follow=True)

        intents = localstripe.get("payment_intents")["data"]
        assert [(pi["id"], pi["status"]) for pi in intents] == [
            (payment.provider_reference, "succeeded")]
        assert "Payment received" in response.content.decode()
        assert factories.reload(payment).provider_reference == payment.provider_reference
        assert factories.reload(invoice).status == Invoice.Status.PAID

    def test_an_intent_cancelled_at_stripe_is_replaced_by_a_payable_one(
            self, localstripe, patient_client, invoice):
        patient_client.get(pay_url(invoice))
        payment = Payment.objects.get(invoice=invoice)
        localstripe.client.v1.payment_intents.cancel(payment.provider_reference)  # dashboard

        response = patient_client.get(pay_url(invoice))

        offered = response.context["client_secret"].split("_secret_")[0]
        assert localstripe.get(f"payment_intents/{offered}")["status"] \
            == "requires_payment_method"


    def test_after_a_decline_a_new_intent_replaces_the_declined_one(
            self, localstripe, patient_client, invoice, django_capture_on_commit_callbacks):
        patient_client.get(pay_url(invoice))
        declined = Payment.objects.get(invoice=invoice)
        with pytest.raises(stripe.CardError):
            localstripe.pay(declined.provider_reference, CARD_DECLINED)

        with django_capture_on_commit_callbacks(execute=True):
            response = patient_client.get(pay_url(invoice))

        retry = response.context["payment"]
        assert retry.pk != declined.pk
        assert factories.reload(declined).status == Payment.Status.FAILED
        # The old intent is closed, so a tab still open on it cannot take money too.
        assert localstripe.get(f"payment_intents/{declined.provider_reference}")["status"] \
            == "canceled"
        assert localstripe.get(f"payment_intents/{retry.provider_reference}")["status"] \
            == "requires_payment_method"


class TestPayPage:
    def test_shows_the_amount_and_loads_stripe_js_from_the_configured_url(
            self, localstripe, patient_client, invoice):
        response = patient_client.get(pay_url(invoice))

        html = response.content.decode()
        assert response.status_code == 200
        assert '<strong class="cp-amount-value">£80.00</strong>' in html
        assert "Pay £80.00</button>" in html
        assert f'<script src="{localstripe.url}/js.stripe.com/standin/v3/"></script>' in html
        assert (f'<script id="carepay-stripe-secret" type="application/json">'
                f'"{response.context["client_secret"]}"</script>') in html

    def test_an_unreachable_stripe_shows_an_error_page(self, patient_client, invoice,
                                                       settings):
        settings.CAREPAY = carepay_with_card("http://127.0.0.1:9")  # discard port: refused

        response = patient_client.get(pay_url(invoice))

        assert response.status_code == 409
        assert "We could not reach the card processor; try again in a minute." \
            in response.content.decode()
        assert not Payment.objects.filter(invoice=invoice).exists()


class TestReturnPage:
    def test_after_paying_shows_the_receipt_and_the_invoice_is_paid(
            self, localstripe, patient_client, invoice):
        patient_client.get(pay_url(invoice))
        payment = Payment.objects.get(invoice=invoice)
        localstripe.pay(payment.provider_reference)

        response = patient_client.get(return_url(payment))

        payment.refresh_from_db()
        invoice.refresh_from_db()
        html = response.content.decode()
        assert "Payment received" in html
        assert f'<dd class="confirmation">{payment.provider_reference}</dd>' in html
        assert payment.provider_reference.startswith("pi_")
        assert "<dd>£80.00</dd>" in html
        detail = reverse("carepay:invoice_detail", args=[invoice.public_id])
        assert f'<dd><a href="{detail}">{invoice.number}</a></dd>' in html
        paid_at = date_format(timezone.localtime(payment.succeeded_at), "DATETIME_FORMAT")
        assert f"<dd>{paid_at}</dd>" in html
        assert invoice.status == Invoice.Status.PAID
        # Keyed by the PaymentIntent: the same on the return page and in any webhook.
        assert ledger(invoice) == [("charge", Decimal("80.00"), payment.provider_reference)]

    @pytest.mark.parametrize(("currency", "price", "minor"), CURRENCIES)
    def test_records_the_amount_stripe_took_in_the_invoice_currency(
            self, localstripe, patient, client, currency, price, minor):
        invoice = invoice_in(currency, price, patient)
        client.force_login(patient)
        payment = services.start_payment(invoice, backend=ALIAS)
        localstripe.pay(payment.provider_reference)

        response = client.get(return_url(payment))

        invoice.refresh_from_db()
        assert f"<dd>{money(Decimal(price), currency)}</dd>" in response.content.decode()
        charge = localstripe.get(f"payment_intents/{payment.provider_reference}")["latest_charge"]
        assert (charge["amount"], charge["currency"]) == (minor, currency.lower())
        assert ledger(invoice) == [("charge", Decimal(price), payment.provider_reference)]
        assert invoice.status == Invoice.Status.PAID

    def test_ignores_a_forged_success_in_the_query_string(self, localstripe,
                                                          patient_client, invoice):
        patient_client.get(pay_url(invoice))
        payment = Payment.objects.get(invoice=invoice)
        intent = localstripe.get(f"payment_intents/{payment.provider_reference}")

        response = patient_client.get(return_url(payment), {
            "payment_intent": intent["id"],
            "payment_intent_client_secret": intent["client_secret"],
            "redirect_status": "succeeded",
        })

        html = response.content.decode()
        assert "Payment received" not in html
        # Stripe says the intent is still unpaid: nothing is on its way.
        assert "Payment not completed" in html
        assert "You don't need to pay again" not in html
        assert factories.reload(payment).status == Payment.Status.PENDING
        assert factories.reload(invoice).status == Invoice.Status.OPEN
        assert ledger(invoice) == []

    def test_ignores_a_forged_failure_in_the_query_string(self, localstripe,
                                                          patient_client, invoice):
        patient_client.get(pay_url(invoice))
        payment = Payment.objects.get(invoice=invoice)
        localstripe.pay(payment.provider_reference)

        response = patient_client.get(return_url(payment), {"redirect_status": "failed"})

        assert "Payment received" in response.content.decode()
        assert factories.reload(invoice).status == Invoice.Status.PAID

    def test_a_declined_card_shows_the_reason_and_a_way_to_try_again(
            self, localstripe, patient_client, invoice):
        patient_client.get(pay_url(invoice))
        payment = Payment.objects.get(invoice=invoice)
        with pytest.raises(stripe.CardError):
            localstripe.pay(payment.provider_reference, CARD_DECLINED)

        response = patient_client.get(return_url(payment))

        html = response.content.decode()
        assert "Payment not completed" in html
        assert DECLINE_MESSAGE in html
        detail = reverse("carepay:invoice_detail", args=[invoice.public_id])
        assert f'<a class="cp-button retry" href="{detail}#pay">Try again</a>' in html
        payment.refresh_from_db()
        assert (payment.status, payment.failure_code) == (Payment.Status.FAILED,
                                                         "card_declined")
        assert factories.reload(invoice).status == Invoice.Status.OPEN
        assert ledger(invoice) == []

    def test_a_good_card_after_a_decline_on_the_same_intent_is_credited(
            self, localstripe, patient_client, invoice):
        patient_client.get(pay_url(invoice))
        payment = Payment.objects.get(invoice=invoice)
        assert localstripe.confirm_as_browser(payment.provider_reference,
                                              CARD_DECLINED).status_code == 402
        patient_client.get(return_url(payment))  # the payer looked: failed
        assert localstripe.confirm_as_browser(payment.provider_reference).ok

        response = patient_client.get(return_url(payment))

        assert "Payment received" in response.content.decode()
        assert factories.reload(payment).status == Payment.Status.SUCCEEDED
        assert factories.reload(invoice).status == Invoice.Status.PAID


class TestRefunds:
    def test_a_full_refund_reaches_stripe_and_the_ledger(self, localstripe, invoice):
        payment = paid_payment(localstripe, invoice)

        txn = services.refund_payment(payment)

        [refund] = localstripe.get(f"refunds?payment_intent={payment.provider_reference}")["data"]
        assert (refund["amount"], refund["currency"], refund["status"]) == (8000, "gbp",
                                                                            "succeeded")
        assert refund["metadata"] == {"carepay_payment": str(payment.public_id)}
        assert (txn.kind, txn.amount, txn.provider_reference) == ("refund", Decimal("80.00"),
                                                                  refund["id"])
        assert factories.reload(payment).status == Payment.Status.REFUNDED
        assert factories.reload(invoice).status == Invoice.Status.REFUNDED

    @pytest.mark.parametrize(("currency", "price", "first", "rest", "minor"), [
        ("GBP", "80.00", "30.00", "50.00", (3000, 5000)),
        ("JPY", "8000", "3000", "5000", (3000, 5000)),
        ("KWD", "24.680", "10.250", "14.430", (10250, 14430)),
    ])
    def test_partial_refunds_reach_stripe_and_the_ledger(self, localstripe, patient, currency,
                                                         price, first, rest, minor):
        invoice = invoice_in(currency, price, patient)
        payment = paid_payment(localstripe, invoice)

        services.refund_payment(payment, amount=first)
        assert payment.status == Payment.Status.PARTIALLY_REFUNDED
        services.refund_payment(payment)

        assert payment.status == Payment.Status.REFUNDED
        [_charge, *refunds] = ledger(invoice)
        assert [(kind, amount) for kind, amount, _ in refunds] == [
            ("refund", Decimal(first)), ("refund", Decimal(rest))]
        at_stripe = localstripe.get(f"refunds?payment_intent={payment.provider_reference}")
        assert {r["id"]: r["amount"] for r in at_stripe["data"]} == {
            ref: amount for (_, _, ref), amount in zip(refunds, minor, strict=True)}
        charge = localstripe.get(f"payment_intents/{payment.provider_reference}")["latest_charge"]
        assert localstripe.get(f"charges/{charge['id']}")["amount_refunded"] == sum(minor)

    def test_a_failing_receiver_does_not_undo_a_refund_stripe_made(
            self, localstripe, invoice, receive, caplog):
        payment = paid_payment(localstripe, invoice)

        def host_receiver(**kwargs):
            Appointment.objects.update(patient_name="changed by the receiver")
            raise RuntimeError("the host's receiver failed")

        receive(signals.payment_refunded, sender=Appointment, action=host_receiver)
        with caplog.at_level("ERROR", logger="django_carepay"):
            services.refund_payment(payment)  # logged, not raised: the money has moved
        assert "the refund is recorded, the receiver's changes are not" in caplog.text

        # Stripe has refunded, so the ledger says so; only the receiver's writes are gone.
        refunds = localstripe.get(f"refunds?payment_intent={payment.provider_reference}")["data"]
        assert [(kind, ref) for kind, _amount, ref in ledger(invoice)] == [
            ("charge", payment.provider_reference), ("refund", refunds[0]["id"])]
        assert not Appointment.objects.filter(patient_name="changed by the receiver").exists()
        with pytest.raises(InvalidState):
            services.refund_payment(payment)  # nothing left: never refunded twice
        assert len(localstripe.api_requests("POST", "/v1/refunds")) == 1


class TestCancel:
    def test_cancelling_cancels_at_stripe_and_here(self, localstripe, invoice):
        payment = services.start_payment(invoice, backend=ALIAS)

        services.cancel_payment(payment)

        assert payment.status == Payment.Status.CANCELLED
        assert factories.reload(payment).status == Payment.Status.CANCELLED
        assert localstripe.get(f"payment_intents/{payment.provider_reference}")["status"] \
            == "canceled"

    def test_a_payment_stripe_already_took_is_not_cancelled(self, localstripe, invoice,
                                                            nothing_changes):
        payment = services.start_payment(invoice, backend=ALIAS)
        localstripe.pay(payment.provider_reference)  # paid; no webhook or return yet

        with nothing_changes(payment), pytest.raises(ProviderError, match="refund it instead"):
            services.cancel_payment(payment)
        assert localstripe.get(f"payment_intents/{payment.provider_reference}")["status"] \
            == "succeeded"
