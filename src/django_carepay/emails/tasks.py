"""carepay's e-mails sent by task workers (``CAREPAY["EMAIL_SENDING"] = "task"``).

In the default mode an e-mail is rendered and sent once its transaction commits, in
the process that committed it: a card payment's receipt, its PDF rendered and the
mail server talked to, is part of the webhook's response, and a mail server that is
down loses the message (it is logged). In task mode the services queue the e-mail
instead (:func:`queue`), and a worker of Django's tasks framework renders and sends
it (:func:`send_emails`):

- with django-tasks' database backend writing to carepay's database, the task row
  is written in the same transaction as the money (in a savepoint): it commits with
  the payment, and a rolled-back payment queues nothing; with a broker (RQ, Celery)
  or the immediate backend it is queued once the transaction commits. A task that
  cannot be queued is logged and its e-mails are sent on commit as in the default
  mode: queueing never undoes money;
- the worker reads the committed rows again and sends in the language that was
  active when the e-mail was queued;
- a message the mail server did not take for a reason that may pass (a 4xx, a lost
  connection, an error of the host's e-mail provider) is logged as in the default
  mode, then queued again alone after a back-off (:data:`RETRY_DELAYS`) when the
  backend can defer tasks, and the task fails so its backend records why; one
  refused for good (a 5xx) is logged and dropped. A PDF that fails to render is
  logged and the message goes without it, as in the default mode. A worker that dies
  in the middle of a task (killed, out of memory) leaves its row ``RUNNING``, which
  django-tasks-db does not take up again: those e-mails are not sent.

Importing this module needs the framework; carepay imports it only in task mode.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
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
    Those that failed for a reason that may pass (a mail server that is down or says
    "try later", a 4xx) are queued again after their back-off; those refused for
    good (a 5xx, a row that is gone) are logged and dropped; either way the task
    fails, so its backend records it."""
    retry: list[Call] = []
    dropped: list[str] = []
    with _language(language), failures_raised():
        for name, args in calls:
            try:
                SENDERS[name][0](*[_decoded(arg) for arg in args])
            except Exception as error:  # deliver() logged it with its invoice and trace
                if _may_pass(error):
                    logger.warning("Queued e-mail %s(%s) failed: %r", name,
                                   ", ".join(map(repr, args)), error)
                    retry.append([name, args])
                else:
                    logger.error("Queued e-mail %s(%s) failed for good and is not tried "
                                 "again: %r", name, ", ".join(map(repr, args)), error)
                    dropped.append(name)
    if retry:
        _retry_later(retry, language, attempt)
    if retry or dropped:
        raise EmailsNotSent(
            f"{len(retry) + len(dropped)} of {len(calls)} e-mails were not sent (attempt "
            f"{attempt}): {[name for name, _ in retry]} to be tried again, {dropped} not")
    return len(calls)


def queue(calls: Sequence[tuple[Callable[..., Any], Sequence[Any]]],
          otherwise: Callable[[], None]) -> None:
    """Queue the e-mails ``calls`` — ``(function, arguments)`` pairs of :data:`SENDERS`'
    functions — as one task: in the current transaction when the task row is written
    to carepay's database, else once it commits. Calls whose kinds are all switched
    off are dropped; nothing is queued when none is left.

    Queueing never undoes money: in the transaction it runs in a savepoint, and if the
    task cannot be queued (a task table not migrated, a backend refusing the queue, a
    broker that is down) that is logged and ``otherwise()`` is called instead: the
    default mode's on-commit sending, which after the commit sends at once."""
    wanted = [[func.__name__, [_encoded(arg) for arg in args]] for func, args in calls
              if any(email_enabled(kind) for kind in SENDERS[func.__name__][1])]
    if not wanted:
        return
    language = translation.get_language()
    in_the_transaction = queued_in_the_database_of(send_emails, Invoice)

    def enqueue() -> None:
        try:
            with transaction.atomic() if in_the_transaction else nullcontext():
                send_emails.enqueue(wanted, language)
        except Exception:
            logger.exception("Could not queue the e-mails %s for a worker; they are sent "
                             "once the transaction commits instead.", wanted)
            otherwise()

    if in_the_transaction:
        enqueue()
    else:
        transaction.on_commit(enqueue, robust=True)


def _language(language: str | None) -> Any:
    return translation.override(language) if language else nullcontext()


def _may_pass(error: Exception) -> bool:
    """Whether trying again later may succeed: not for a row that is gone, nor for a
    mail server's permanent (5xx) refusal; yes for its 4xx, a lost connection, and
    anything else (an e-mail provider's API, a template fixed by the next deploy)."""
    if isinstance(error, ObjectDoesNotExist):
        return False
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return any(400 <= code < 500 for code, _message in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return True


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
    if type(arg) is date:  # not a datetime: it would not read back as a date
        return {"date": arg.isoformat()}
    return arg


def _decoded(arg: Any) -> Any:
    if isinstance(arg, dict) and set(arg) == {"date"}:
        return date.fromisoformat(arg["date"])
    return arg
