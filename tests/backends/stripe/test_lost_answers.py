"""Bug 19: Stripe made the PaymentIntent but its answer was lost (or our transaction
rolled back after it): the retry must get the same intent, never a second one."""

from __future__ import annotations

import copy

import pytest

from django_carepay import services
from django_carepay.backends import get_backend
from django_carepay.models import Payment
from tests import factories
from tests.backends.stripe.support import ALIAS

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("card_backend")]


class LostAnswer(Exception):
    """The connection dropped after Stripe had done the work."""


@pytest.fixture
def creates(monkeypatch):
    """Every PaymentIntent create carepay sends (params and request options); the
    first ``fail_after[0]`` calls reach Stripe, then their answer is lost."""
    intents = get_backend(ALIAS).client.v1.payment_intents
    real_create = intents.create
    sent: list[dict] = []
    fail_after = [0]

    def create(*args, **kwargs):
        sent.append(copy.deepcopy(kwargs))
        intent = real_create(*args, **kwargs)  # Stripe made it...
        if fail_after[0]:
            fail_after[0] -= 1
            raise LostAnswer("connection reset after the intent was created")
        return intent

    monkeypatch.setattr(intents, "create", create)
    sent_and_faults = sent, fail_after
    return sent_and_faults


def test_a_start_whose_answer_is_lost_is_retried_with_the_same_request(localstripe,
                                                                        invoice, creates):
    sent, fail_after = creates
    fail_after[0] = 1

    with pytest.raises(LostAnswer):
        services.start_payment(invoice, backend=ALIAS)
    assert not Payment.objects.filter(invoice=invoice).exists()  # rolled back

    payment = services.start_payment(invoice, backend=ALIAS)

    first, retry = sent
    assert retry["options"]["idempotency_key"] == first["options"]["idempotency_key"]
    assert retry == first  # same key and same parameters: Stripe replays, never refuses
    # localstripe replays by key (tests/backends/stripe/README.md): one intent, and it is ours.
    [intent] = localstripe.get("payment_intents")["data"]
    assert factories.reload(payment).provider_reference == intent["id"]
    assert intent["metadata"]["carepay_payment"] == str(payment.public_id)


def test_after_a_committed_attempt_a_new_attempt_gets_a_new_key(localstripe, invoice,
                                                                creates,
                                                                django_capture_on_commit_callbacks):
    sent, _fail_after = creates
    first = services.start_payment(invoice, backend=ALIAS)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_payment(first)

    second = services.start_payment(invoice, backend=ALIAS)

    keys = [s["options"]["idempotency_key"] for s in sent]
    assert len(set(keys)) == 2
    assert second.pk != first.pk
    assert second.provider_reference != first.provider_reference


def test_invoices_started_under_injected_faults_leave_no_orphan_intent(localstripe, patient,
                                                                     creates):
    _sent, fail_after = creates
    invoices = [factories.make_invoice(customer=patient) for _ in range(12)]
    for i, invoice in enumerate(invoices):
        fail_after[0] = i % 3  # none, one or two lost answers before one gets through
        for _ in range(3):
            try:
                services.start_payment(invoice, backend=ALIAS)
                break
            except LostAnswer:
                continue

    ours = set(Payment.objects.values_list("provider_reference", flat=True))
    at_stripe = {pi["id"] for pi in localstripe.get("payment_intents?limit=100")["data"]}
    assert len(ours) == len(invoices)
    assert at_stripe == ours
