"""The admin acts once per form shown: a double click, a reloaded POST or a second tab
records or refunds the money once.

The record-payment and refund pages carry the invoice's version as they showed it
(``version``, hidden) and run the service under ``services.act_if_unchanged``, as the
staff console does. The second copy of a form is sent back to the object's page with
a message, and nothing changes; a form shown after the first action works. The bulk
actions (approve, reject, void, write off) move a state that the service refuses to
move twice, so they act once without a version.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from django_carepay import services
from django_carepay.models import Invoice, Payment, Transaction
from tests import factories
from tests.admin.support import (
    awaiting_approval,
    form_as_shown,
    messages_of,
    run_action,
    url,
)
from tests.backends.stripe.support import paid_payment

pytestmark = pytest.mark.django_db

CHANGED = ("changed after this page was shown (or the form was sent twice), so nothing "
           "was done")


def record_page(invoice: Invoice) -> str:
    return url("invoice", "record_payment", invoice.pk)


def refund_page(payment: Payment) -> str:
    return url("payment", "refund", payment.pk)


def charges() -> list[Decimal]:
    return list(Transaction.objects.charges().order_by("pk").values_list("amount", flat=True))


def refunds() -> list[Decimal]:
    return list(Transaction.objects.refunds().order_by("pk").values_list("amount", flat=True))


# -- recording a payment ----------

def test_the_record_payment_form_sent_twice_records_the_cash_once(admin_client, invoice):
    """£30 handed over once is £30 in the ledger, however often the form is sent."""
    data = form_as_shown(admin_client, record_page(invoice), backend="cash", amount="30.00")
    first = admin_client.post(record_page(invoice), data)
    state = factories.database_state()
    second = admin_client.post(record_page(invoice), data)  # a double click, a reload

    assert first.status_code == second.status_code == 302
    assert second.url == url("invoice", "change", invoice.pk)
    assert factories.database_state() == state
    assert charges() == [Decimal("30.00")]
    assert factories.reload(invoice).amount_due == Decimal("50.00")
    assert any(CHANGED in text for text in messages_of(second))


def test_a_record_payment_form_shown_after_the_first_records_again(admin_client, invoice):
    """A second payment is recorded from a form shown after the first one."""
    for amount in ("30.00", "20.00"):
        admin_client.post(record_page(invoice), form_as_shown(
            admin_client, record_page(invoice), backend="cash", amount=amount))

    assert charges() == [Decimal("30.00"), Decimal("20.00")]
    assert factories.reload(invoice).amount_due == Decimal("30.00")


def test_a_record_payment_form_shown_before_someone_else_acted_does_nothing(
        admin_client, invoice):
    """A second tab's form, shown before cash was recorded elsewhere, records nothing:
    what is due is no longer what that page showed."""
    stale = form_as_shown(admin_client, record_page(invoice), backend="cash", amount="30.00")
    factories.pay_cash(invoice, "30")
    state = factories.database_state()

    response = admin_client.post(record_page(invoice), stale, follow=True)

    assert factories.database_state() == state
    assert response.redirect_chain[-1][0] == url("invoice", "change", invoice.pk)
    assert any(CHANGED in text for text in messages_of(response))


def test_a_form_without_the_version_records_nothing(admin_client, invoice, nothing_changes):
    """A POST that did not come from the page (no version) is refused, not trusted."""
    with nothing_changes(invoice):
        response = admin_client.post(record_page(invoice),
                                     {"backend": "cash", "amount": "30.00"}, follow=True)

    assert any(CHANGED in text for text in messages_of(response))


# -- refunding ----------

def test_the_refund_form_sent_twice_refunds_once(admin_client, admin_user, invoice):
    """£30 handed back once is one £30 refund, however often the form is sent."""
    paid = factories.pay_cash(invoice, by=admin_user)  # £80 cash
    data = form_as_shown(admin_client, refund_page(paid), amount="30.00",
                         reason="Shorter appointment")
    first = admin_client.post(refund_page(paid), data)
    state = factories.database_state()
    second = admin_client.post(refund_page(paid), data)  # the browser resends the form

    assert first.status_code == second.status_code == 302
    assert second.url == url("payment", "change", paid.pk)
    assert factories.database_state() == state
    assert refunds() == [Decimal("30.00")]
    assert factories.reload(paid).amount_refunded == Decimal("30.00")
    assert any(CHANGED in text for text in messages_of(second))


def test_a_refund_form_shown_after_the_first_refunds_again(admin_client, admin_user, invoice):
    """A deliberate second refund, from a form shown after the first, is made."""
    paid = factories.pay_cash(invoice, by=admin_user)
    for amount in ("30.00", "10.00"):
        admin_client.post(refund_page(paid), form_as_shown(
            admin_client, refund_page(paid), amount=amount, reason="Goodwill"))

    assert refunds() == [Decimal("30.00"), Decimal("10.00")]
    assert factories.reload(paid).amount_refunded == Decimal("40.00")


def test_a_card_refund_form_sent_twice_asks_stripe_once(admin_client, localstripe,
                                                        card_backend, invoice):
    """Each refund asks Stripe with a new idempotency key, so only the form's version
    stops the second copy from being a second real refund."""
    paid = paid_payment(localstripe, invoice)
    data = form_as_shown(admin_client, refund_page(paid), amount="30.00", reason="Goodwill")
    admin_client.post(refund_page(paid), data)
    second = admin_client.post(refund_page(paid), data)

    assert len(localstripe.api_requests("POST", "/v1/refunds")) == 1
    assert factories.reload(paid).amount_refunded == Decimal("30.00")
    assert any(CHANGED in text for text in messages_of(second))


def test_the_form_pages_carry_the_invoice_version(admin_client, admin_user, invoice):
    page = admin_client.get(record_page(invoice))
    version = services.invoice_version(factories.reload(invoice))

    assert f'type="hidden" name="version" value="{version}"' in page.text
    paid = factories.pay_cash(invoice, "30", by=admin_user)
    version = services.invoice_version(factories.reload(invoice))
    assert f'type="hidden" name="version" value="{version}"' in \
        admin_client.get(refund_page(paid)).text


# -- the bulk actions ----------

@pytest.mark.parametrize(("model", "action", "confirm", "refusal"), [
    ("invoice", "void_invoices", {"post": "yes", "reason": "Booked twice"}, " is void"),
    ("invoice", "write_off_invoices", {"post": "yes", "reason": "Moved abroad"},
     " is uncollectible"),
    ("payment", "approve_payments", {}, "already approved by admin"),
    ("payment", "approve_payments_recording_overpayment", {}, "already approved by admin"),
    ("payment", "reject_payments", {"post": "yes", "reason": "Not on our statement"},
     "already rejected by admin"),
])
def test_a_bulk_action_sent_twice_acts_once(admin_client, invoice, model, action, confirm,
                                            refusal):
    """The second copy of a bulk action (or of its confirmation) is refused by the
    service, which will not close an invoice or decide a transfer twice: it changes
    nothing and says why."""
    target = invoice if model == "invoice" else awaiting_approval(invoice)
    run_action(admin_client, model, action, [target], **confirm)
    state = factories.database_state()

    again = run_action(admin_client, model, action, [target], **confirm)

    assert again.status_code == 200
    assert factories.database_state() == state
    [message] = messages_of(again)
    assert refusal in message
