"""How accounts follow their sign-up invoices (connected in ``SaasConfig.ready()``).

Carepay sends these inside the payment's database transaction, so the account's
activation and its credits commit or roll back together with the money.

A rejected bank transfer needs nothing here: the account stays ``pending_payment``,
carepay e-mails the payer the reason, and the invoice stays payable for another try.
"""

from typing import Any

from django.dispatch import receiver
from django_carepay.models import Invoice
from django_carepay.signals import invoice_paid, payment_approved

from .billing import start_paid_subscription
from .models import Account


@receiver(payment_approved, sender=Account)
def activate_on_approved_transfer(sender: type[Account], invoice: Invoice,
                                  **kwargs: Any) -> None:
    """Finance approved a bank transfer: when it pays the invoice in full, the account
    becomes active with its plan's credits (an approved part payment waits for the rest)."""
    start_paid_subscription(invoice)


@receiver(invoice_paid, sender=Account)
def activate_on_paid_invoice(sender: type[Account], invoice: Invoice, **kwargs: Any) -> None:
    """The invoice is paid, whatever the method (a card online, too).

    After an approval this is the second announcement of the same payment;
    :func:`~saas.billing.start_paid_subscription` starts a subscription once only.
    """
    start_paid_subscription(invoice)
