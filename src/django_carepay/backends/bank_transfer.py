"""Bank transfers and other offline methods: the payer pays outside, then submits a
confirmation that staff approve or reject.

Configure one instance per method, each with the countries and currencies it serves::

    "bank_transfer_pk": {
        "BACKEND": "django_carepay.backends.bank_transfer.BankTransferBackend",
        "OPTIONS": {
            "label": "Bank transfer (Pakistan)",
            "instructions": "Transfer {{ amount_due }} to the account below, quoting "
                            "{{ reference }}.",
            "account": {"Account name": "Acme Ltd", "IBAN": "PK36SCBL0000001123456702"},
            "countries": ["PK"],
            "currencies": ["PKR", "USD"],
        },
    }
"""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.core import checks
from django.template import Context, Engine, TemplateSyntaxError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import Payment
from ..money import format_money
from ..types import ActionKind, PaymentAction
from .base import BasePaymentBackend, OfflineRefunds

if TYPE_CHECKING:
    from django.http import HttpRequest

    from ..models import Invoice

DEFAULT_INSTRUCTIONS = _(
    "Please transfer {{ amount_due }} to the account below and quote the reference "
    "{{ reference }} so we can match your payment. Then tell us about it with the form "
    "below."
)

# A small engine of its own: instructions are settings, rendered with autoescape on
# and no access to the project's template tags or loaders.
_engine = Engine(autoescape=True)


class BankTransferBackend(OfflineRefunds, BasePaymentBackend):
    """The payer transfers the money and submits a confirmation; staff decide.

    Options: ``label``; ``instructions`` (a Django template string; context
    ``invoice``, ``amount_due`` (formatted), ``reference``, ``account``); ``account``
    (a mapping of account details shown to the payer, in order); ``reference_format``
    (``str.format`` pattern with ``{number}`` and ``{public_id}``, default ``{number}``);
    ``iban``, ``bic`` and ``beneficiary`` (the account in machine-readable form: shown
    with the account details, and on an open EUR invoice's PDF as an EPC "GiroCode"
    QR; checked with schwifty, the ``[iban]`` extra, when it is installed); and the
    common ``currencies`` and ``countries``.
    """

    requires_approval = True
    # Money sent back by bank transfer is recorded by staff, as for cash
    # (OfflineRefunds: staff send the money back themselves; recording it is the
    # whole refund).
    option_names = frozenset({"instructions", "account", "reference_format",
                              "iban", "bic", "beneficiary"})

    @property
    def iban(self) -> str:
        """The ``iban`` option without spaces, upper case; ``""`` when there is none."""
        return "".join(str(self.options.get("iban") or "").split()).upper()

    @property
    def bic(self) -> str:
        return "".join(str(self.options.get("bic") or "").split()).upper()

    @property
    def beneficiary(self) -> str:
        return str(self.options.get("beneficiary") or "").strip()

    @property
    def account(self) -> Mapping[str, str]:
        """``account``, then the beneficiary, IBAN and BIC options it does not already
        show, so the payer sees what the PDF's QR code pays.

        Each label is translated here, in the language active when the details are
        shown: mark labels in settings with ``gettext_noop("Account name")`` (a lazy
        string cannot be a key of a dict built while settings load) and translate them
        in the host's catalogue; a label no catalogue has (``"IBAN"``) stays as it is.
        Values may be lazy translations."""
        details = {gettext(str(label)) if str(label) else "": str(value)
                   for label, value in dict(self.options.get("account") or {}).items()}
        shown = {label.upper() for label in details}
        for key, label, value in (("BENEFICIARY", gettext("Beneficiary"), self.beneficiary),
                                  ("IBAN", "IBAN", self.iban), ("BIC", "BIC", self.bic)):
            if value and key not in shown and label.upper() not in shown:
                details[label] = value
        return details

    def payment_reference(self, invoice: Invoice) -> str:
        """The reference the payer should quote with their transfer."""
        pattern = str(self.options.get("reference_format") or "{number}")
        return pattern.format(number=invoice.number or "", public_id=invoice.public_id)

    def render_instructions(self, invoice: Invoice) -> str:
        """The payer's instructions for ``invoice``, as safe HTML."""
        template = _engine.from_string(str(self.options.get("instructions")
                                           or DEFAULT_INSTRUCTIONS))
        return template.render(Context({
            "invoice": invoice,
            "amount_due": format_money(invoice.amount_due, invoice.currency),
            "reference": self.payment_reference(invoice),
            "account": self.account,
        }))

    def payment_instructions(self, invoice: Invoice) -> PaymentAction:
        """The instructions, account details and reference shown with the form."""
        return PaymentAction(
            kind=ActionKind.INSTRUCTIONS, template="carepay/backends/bank_transfer.html",
            context={"instructions": self.render_instructions(invoice),
                     "account": self.account,
                     "reference": self.payment_reference(invoice)},
        )

    def start(self, payment: Payment, request: HttpRequest | None) -> PaymentAction:
        return self.payment_instructions(payment.invoice)

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        messages = super().check(**kwargs)
        where = f"CAREPAY['BACKENDS'][{self.alias!r}]['OPTIONS']"
        try:
            _engine.from_string(str(self.options.get("instructions") or DEFAULT_INSTRUCTIONS))
        except TemplateSyntaxError as exc:
            messages.append(checks.Error(f"{where}['instructions'] is not a valid template: "
                                         f"{exc}", id="carepay.E020"))
        if not isinstance(self.options.get("account", {}), Mapping):
            messages.append(checks.Error(
                f"{where}['account'] must be a mapping of label to value, e.g. "
                "{'IBAN': 'GB…'}.", id="carepay.E021"))
        pattern = str(self.options.get("reference_format") or "{number}")
        try:
            # The same types payment_reference() formats with: a UUID, not a str.
            pattern.format(number="INV-2026-00001", public_id=uuid.uuid4())
        except Exception as exc:  # any error here would be a 500 on the pay page
            messages.append(checks.Error(
                f"{where}['reference_format'] {pattern!r} is not valid: {exc!r}; use "
                "{number} and {public_id}.", id="carepay.E022"))
        return messages + self._check_bank_codes(where)

    def _check_bank_codes(self, where: str) -> list[checks.CheckMessage]:
        """``carepay.E023`` an invalid ``iban``, ``carepay.E024`` an invalid ``bic``;
        nothing to say without schwifty (the ``[iban]`` extra)."""
        if not (self.iban or self.bic) or importlib.util.find_spec("schwifty") is None:
            return []
        from schwifty import BIC, IBAN
        from schwifty.exceptions import SchwiftyException

        messages: list[checks.CheckMessage] = []
        for value, kind, check_id in ((self.iban, IBAN, "carepay.E023"),
                                      (self.bic, BIC, "carepay.E024")):
            if not value:
                continue
            try:
                kind(value)
            except SchwiftyException as exc:
                name = kind.__name__.lower()
                messages.append(checks.Error(
                    f"{where}[{name!r}] {value!r} is not a valid {kind.__name__}: {exc}",
                    id=check_id))
        return messages
