"""carepay's e-mails sent by task workers (``CAREPAY["EMAIL_SENDING"] = "task"``).

In the default mode an e-mail is rendered and sent once its transaction commits, in
the process that committed it: a card payment's receipt, its PDF rendered and the
mail server talked to, is part of the webhook's response, and a mail server that is
down loses the message (it is logged). In task mode the services queue the e-mail
instead (:func:`queue`), and a worker of Django's tasks framework renders and sends
it (:func:`send_emails`):

- with django-tasks' database backend writing to carepay's database, the task row
  is written in the same transaction as the money: it commits with the payment, and
  a rolled-back payment queues nothing; with a broker (RQ, Celery) or the immediate
  backend it is queued once the transaction commits;
- the worker reads the committed rows again and sends in the language that was
  active when the e-mail was queued;
- a message the mail server refused (or whose PDF failed) is logged as in the
  default mode, then queued again after a back-off (:data:`RETRY_DELAYS`) when the
  backend can defer tasks, and the task fails so its backend records why. Sending
  is at least once: a worker killed after the server accepted a message but before
  its task was marked done sends it again.

Importing this module needs the framework; carepay imports it only in task mode.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from datetime import date, timedelta
from typing import Any

from django.db import models, transaction
from django.utils import timezone, translation

from ..models import Invoice
from ..tasks_framework import load_framework, queued_in_the_database_of
from . import payer, staff
from .compose import email_enabled, failures_raised

framework = load_framework("EMAIL_SENDING")
logger = logging.getLogger("django_carepay")

#: The functions a queued e-mail may name, with the kinds each can send (a call
#: whose kinds are all switched off in ``CAREPAY["EMAILS"]`` is not queued).
SENDERS: dict[str, tuple[Callable[..., Any], tuple[str, ...]]] = {
    "send_invoice_email": (payer.send_invoice_email, ("invoice_issued",)),
    "send_payment_receipt": (payer.send_payment_receipt, ("payment_receipt",)),
    "send_payment_failed": (payer.send_payment_failed, ("payment_failed",)),
    "send_refund_issued": (payer.send_refund_issued, ("refund_issued",)),
    "send_payment_decided": (payer.send_payment_decided,
                             ("transfer_approved", "transfer_rejected")),
    "send_reminder": (payer.send_reminder, ("invoice_reminder",)),
    "send_transfer_submitted": (staff.send_transfer_submitted, ("transfer_submitted",)),
    "send_staff_payment_received": (staff.send_staff_payment_received,
                                    ("staff_payment_received",)),
}

#: Seconds to wait before each new try of a refused e-mail: 1 min, 5 min, 30 min,
#: 2 h, 6 h (about 8.6 h in all); then it is logged as not sent.
RETRY_DELAYS: tuple[int, ...] = (60, 300, 1800, 2 * 3600, 6 * 3600)

#: One queued e-mail: the name of its function in :data:`SENDERS` and its arguments
#: (JSON: primary keys, and ``{"date": "YYYY-MM-DD"}`` for a date).
Call = list[Any]


class EmailsNotSent(Exception):
    """Some of a task's e-mails were not sent (each failure is logged with its
    invoice); they are queued again when the backend can defer tasks."""


@framework.task()
def send_emails(calls: list[Call], language: str | None = None, attempt: int = 1) -> int:
    """Send each queued e-mail of ``calls`` in ``language``; return how many were tried.
    Those that failed are queued again after their back-off and the task fails."""
    failed: list[Call] = []
    with translation.override(language) if language else nullcontext(), failures_raised():
        for name, args in calls:
            try:
                SENDERS[name][0](*[_decoded(arg) for arg in args])
            except Exception as error:  # deliver() logged it with its invoice and trace
                logger.warning("Queued e-mail %s(%s) failed: %r", name,
                               ", ".join(map(repr, args)), error)
                failed.append([name, args])
    if failed:
        _retry_later(failed, language, attempt)
        raise EmailsNotSent(f"{len(failed)} of {len(calls)} e-mails were not sent "
                            f"(attempt {attempt}): {[name for name, _ in failed]}")
    return len(calls)


def queue(calls: Sequence[tuple[Callable[..., Any], Sequence[Any]]]) -> None:
    """Queue the e-mails ``calls`` — ``(function, arguments)`` pairs of :data:`SENDERS`'
    functions — as one task: in the current transaction when the task row is written
    to carepay's database, else once it commits. Calls whose kinds are all switched
    off are dropped; nothing is queued when none is left."""
    wanted = [[func.__name__, [_encoded(arg) for arg in args]] for func, args in calls
              if any(email_enabled(kind) for kind in SENDERS[func.__name__][1])]
    if not wanted:
        return
    language = translation.get_language()
    if queued_in_the_database_of(send_emails, Invoice):
        send_emails.enqueue(wanted, language)
        return

    def enqueue() -> None:
        send_emails.enqueue(wanted, language)

    transaction.on_commit(enqueue, robust=True)


def _retry_later(calls: list[Call], language: str | None, attempt: int) -> None:
    backend = send_emails.get_backend()
    names = [name for name, _ in calls]
    if attempt > len(RETRY_DELAYS) or not backend.supports_defer:
        logger.error("E-mails %s were not sent (attempt %s) and are not tried again.",
                     names, attempt)
        return
    delay = RETRY_DELAYS[attempt - 1]
    logger.warning("E-mails %s were not sent (attempt %s); trying again in %s s.",
                   names, attempt, delay)
    send_emails.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
        calls, language, attempt + 1)


def _encoded(arg: Any) -> Any:
    """A JSON form of a sender's argument: a row by its primary key, a date tagged."""
    if isinstance(arg, models.Model):
        return arg.pk
    if isinstance(arg, date):
        return {"date": arg.isoformat()}
    return arg


def _decoded(arg: Any) -> Any:
    if isinstance(arg, dict) and set(arg) == {"date"}:
        return date.fromisoformat(arg["date"])
    return arg
