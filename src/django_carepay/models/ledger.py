"""The ledger: an append-only record of money that moved."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..exceptions import LedgerImmutable as LedgerImmutable  # still importable here
from .fields import MoneyField
from .invoice import Invoice
from .payment import Payment


class TransactionQuerySet(models.QuerySet["Transaction"]):
    """Ledger rows can be added, never updated or deleted."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise LedgerImmutable(
            "Ledger rows are append-only; record a new refund or adjustment instead."
        )

    def delete(self) -> NoReturn:
        raise LedgerImmutable("Ledger rows are append-only and cannot be deleted.")

    def charges(self) -> TransactionQuerySet:
        return self.filter(kind=Transaction.Kind.CHARGE)

    def refunds(self) -> TransactionQuerySet:
        return self.filter(kind=Transaction.Kind.REFUND)


class Transaction(models.Model):
    """One movement of money: a ``charge`` received, a ``refund`` handed back, or a
    ``refund_reversal`` (a refund that failed at the provider, so the money is back).

    Amounts are always positive; ``kind`` gives the direction. When the provider
    gives the movement an id (a charge ``ch_…`` or refund ``re_…``), it is stored in
    ``provider_reference``, unique per backend: the same movement reported twice (a
    webhook and the return page, or ``charge.refunded`` and ``refund.updated``) can
    only ever be written once.
    """

    class Kind(models.TextChoices):
        CHARGE = "charge", _("Charge")
        # A noun here ("Erstattung"), where the buttons' "Refund" is a verb.
        REFUND = "refund", pgettext_lazy("ledger movement", "Refund")
        #: A refund the provider accepted and later failed: the money came back.
        REFUND_REVERSAL = "refund_reversal", _("Refund reversed")

    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="transactions"
    )
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="transactions"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = MoneyField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    backend = models.CharField(_("backend"), max_length=64)
    # NULL, not "", for entries without a provider id: NULLs never collide in the
    # (backend, provider_reference) unique constraint on any database.
    provider_reference = models.CharField(  # noqa: DJ001
        _("provider reference"), max_length=255, null=True, blank=True,
        help_text=_("The provider's id for this movement (charge or refund id)."),
    )
    # Indexed only where set (Meta.indexes): a provider's movements have no user.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", db_index=False,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True)

    objects = TransactionQuerySet.as_manager()

    #: Not stored: set on the refund ``services.refund_payment`` returns when the
    #: provider replayed a refund already recorded (its first answer was lost and the
    #: provider's notification recorded it), so nothing moved this time. A caller that
    #: says "Refunded" should say so instead; asking again is a new refund.
    replayed: bool = False

    class Meta:
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger")
        ordering = ["created_at", "id"]
        indexes = [
            # Money moved in a date range (the dashboard's totals and per-day chart).
            models.Index(fields=["created_at"], name="carepay_ledger_created"),
            models.Index(fields=["created_by"], condition=Q(created_by__isnull=False),
                         name="carepay_ledger_created_by"),
        ]
        constraints = [
            # NULLs are distinct on every backend Django supports, so manual entries
            # without a provider id never collide.
            models.UniqueConstraint(
                fields=["backend", "provider_reference"], name="carepay_ledger_provider_ref_unique"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="carepay_ledger_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise LedgerImmutable(
                "Ledger rows are append-only; record a new refund or adjustment instead."
            )
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise LedgerImmutable("Ledger rows are append-only and cannot be deleted.")


def kept_amount(path: str = "") -> models.Case:
    """A ledger row's amount as money kept, for sums: a refund counts against, a charge
    or a refund reversal for (``path`` reaches the ledger from another model, e.g.
    ``"transactions__"`` from an invoice)."""
    return models.Case(
        models.When(**{f"{path}kind": Transaction.Kind.REFUND}, then=-models.F(f"{path}amount")),
        default=models.F(f"{path}amount"),
        output_field=models.DecimalField(max_digits=14, decimal_places=3))
