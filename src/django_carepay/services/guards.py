"""Act on an invoice only if it is still as the person acting last saw it.

A staff page renders each action's form with the invoice's :func:`invoice_version`
in a hidden field. :func:`act_if_unchanged` takes the invoice's row lock, compares,
and runs the action (a service) under that same lock, so the version is a one-time
token that the change it guards spends: every service that changes an invoice saves
it, which moves its version on. A second submission of the same form (a double
click, a reload of the POST, a second tab) waits for the first, finds another
version and is refused with :class:`~django_carepay.exceptions.ChangedMeanwhile`; so
is a form shown before someone else took a payment or refunded one. It needs no
table and no shared cache: the database's row lock is the one place that decides.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db import transaction
from django.utils.translation import gettext

from ..exceptions import CarepayError, ChangedMeanwhile
from ..models import Invoice
from ._checks import _backend_or_none, _describe
from ._locks import _lock_invoice, _with_lock_timeout

T = TypeVar("T")


def invoice_version(invoice: Invoice) -> str:
    """The invoice's version as a form carries it: when it was last saved."""
    return f"{invoice.updated_at.timestamp():.6f}" if invoice.updated_at else ""


def act_if_unchanged(invoice: Invoice, version: str, action: Callable[[], T], *,
                     backend: str = "") -> T:
    """Run ``action()`` (a service call) under ``invoice``'s row lock if the invoice
    is still at ``version``; else raise :class:`ChangedMeanwhile` and change nothing.

    ``backend`` (an alias) bounds the wait for the lock as that backend's services do
    (a request holding it may be waiting for the provider). A refusal the action
    raises is raised after the transaction commits: what the service itself commits
    when it refuses (a provider's refused refund is counted, so the next attempt
    sends a new idempotency key) stays committed.
    """
    refusal: CarepayError | None = None
    with transaction.atomic():
        locked = _with_lock_timeout(_backend_or_none(backend) if backend else None,
                                    _lock_invoice, invoice)
        if not version or invoice_version(locked) != version:
            raise ChangedMeanwhile(
                gettext(
                    "%(invoice)s changed after this page was shown (or the form was sent "
                    "twice), so nothing was done. Check it below and try again if it is still "
                    "needed."
                ) % {"invoice": _describe(locked)})
        try:
            result = action()
        except CarepayError as exc:
            refusal = exc
    if refusal is not None:
        raise refusal
    return result
