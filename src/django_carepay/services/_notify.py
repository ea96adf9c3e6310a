"""What the services do besides saving: send carepay's signals, and work on commit.

Signals are sent inside the transaction, after the new state is saved, so a host's
receiver changes its own rows atomically with ours. E-mails and provider calls that
cannot be undone wait for the commit, and never turn a committed change into an error.
With ``CAREPAY["EMAIL_SENDING"] = "task"`` the e-mails are queued for a task worker
instead (:mod:`django_carepay.emails.tasks`).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from django.db import transaction

from .. import emails
from ..backends import get_backend
from ..conf import carepay_settings
from ..logs import log_extra
from ..models import Invoice, InvoiceReminder, Payment, Transaction
from ._senders import send

logger = logging.getLogger("django_carepay")


def _send(signal: Any, invoice: Invoice, **kwargs: Any) -> None:
    """Send ``signal`` once per sender the invoice has (its subject's class, each
    line-subject class), each with its ``subjects``: see :mod:`._senders`."""
    send(signal, invoice, **kwargs)


def _after_commit(func: Any, *args: Any) -> None:
    """Send the e-mail ``func(*args)`` once the transaction commits."""
    _mail_after_commit((func, args))


def _mail_after_commit(*calls: tuple[Any, tuple[Any, ...]]) -> None:
    """The e-mails ``calls`` (``(function, arguments)`` of :mod:`django_carepay.emails`):
    each sent once the transaction commits, robustly (a failure, a mail server outage,
    is logged, never raised, so it cannot turn a committed change into an error page,
    nor reach the caller's clean-up code); or, in task mode, queued together as one
    task for a worker (sent on commit after all when they cannot be queued)."""
    def send_on_commit() -> None:
        for func, args in calls:
            transaction.on_commit(_call(func, args), robust=True)

    if carepay_settings.EMAIL_SENDING == "task":
        from ..emails.tasks import queue

        queue(calls, otherwise=send_on_commit)
    else:
        send_on_commit()


def _call(func: Any, args: tuple[Any, ...]) -> Any:
    def callback() -> None:
        func(*args)

    callback.__qualname__ = getattr(func, "__qualname__", "callback")
    return callback


def _cancel_at_provider_after_commit(payment: Payment) -> None:
    """Best effort: a provider that refuses (it already took the money) is logged;
    its webhook will record that money against this payment."""
    alias = payment.backend

    def cancel_at_provider() -> None:
        try:
            get_backend(alias).cancel(payment)
        except Exception:  # the provider's answer cannot undo a committed cancel
            logger.exception("Could not cancel payment %s at %s", payment.public_id, alias,
                             extra=log_extra(payment=payment))

    transaction.on_commit(cancel_at_provider)


def _email_invoice_after_commit(invoice: Invoice) -> None:
    """E-mail the issued ``invoice`` with its payment link once it is committed."""
    _after_commit(emails.send_invoice_email, invoice.pk)


def _email_staff_after_commit(payment: Payment) -> None:
    """Tell staff ``payment`` awaits approval once it is committed."""
    _after_commit(emails.send_transfer_submitted, payment.pk)


def _email_decision_after_commit(payment: Payment) -> None:
    """Tell the payer ``payment`` was approved or rejected once that is committed."""
    _after_commit(emails.send_payment_decided, payment.pk)


def _email_receipt_after_commit(charge: Transaction) -> None:
    """Once ``charge`` (money received, a ledger row) is committed: the payer's
    receipt and the staff's notice. Queued by the one code path that records a
    charge, which runs once per charge (the ledger keys it), so a charge confirmed
    by webhook and return page alike is receipted once. They are given the committed
    row (with its payment and invoice), not read again."""
    _mail_after_commit((emails.send_payment_receipt, (charge,)),
                       (emails.send_staff_payment_received, (charge,)))


def _email_failure_after_commit(payment: Payment) -> None:
    """Tell the payer an online ``payment`` failed (with a link to try again)."""
    _after_commit(emails.send_payment_failed, payment.pk)


def _email_refund_after_commit(refund: Transaction) -> None:
    """Tell the payer about the ``refund`` (a ledger row) once it is committed."""
    _after_commit(emails.send_refund_issued, refund.pk)


def _remind_after_commit(reminder: InvoiceReminder, today: date | None) -> None:
    """Send the claimed ``reminder`` (for ``today``) once its claim is committed."""
    _after_commit(emails.send_reminder, reminder.pk, today)
