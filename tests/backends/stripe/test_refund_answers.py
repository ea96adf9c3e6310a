"""Refunds: a refused attempt gets a new idempotency key next time (bug 6), a lost
answer is retried with the same one, and the provider's answer is checked against
what was asked before it reaches the ledger (bug 12)."""

from __future__ import annotations

import logging
import re
from decimal import Decimal

import pytest
import stripe
from django.test import Client

from django_carepay import services
from django_carepay.backends import get_backend
from django_carepay.exceptions import ProviderError
from django_carepay.models import Transaction
from tests import factories
from tests.admin.support import form_as_shown
from tests.backends.stripe.support import ALIAS, deliver, ledger, make_event, paid_payment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("card_backend")]


@pytest.fixture
def refunds_api(monkeypatch, card_backend):
    """The SDK's refunds.create, recording every request's idempotency key; ``faults``
    holds what happens to the next calls: "refuse" (Stripe answers 400 and refunds
    nothing) or "lose" (Stripe refunds, the answer is lost)."""
    refunds = get_backend(ALIAS).client.v1.refunds
    real_create = refunds.create
    keys: list[str] = []
    faults: list[str] = []

    def create(*args, **kwargs):
        keys.append(kwargs["options"]["idempotency_key"])
        fault = faults.pop(0) if faults else None
        if fault == "refuse":
            raise stripe.InvalidRequestError("Charge ch_1 has been disputed.", "charge",
                                             code="charge_disputed", http_status=400)
        refund = real_create(*args, **kwargs)
        if fault == "lose":
            raise stripe.APIConnectionError("connection reset after the refund was made")
        return refund

    monkeypatch.setattr(refunds, "create", create)
    return keys, faults


def refunds_at_stripe(localstripe, payment):
    return localstripe.get(f"refunds?payment_intent={payment.provider_reference}")["data"]


def a_lost_refund_the_webhook_recorded(localstripe, invoice, faults):
    """A paid invoice's £30.00 refund whose answer was lost, then recorded by Stripe's
    ``refund.updated``: the payment and the refund at Stripe."""
    payment = paid_payment(localstripe, invoice)
    faults.append("lose")
    with pytest.raises(ProviderError):
        services.refund_payment(payment, amount="30.00")
    [made] = refunds_at_stripe(localstripe, payment)
    assert deliver(Client(), make_event("refund.updated", made)).status_code == 200
    return payment, made


def test_a_refused_refund_is_tried_again_with_a_new_key(localstripe, invoice, refunds_api):
    keys, faults = refunds_api
    payment = paid_payment(localstripe, invoice)
    faults.append("refuse")

    with pytest.raises(ProviderError, match="disputed"):
        services.refund_payment(payment)
    txn = services.refund_payment(payment)  # the dispute was resolved: try again

    assert keys[0] != keys[1]  # Stripe would replay the refusal for 24 h otherwise
    [refund] = refunds_at_stripe(localstripe, payment)
    assert (txn.amount, txn.provider_reference) == (Decimal("80.00"), refund["id"])
    assert Transaction.objects.refunds().count() == 1


def test_a_refund_whose_answer_was_lost_is_retried_with_the_same_key(localstripe, invoice,
                                                                     refunds_api):
    keys, faults = refunds_api
    payment = paid_payment(localstripe, invoice)
    faults.append("lose")

    with pytest.raises(ProviderError):
        services.refund_payment(payment)
    txn = services.refund_payment(payment)

    assert keys[0] == keys[1]
    [refund] = refunds_at_stripe(localstripe, payment)  # refunded once, not twice
    assert txn.provider_reference == refund["id"]
    assert ledger(invoice)[1:] == [("refund", Decimal("80.00"), refund["id"])]


def test_a_lost_answer_after_a_refusal_still_reuses_the_new_key(localstripe, invoice,
                                                                refunds_api):
    keys, faults = refunds_api
    payment = paid_payment(localstripe, invoice)
    faults.extend(["refuse", "lose"])

    for _ in range(2):
        with pytest.raises(ProviderError):
            services.refund_payment(payment)
    services.refund_payment(payment)

    assert keys[0] != keys[1] == keys[2]
    assert len(refunds_at_stripe(localstripe, payment)) == 1


def test_a_refund_of_another_amount_than_asked_is_recorded_as_made_and_flagged(
        localstripe, invoice, caplog):
    payment = paid_payment(localstripe, invoice)
    # Stripe answers this request with a 30.00 refund (here: replayed by its key).
    key = f"carepay-refund-{factories.reload(payment).idempotency_key}-0.0-50.00"
    made = localstripe.client.v1.refunds.create(
        {"payment_intent": payment.provider_reference, "amount": 3000},
        options={"idempotency_key": key})

    with caplog.at_level(logging.ERROR, logger="django_carepay"):
        txn = services.refund_payment(payment, amount="50.00")

    assert (txn.amount, txn.provider_reference) == (Decimal("30.00"), made.id)
    assert "asked 50.00 GBP" in txn.note and "refunded 30.00 GBP" in txn.note
    assert "asked 50.00 GBP" in caplog.text
    stored = factories.reload(payment)
    assert (stored.amount_refunded, stored.refundable_amount) == (Decimal("30.00"),
                                                                  Decimal("50.00"))


def test_a_refund_in_another_currency_is_not_recorded(localstripe, invoice, monkeypatch,
                                                      caplog):
    payment = paid_payment(localstripe, invoice)
    refunds = get_backend(ALIAS).client.v1.refunds
    real_create = refunds.create

    def in_euros(*args, **kwargs):
        refund = real_create(*args, **kwargs)
        refund["currency"] = "eur"
        return refund

    monkeypatch.setattr(refunds, "create", in_euros)

    with caplog.at_level(logging.ERROR, logger="django_carepay"), \
            pytest.raises(ProviderError, match="in EUR for a GBP payment"):
        services.refund_payment(payment)

    assert "in EUR for a GBP payment" in caplog.text
    assert Transaction.objects.refunds().count() == 0
    assert factories.reload(payment).amount_refunded == 0


# A refund retried after its answer was lost is the same refund at Stripe, even when
# Stripe's webhook recorded it in between (found in review).

def test_a_lost_answer_recorded_by_the_webhook_then_retried_refunds_once(
        localstripe, invoice, refunds_api):
    keys, faults = refunds_api
    payment, _made = a_lost_refund_the_webhook_recorded(localstripe, invoice, faults)
    [recorded] = Transaction.objects.refunds()

    again = services.refund_payment(payment, amount="30.00")  # "try again in a minute"

    assert keys[0] == keys[1]  # the same request, so Stripe answers with the same refund
    assert len(refunds_at_stripe(localstripe, payment)) == 1
    assert again == recorded  # the retry reports the refund the webhook recorded
    assert list(Transaction.objects.refunds()) == [recorded]
    assert payment.__class__.objects.get(pk=payment.pk).amount_refunded == Decimal("30.00")


def test_after_a_recorded_refund_the_next_refund_is_a_new_request(localstripe, invoice,
                                                                   refunds_api):
    keys, _faults = refunds_api
    payment = paid_payment(localstripe, invoice)

    services.refund_payment(payment, amount="30.00")
    services.refund_payment(payment, amount="30.00")

    assert keys[0] != keys[1]
    assert len(refunds_at_stripe(localstripe, payment)) == 2
    assert Transaction.objects.refunds().count() == 2


@pytest.mark.usefixtures("refunds_api")
def test_a_dashboard_refund_recorded_by_webhook_does_not_replay_into_ours(
        localstripe, invoice):
    """A refund made in Stripe's dashboard (not by carepay) is recorded by its webhook;
    a later carepay refund is a new request that makes its own refund."""
    payment = paid_payment(localstripe, invoice)
    dashboard = localstripe.client.v1.refunds.create(
        {"payment_intent": payment.provider_reference, "amount": 1000})
    assert deliver(Client(), make_event(
        "refund.updated", localstripe.get(f"refunds/{dashboard.id}"))).status_code == 200

    services.refund_payment(payment, amount="30.00")

    assert len(refunds_at_stripe(localstripe, payment)) == 2
    assert sorted(t.amount for t in Transaction.objects.refunds()) == [
        Decimal("10.000"), Decimal("30.000")]


def test_staff_retrying_a_refund_the_webhook_already_recorded_are_told_nothing_moved(
        localstripe, invoice, refunds_api, admin_client):
    """The console's retry of a lost refund gets Stripe's replay of the same refund: the
    message must not say "Refunded" as if money moved again (staff who meant a second
    refund of the same amount would believe they had made it), and must say that
    refunding again is a new refund."""
    from django.contrib.messages import get_messages
    from django.urls import reverse

    from django_carepay.views.staff.invoices import payment_prefix

    _keys, faults = refunds_api
    payment, made = a_lost_refund_the_webhook_recorded(localstripe, invoice, faults)

    url = reverse("carepay:staff_payment_refund", args=[invoice.public_id, payment.public_id])
    prefix = payment_prefix(payment, "refund")

    def post() -> str:
        page = admin_client.get(reverse("carepay:staff_invoice", args=[invoice.public_id]))
        [version] = re.findall(rf'name="{prefix}-version" value="([^"]*)"',
                               page.content.decode())
        response = admin_client.post(url, {f"{prefix}-amount": "30.00",
                                           f"{prefix}-reason": "Cancelled scan",
                                           f"{prefix}-version": version})
        assert response.status_code == 302
        [message] = [str(m) for m in get_messages(response.wsgi_request)]
        return message

    replayed = post()
    assert "Refunded" not in replayed
    assert "already" in replayed and made["id"] in replayed
    assert "nothing was refunded again" in replayed.lower()
    assert len(refunds_at_stripe(localstripe, payment)) == 1

    assert post().startswith("Refunded £30.00")  # asked again: a new refund
    assert len(refunds_at_stripe(localstripe, payment)) == 2
    assert Transaction.objects.refunds().count() == 2


def test_the_admin_also_says_a_replayed_refund_moved_nothing(localstripe, invoice, refunds_api,
                                                              admin_client):
    from django.contrib.messages import get_messages
    from django.urls import reverse

    _keys, faults = refunds_api
    payment, made = a_lost_refund_the_webhook_recorded(localstripe, invoice, faults)

    url = reverse("admin:carepay_payment_refund", args=[payment.pk])
    response = admin_client.post(url, form_as_shown(admin_client, url, amount="30.00",
                                                    reason="Cancelled scan"))

    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "Nothing was refunded again" in message and made["id"] in message
    assert len(refunds_at_stripe(localstripe, payment)) == 1


def test_the_api_says_a_replayed_refund_moved_nothing(localstripe, invoice, refunds_api,
                                                      admin_client):
    """An API client retrying a lost refund (with a new Idempotency-Key, or none) gets
    Stripe's replay of the refund its webhook recorded: 200 with ``already_recorded``
    true, not
    201 Created as if money moved again; asked again, it is a new refund (201)."""
    from django.urls import reverse

    _keys, faults = refunds_api
    payment, _made = a_lost_refund_the_webhook_recorded(localstripe, invoice, faults)
    url = reverse("carepay-api:payment_refund", args=[payment.public_id])

    def post():
        return admin_client.post(url, {"amount": "30.00", "reason": "Cancelled scan"},
                                 content_type="application/json")

    replayed = post()
    assert replayed.status_code == 200, replayed.content
    assert replayed.json()["already_recorded"] is True
    assert replayed.json()["refund"]["amount"] == "30.00"
    assert len(refunds_at_stripe(localstripe, payment)) == 1

    again = post()
    assert again.status_code == 201
    assert again.json()["already_recorded"] is False
    assert len(refunds_at_stripe(localstripe, payment)) == 2
    assert Transaction.objects.refunds().count() == 2
