"""Stripe Connect: a platform collecting for a connected account, chosen by the adapter.

localstripe ignores ``Stripe-Account`` (it has no accounts), so what carepay sent is
read from the launcher's request log.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from django_carepay import services
from django_carepay.adapter import DefaultCarepayAdapter
from django_carepay.exceptions import ProviderError
from tests import factories
from tests.backends.stripe.support import ALIAS, deliver, make_event, paid_payment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("card_backend")]

ACCOUNT = "acct_1ClinicConnected"

class ConnectedClinicAdapter(DefaultCarepayAdapter):
    """Card payments go to the clinic's connected account; the platform keeps a fee."""

    def backend_options(self, invoice, alias):
        if alias != ALIAS:
            return {}
        return {"stripe_account": ACCOUNT, "application_fee_amount": 120}


class UnknownOptionAdapter(DefaultCarepayAdapter):
    def backend_options(self, invoice, alias):
        return {"capture_method": "manual"}


@pytest.fixture
def connected():
    with override_settings(CAREPAY={
            **settings.CAREPAY,
            "ADAPTER": f"{ConnectedClinicAdapter.__module__}.ConnectedClinicAdapter"}):
        yield


def accounts(requests):
    return [(r["method"], r["path"], r["stripe_account"]) for r in requests]


@pytest.mark.usefixtures("connected")
class TestConnectedAccount:
    def test_the_intent_is_created_on_the_connected_account_with_the_fee(self, localstripe,
                                                                          invoice):
        started = services.begin_payment(invoice, backend=ALIAS)
        payment = started.payment

        [create] = localstripe.api_requests("POST", "/v1/payment_intents")
        assert create["stripe_account"] == ACCOUNT
        assert create["params"]["application_fee_amount"] == "120"
        assert create["params"]["amount"] == "8000"
        intent = localstripe.get(f"payment_intents/{payment.provider_reference}")
        assert intent["application_fee_amount"] == 120
        assert started.action.context["stripe_account"] == ACCOUNT

    def test_the_pay_page_gives_stripe_js_the_account(self, localstripe, client, patient,
                                                      invoice):
        client.force_login(patient)

        response = client.get(reverse("carepay:pay", args=[invoice.public_id, ALIAS]))

        assert (f'<script id="carepay-stripe-account" type="application/json">"{ACCOUNT}"'
                f"</script>") in response.content.decode()

    def test_the_account_is_remembered_on_the_payment(self, localstripe, invoice):
        payment = services.start_payment(invoice, backend=ALIAS)

        assert factories.reload(payment).metadata.get("stripe_account") == ACCOUNT

    def test_resuming_asks_the_connected_account(self, localstripe, invoice):
        payment = services.start_payment(invoice, backend=ALIAS)

        services.start_payment(invoice, backend=ALIAS)  # the payer reloads the page

        intent_path = f"/v1/payment_intents/{payment.provider_reference}"
        lookups = localstripe.api_requests("GET", intent_path)
        assert lookups
        assert {r["stripe_account"] for r in lookups} == {ACCOUNT}

    def test_the_return_page_asks_the_connected_account(self, localstripe, client, patient,
                                                        invoice):
        payment = services.start_payment(invoice, backend=ALIAS)
        localstripe.pay(payment.provider_reference)
        client.force_login(patient)

        client.get(reverse("carepay:payment_return", args=[payment.public_id]))

        [retrieve] = [r for r in localstripe.api_requests("GET") if r["params"].get("expand[0]")]
        assert retrieve["path"] == f"/v1/payment_intents/{payment.provider_reference}"
        assert retrieve["stripe_account"] == ACCOUNT

    def test_refunds_go_to_the_connected_account(self, localstripe, invoice):
        payment = paid_payment(localstripe, invoice)

        services.refund_payment(payment, amount="10.00")

        [refund] = localstripe.api_requests("POST", "/v1/refunds")
        assert refund["stripe_account"] == ACCOUNT

    def test_cancelling_asks_the_connected_account(self, localstripe, invoice):
        payment = services.start_payment(invoice, backend=ALIAS)

        services.cancel_payment(payment)

        calls = localstripe.api_requests(path=f"/v1/payment_intents/{payment.provider_reference}")
        assert accounts(calls) == [
            ("GET", f"/v1/payment_intents/{payment.provider_reference}", ACCOUNT),
            ("POST", f"/v1/payment_intents/{payment.provider_reference}/cancel", ACCOUNT),
        ]

    def test_refunds_listed_for_a_connected_accounts_event_are_asked_of_that_account(
            self, localstripe, client, invoice):
        payment = paid_payment(localstripe, invoice)
        intent = localstripe.get(f"payment_intents/{payment.provider_reference}")
        refund = localstripe.dashboard_refund(intent["latest_charge"]["id"], 8000)
        charge = localstripe.get(f"charges/{refund['charge']}")
        del charge["refunds"]  # not in the event: carepay lists them from Stripe

        deliver(client, make_event("charge.refunded", charge, account=ACCOUNT))

        [listing] = [r for r in localstripe.api_requests("GET") if r["path"] == "/v1/refunds"]
        assert listing["stripe_account"] == ACCOUNT
        assert factories.reload(payment).amount_refunded == payment.amount


def test_an_option_stripe_does_not_take_from_the_adapter_is_refused(localstripe, invoice):
    adapter = f"{UnknownOptionAdapter.__module__}.UnknownOptionAdapter"
    with override_settings(CAREPAY={**settings.CAREPAY, "ADAPTER": adapter}), \
            pytest.raises(ProviderError, match=r"unknown Stripe option\(s\) \['capture_method'\]"):
        services.start_payment(invoice, backend=ALIAS)

    assert localstripe.api_requests("POST") == []
