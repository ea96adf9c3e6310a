"""Payments: one attempt to pay an invoice through one backend."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

from ..money import normalize
from ..permissions import APPROVE_PAYMENT, RECORD_PAYMENT, REFUND_PAYMENT, codename
from ..proofs import proof_upload_to
from .fields import MoneyField
from .files import receipt_upload_to
from .invoice import Invoice
from .states import ConcurrentStates


class PaymentQuerySet(models.QuerySet["Payment"]):
    """Selectors for payments."""

    def awaiting_approval(self) -> PaymentQuerySet:
        """Submitted payments waiting for staff, oldest first."""
        return self.filter(status=Payment.Status.AWAITING_APPROVAL).order_by("created_at", "id")

    def received(self) -> PaymentQuerySet:
        """Payments whose money was received (possibly refunded since)."""
        return self.filter(status__in=Payment.RECEIVED)


class Payment(ConcurrentStates, models.Model):
    """One attempt to pay an invoice through one backend (alias).

    Its status follows the provider (``pending`` → ``processing`` → ``succeeded``) or
    the staff's decision (``awaiting_approval`` → ``succeeded`` | ``failed``). Money
    received or handed back is recorded in the ledger, never only here.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PROCESSING = "processing", _("Processing")
        AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        REFUNDED = "refunded", _("Refunded")

    #: States in which money was received (and may be refunded).
    RECEIVED = (Status.SUCCEEDED, Status.PARTIALLY_REFUNDED, Status.REFUNDED)
    #: States in which the payment is still in flight.
    IN_FLIGHT = (Status.PENDING, Status.PROCESSING, Status.AWAITING_APPROVAL)

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    # Indexed by carepay_payment_invoice_status (invoice, status).
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="payments",
        db_index=False,
    )
    # Not indexed on its own: a handful of aliases make a useless index, and one here
    # lures the planner away from (backend, provider_reference) on fresh tables.
    backend = models.CharField(_("backend"), max_length=64)
    status = FSMField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING,
        protected=True,
    )
    amount = MoneyField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    amount_received = MoneyField(
        _("amount received"), help_text=_("Ledger charges for this payment.")
    )
    amount_refunded = MoneyField(_("amount refunded"))
    provider_reference = models.CharField(
        _("provider reference"), max_length=255, blank=True,
        help_text=_("The provider's id for this payment, e.g. a Stripe PaymentIntent pi_…"),
    )
    reference = models.CharField(
        _("reference"), max_length=255, blank=True,
        help_text=_("The payer's or staff's reference, e.g. a bank transfer reference."),
    )
    notes = models.TextField(_("notes"), blank=True)
    paid_on = models.DateField(
        _("paid on"), null=True, blank=True,
        help_text=_("The date the payer says they paid (offline payments)."),
    )
    proof = models.FileField(
        _("proof of payment"), upload_to=proof_upload_to, blank=True, max_length=255,
        help_text=_("Served only to staff and the payer, never from a public URL."),
    )
    # Written once (a conditional UPDATE), by django_carepay.documents only.
    receipt = models.FileField(
        _("receipt"), upload_to=receipt_upload_to, blank=True, max_length=255,
        editable=False,
        help_text=_("The receipt PDF as first rendered; every download is this file."),
    )
    # Indexed only where set (Meta.indexes): most payments are a provider's, and an
    # index of their NULLs would only cost each payment's writes.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", db_index=False,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", db_index=False,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_notes = models.TextField(_("decision notes"), blank=True)
    failure_code = models.CharField(_("failure code"), max_length=100, blank=True)
    failure_message = models.TextField(_("failure message"), blank=True)
    idempotency_key = models.UUIDField(
        _("idempotency key"), default=uuid.uuid4, unique=True, editable=False
    )
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    succeeded_at = models.DateTimeField(_("succeeded at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        indexes = [
            # An invoice's payments in a state (pending ones to cancel when it settles,
            # in-flight ones before a void). Not status alone: nearly every payment
            # shares a handful of statuses, and on a fresh table the planner would pick
            # such an index over the invoice's.
            models.Index(fields=["invoice", "status"], name="carepay_payment_invoice_status"),
            # The approvals queue, oldest first.
            models.Index(fields=["created_at"], condition=Q(status="awaiting_approval"),
                         name="carepay_payment_awaiting"),
            # Payments started in a date range, oldest first (the dashboard, the export).
            models.Index(fields=["created_at", "id"], name="carepay_payment_created"),
            # A user's payments (and SET NULL when the user is deleted).
            models.Index(fields=["recorded_by"], condition=Q(recorded_by__isnull=False),
                         name="carepay_payment_recorded_by"),
            models.Index(fields=["decided_by"], condition=Q(decided_by__isnull=False),
                         name="carepay_payment_decided_by"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["backend", "provider_reference"],
                condition=~Q(provider_reference=""),
                name="carepay_payment_provider_ref_unique",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(amount_received__gte=0)
                & Q(amount_refunded__gte=0) & Q(amount_refunded__lte=models.F("amount_received")),
                name="carepay_payment_amounts_valid",
            ),
        ]
        permissions = [
            (codename(RECORD_PAYMENT), _("Can record manual payments")),
            (codename(APPROVE_PAYMENT), _("Can approve or reject submitted payments")),
            (codename(REFUND_PAYMENT), _("Can refund payments")),
        ]

    def __str__(self) -> str:
        amount = normalize(self.amount, self.currency) if self.currency else self.amount
        return f"{self.backend} {amount} {self.currency} ({self.get_status_display()})"

    @property
    def refundable_amount(self) -> Decimal:
        """What may still be refunded: received and not yet handed back."""
        if self.status not in (self.Status.SUCCEEDED, self.Status.PARTIALLY_REFUNDED):
            return Decimal(0)
        return normalize(self.amount_received - self.amount_refunded, self.currency)

    # -- transitions (state only; services do the rest) ---------------------------
    @transition(field=status, source=Status.PENDING, target=Status.PROCESSING)
    def _mark_processing(self) -> None:
        pass

    @transition(field=status, source=Status.PENDING, target=Status.AWAITING_APPROVAL)
    def _submit(self) -> None:
        pass

    # Money a provider confirms is recorded even after we marked the attempt failed
    # or cancelled (a declined card then a good one on the same PaymentIntent).
    @transition(
        field=status,
        source=[Status.PENDING, Status.PROCESSING, Status.AWAITING_APPROVAL,
                Status.FAILED, Status.CANCELLED],
        target=Status.SUCCEEDED,
    )
    def _succeed(self) -> None:
        pass

    @transition(
        field=status, source=[Status.PENDING, Status.PROCESSING, Status.AWAITING_APPROVAL],
        target=Status.FAILED,
    )
    def _fail(self) -> None:
        pass

    @transition(field=status, source=[Status.PENDING, Status.PROCESSING],
                target=Status.CANCELLED)
    def _cancel(self) -> None:
        pass

    @transition(field=status, source=[Status.SUCCEEDED, Status.PARTIALLY_REFUNDED],
                target=Status.PARTIALLY_REFUNDED)
    def _refund_partially(self) -> None:
        pass

    @transition(field=status, source=[Status.SUCCEEDED, Status.PARTIALLY_REFUNDED],
                target=Status.REFUNDED)
    def _refund_fully(self) -> None:
        pass

    # More money confirmed for a payment whose money was all handed back (a second
    # charge, a slow one clearing): it holds money again, which may be refunded.
    @transition(field=status, source=Status.REFUNDED, target=Status.PARTIALLY_REFUNDED)
    def _receive_after_refund(self) -> None:
        pass

    # A refund that failed at the provider gives the money back to us.
    @transition(field=status, source=[Status.PARTIALLY_REFUNDED, Status.REFUNDED],
                target=Status.PARTIALLY_REFUNDED)
    def _reverse_refund_partially(self) -> None:
        pass

    @transition(field=status, source=[Status.PARTIALLY_REFUNDED, Status.REFUNDED],
                target=Status.SUCCEEDED)
    def _reverse_refund_fully(self) -> None:
        pass
