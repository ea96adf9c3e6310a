"""The Stripe backend's system checks, and its keys staying out of pages and logs."""

from __future__ import annotations

import logging

import pytest
from django.core.checks import Error, Warning, run_checks
from django.test import Client, override_settings
from django.urls import reverse

from django_carepay import services, signals
from tests.backends.stripe.support import (
    ALIAS,
    PUBLISHABLE_KEY,
    SECRET_KEY,
    WEBHOOK_SECRET,
    carepay_with_card,
    deliver,
    make_event,
    sign,
    webhook_url,
)
from tests.testapp.models import Appointment

#: Checks never call Stripe; nothing needs to listen here.
NOWHERE = "http://127.0.0.1:9"
SECRETS = (SECRET_KEY, WEBHOOK_SECRET)


#: Deploy settings with nothing for the go-live checks to report but the Stripe keys.
GO_LIVE_READY = {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                 "DEFAULT_FROM_EMAIL": "billing@riverside-practice.co.uk"}


def card_messages(*, deploy=False, debug=False, **options):
    carepay = carepay_with_card(NOWHERE, api_base=None, **options)
    carepay["BACKENDS"] = {ALIAS: carepay["BACKENDS"][ALIAS]}  # not the demo provider
    with override_settings(DEBUG=debug, CAREPAY=carepay, **GO_LIVE_READY):
        messages = run_checks(tags=["carepay"], include_deployment_checks=deploy)
    return [m for m in messages if m.id.startswith("carepay.")]


def assert_no_secret_in(text):
    for secret in SECRETS:
        assert secret not in text
        assert secret[-10:] not in text  # nor a masked form showing its tail


class TestChecks:
    def test_test_keys_in_development_pass(self):
        assert card_messages(debug=True) == []
        assert card_messages(debug=True, deploy=True) == []

    @pytest.mark.parametrize(("option", "check_id"), [
        ("secret_key", "carepay.E011"),
        ("publishable_key", "carepay.E012"),
        ("webhook_secret", "carepay.E013"),
    ])
    @pytest.mark.parametrize("value", [None, ""], ids=["missing", "empty"])
    def test_a_missing_key_is_an_error(self, option, check_id, value):
        [message] = card_messages(debug=True, **{option: value})

        assert isinstance(message, Error)
        assert message.id == check_id
        assert f"CAREPAY['BACKENDS']['card']['OPTIONS'][{option!r}] is missing or empty" \
            in message.msg

    def test_a_test_key_in_production_is_a_deploy_warning(self):
        assert card_messages(debug=False) == []

        [message] = card_messages(debug=False, deploy=True)

        assert isinstance(message, Warning)
        assert message.id == "carepay.W010"
        assert "is a test key while DEBUG is False" in message.msg

    def test_a_live_key_in_development_is_a_warning(self):
        [message] = card_messages(debug=True, secret_key="sk_live_carepay_0000",
                                  publishable_key="pk_live_carepay_0000")

        assert isinstance(message, Warning)
        assert message.id == "carepay.W011"
        assert "is a live key while DEBUG is True" in message.msg

    def test_live_keys_in_production_pass_the_deploy_checks(self):
        assert card_messages(debug=False, deploy=True, secret_key="sk_live_carepay_0000",
                             publishable_key="pk_live_carepay_0000") == []

    def test_a_test_secret_key_with_a_live_publishable_key_is_an_error(self):
        [message] = card_messages(debug=True, publishable_key="pk_live_carepay_0000")

        assert message.id == "carepay.E014"

    def test_no_message_shows_a_key(self):
        messages = [
            *card_messages(debug=False, deploy=True),
            *card_messages(debug=True, secret_key="sk_live_carepay_0000",
                           publishable_key="pk_live_carepay_0000"),
        ]

        assert messages
        for message in messages:
            assert_no_secret_in(f"{message.msg} {message.hint}")
            assert "sk_live_carepay_0000" not in f"{message.msg} {message.hint}"


@pytest.mark.django_db
@pytest.mark.usefixtures("card_backend")
class TestSecretsStayHidden:
    def test_the_pay_page_holds_the_publishable_key_only(self, client, patient, invoice):
        client.force_login(patient)

        html = client.get(reverse("carepay:pay", args=[invoice.public_id, ALIAS])).content

        assert PUBLISHABLE_KEY in html.decode()
        assert_no_secret_in(html.decode())

    def test_a_failing_stripe_call_logs_and_shows_no_key(self, client, patient, invoice,
                                                         localstripe, caplog):
        payment = services.start_payment(invoice, backend=ALIAS)
        localstripe.reset()  # Stripe no longer knows the intent: the look-up fails
        client.force_login(patient)

        with caplog.at_level(logging.DEBUG):
            page = client.get(reverse("carepay:payment_return", args=[payment.public_id]))

        assert "Stripe refused to look up the payment" in caplog.text
        assert "Payment processing" in page.content.decode()
        assert_no_secret_in(caplog.text)
        assert_no_secret_in(page.content.decode())

    def test_an_unreachable_stripe_logs_and_shows_no_key(self, client, patient, invoice,
                                                         settings, caplog):
        settings.CAREPAY = carepay_with_card(NOWHERE)
        client.force_login(patient)

        with caplog.at_level(logging.DEBUG):
            page = client.get(reverse("carepay:pay", args=[invoice.public_id, ALIAS]))

        assert page.status_code == 409
        assert "Could not reach Stripe to start the payment" in caplog.text
        assert_no_secret_in(caplog.text)
        assert_no_secret_in(page.content.decode())

    def test_a_refused_webhook_logs_no_secret(self, client, caplog):
        body = '{"id": "evt_1", "type": "payment_intent.succeeded"}'

        with caplog.at_level(logging.DEBUG):
            response = client.post(webhook_url(), data=body, content_type="application/json",
                                   HTTP_STRIPE_SIGNATURE=sign(body, secret="whsec_wrong"))

        assert response.status_code == 400
        assert "Refused a card webhook delivery" in caplog.text
        assert_no_secret_in(caplog.text)
        assert_no_secret_in(response.content.decode())

    def test_the_debug_error_page_of_a_failed_webhook_shows_no_key(self, localstripe,
                                                                   invoice, receive, caplog):
        def broken_host(**kwargs):
            raise RuntimeError("appointment system is down")

        receive(signals.payment_succeeded, sender=Appointment, action=broken_host)
        payment = services.start_payment(invoice, backend=ALIAS)
        localstripe.pay(payment.provider_reference)
        event = make_event("payment_intent.succeeded",
                           localstripe.get(f"payment_intents/{payment.provider_reference}"))

        with override_settings(DEBUG=True), caplog.at_level(logging.DEBUG):
            response = deliver(Client(raise_request_exception=False), event)

        page = response.content.decode()
        assert response.status_code == 500
        assert "appointment system is down" in page  # Django's technical 500 page
        assert localstripe.url in page  # CAREPAY's options are listed, keys masked
        assert_no_secret_in(page)
        assert_no_secret_in(caplog.text)
