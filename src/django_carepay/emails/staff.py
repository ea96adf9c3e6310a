"""What staff receive: a transfer to approve, and money received."""

from __future__ import annotations

from typing import Any

from django.core.mail import EmailMultiAlternatives

from ..adapter import get_adapter
from ..models import Invoice, Payment, Transaction
from .compose import backend_label, deliver, render_message


def _mail_staff(kind: str, invoice: Invoice, payment: Payment, context: dict[str, Any]) -> None:
    """Deliver ``kind`` to ``adapter.staff_recipients(invoice, kind)``, if anyone."""
    def build() -> EmailMultiAlternatives | None:
        to = get_adapter().staff_recipients(invoice, kind)
        if not to:
            return None
        return render_message(kind, {"invoice": invoice, "payment": payment,
                                     "method": backend_label(payment.backend), **context},
                              to=to, invoice=invoice)

    deliver(kind, invoice, build)


def send_transfer_submitted(payment_pk: int) -> None:
    """``transfer_submitted``: a payer submitted a payment that awaits approval."""
    payment = Payment.objects.select_related("invoice").get(pk=payment_pk)
    _mail_staff("transfer_submitted", payment.invoice, payment, {})


def send_staff_payment_received(transaction_pk: int | Transaction) -> None:
    """``staff_payment_received``: money came in (the ledger charge ``transaction_pk``,
    or the committed row itself)."""
    txn = transaction_pk if isinstance(transaction_pk, Transaction) else \
        Transaction.objects.select_related("payment", "invoice").get(pk=transaction_pk)
    assert txn.payment is not None  # a charge always belongs to a payment
    _mail_staff("staff_payment_received", txn.invoice, txn.payment, {"transaction": txn})
