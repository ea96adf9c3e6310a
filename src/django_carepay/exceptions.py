"""Every refusal carepay makes is a :class:`CarepayError` subclass.

Configuration problems are :class:`~django.core.exceptions.ImproperlyConfigured`
subclasses instead, kept outside the root so nothing catches them by accident; a
webhook whose signature does not verify is a
:class:`~django.core.exceptions.SuspiciousOperation` subclass, which Django answers
with a 400.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation

if TYPE_CHECKING:
    from decimal import Decimal


class CarepayError(Exception):
    """The root of every error carepay raises for a request it refuses."""


class InvalidInput(CarepayError, ValueError):
    """A value the caller gave is refused (missing, too long, malformed, unknown).

    ``field`` names the input it is about (``"reference"``, ``"billing_country"``;
    ``None`` when no one field is to blame) and ``code`` says why in a word
    (``"required"``, ``"max_length"``, ``"unknown"``, ``"invalid"``), so a form or the
    API can put the message next to the field it concerns, as Django's
    ``ValidationError`` does.
    """

    #: The input a refusal of this class is about when the raiser names none.
    default_field: str | None = None

    def __init__(self, message: str = "", *, field: str | None = None,
                 code: str = "invalid") -> None:
        super().__init__(message)
        self.field = field if field is not None else self.default_field
        self.code = code


class InvalidAmount(InvalidInput, CarepayError, ValueError):
    """An amount is zero, negative, too precise for its currency, or too large."""

    default_field = "amount"


class InvalidCurrency(InvalidInput, CarepayError, ValueError):
    """A currency code is not ISO 4217, or does not match the invoice's."""

    default_field = "currency"


class InvalidProof(InvalidInput, CarepayError, ValueError):
    """A proof-of-payment upload is too large or not a PDF, PNG or JPEG."""

    default_field = "proof"


class InvalidState(CarepayError):
    """The invoice or payment is not in a state that allows what was asked."""


class WouldOverpay(InvalidState):
    """Recording this money would take the invoice above its total.

    ``situation`` says so in plain words (for staff pages, which add how to choose the
    overpayment there); ``excess`` is by how much; ``override`` names the service's
    keyword argument that records it on purpose (``allow_overpayment``,
    ``allow_pending_transfers``), which the message mentions for programmers.
    """

    def __init__(self, situation: str, *, excess: Decimal, override: str,
                 advice: str) -> None:
        super().__init__(f"{situation} {advice}")
        self.situation = situation
        self.excess = excess
        self.override = override


class ChangedMeanwhile(InvalidState):
    """The invoice changed after the page asking for this action was shown (another
    member of staff, the payer, a provider, or the same form sent twice), so nothing
    was done: look at it again before acting."""


class AlreadyDecided(InvalidState):
    """A payment awaiting approval was already approved or rejected."""


class InvoiceBusy(InvalidState):
    """Another request holds the invoice (it is talking to the payment provider) and
    this one gave up waiting for it (PostgreSQL ``lock_timeout``); try again later."""


class PermissionRefused(CarepayError, PermissionError):
    """The acting user may not do this (e.g. approve a payment they submitted)."""


class UnknownBackend(CarepayError, KeyError):
    """No payment backend is configured under that alias."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class BackendNotAvailable(CarepayError):
    """The backend exists but cannot take this invoice (currency, country, kind)."""


class ProviderError(CarepayError):
    """The payment provider refused a request or could not be reached."""

    def __init__(self, message: str, *, code: str = "", backend: str = "",
                 refused: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.backend = backend
        #: The provider answered, and said no: the same request would get the same
        #: answer (a lost answer or an outage is not a refusal: nothing is known).
        self.refused = refused


class ProviderMismatch(CarepayError):
    """A provider reported money that cannot be credited as is (unknown payment,
    wrong currency, a refund larger than what was received). Stored and flagged."""


class InvalidProviderData(CarepayError, ValueError):
    """A provider's message has a field of a shape or type it never sends (an amount
    that is not an integer number of minor units, an unknown currency, metadata that is
    not an object). Nothing is credited from it; a webhook carrying it is refused."""


class ProviderNotReady(ProviderError):
    """A provider reported something that depends on a fact not recorded yet (a refund
    before its charge). The webhook answers 500 so the provider delivers it again."""


class RefundReversed(ProviderMismatch):
    """Deprecated, no longer raised: kept importable for code that catches it.

    A refund that fails at the provider is recorded (a ``refund_reversal`` in the
    ledger) and is a successful outcome, not a refusal: the services now return what
    staff must be told instead of raising it, and flag the webhook delivery."""


class InvalidLink(CarepayError):
    """A payment link is forged, malformed or expired."""


class CarepayConfigurationError(ImproperlyConfigured):
    """A ``CAREPAY`` setting is missing or wrong; the message names the setting."""


class MissingDependency(CarepayConfigurationError):
    """An optional dependency is not installed; the message names the pip extra."""


class WebhookVerificationError(SuspiciousOperation):
    """A webhook delivery could not be verified (signature, timestamp, body)."""


class LedgerImmutable(Exception):
    """Raised when code tries to change or delete a ledger row (a programming error,
    so not a :class:`CarepayError`: nothing should catch it as a refusal)."""

