"""The audit trail: who did what to the money, append-only like the ledger."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..exceptions import LedgerImmutable
from .fields import MoneyField
from .invoice import Invoice
from .payment import Payment


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    """Audit entries can be added, never updated or deleted."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise LedgerImmutable("Audit entries are append-only; they cannot be changed.")

    def delete(self) -> NoReturn:
        raise LedgerImmutable("Audit entries are append-only and cannot be deleted.")

    def last_reconciliation(self, backend: str | None = None) -> AuditEntry | None:
        """The latest ``carepay_reconcile`` run (of ``backend``, if given), or ``None``;
        its ``detail`` holds the period and the differences found and fixed."""
        qs = self.filter(action=AuditEntry.Action.RECONCILED)
        if backend:
            qs = qs.filter(detail__backend=backend)
        return qs.order_by("-created_at", "-pk").first()


class AuditEntry(models.Model):
    """One staff or provider-driven action on the money: issuing, voiding and writing
    off invoices, recording, approving, rejecting, cancelling and refunding payments,
    what a provider reported, webhook replays and reconciliations.

    Written by the services inside the transaction of the action itself, so an entry
    exists exactly when the action committed. ``actor`` says who: the user's name
    (kept when the user is deleted), ``provider:<alias>`` or ``system``.
    """

    class Action(models.TextChoices):
        INVOICE_ISSUED = "invoice_issued", _("Invoice issued")
        INVOICE_VOIDED = "invoice_voided", _("Invoice voided")
        INVOICE_WRITTEN_OFF = "invoice_written_off", _("Invoice written off")
        PAYMENT_RECORDED = "payment_recorded", _("Payment recorded")
        PAYMENT_APPROVED = "payment_approved", _("Payment approved")
        PAYMENT_REJECTED = "payment_rejected", _("Payment rejected")
        PAYMENT_CANCELLED = "payment_cancelled", _("Payment cancelled")
        PAYMENT_REFUNDED = "payment_refunded", _("Payment refunded")
        PROVIDER_UPDATE = "provider_update", _("Provider update")
        WEBHOOK_REPLAYED = "webhook_replayed", _("Webhook replayed")
        RECONCILED = "reconciled", _("Reconciled with the provider")

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.CharField(
        _("who"), max_length=191,
        help_text=_("The user's name, provider:<alias> or system."))
    # Indexed only where set (Meta.indexes): a provider's or the system's entries
    # have no user.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", db_index=False,
    )
    action = models.CharField(_("action"), max_length=40, choices=Action.choices)
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="audit_entries",
    )
    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="audit_entries",
    )
    amount = MoneyField(_("amount"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["action", "created_at"], name="carepay_audit_action_idx"),
            models.Index(fields=["user"], condition=Q(user__isnull=False),
                         name="carepay_audit_user"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.get_action_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise LedgerImmutable("Audit entries are append-only; they cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise LedgerImmutable("Audit entries are append-only and cannot be deleted.")
