"""Invoices and their lines."""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager, nullcontext
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.db.models.lookups import GreaterThan
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import FSMField, transition

from ..money import normalize
from ..permissions import VIEW_DASHBOARD, VOID_INVOICE, codename
from .fields import MoneyField
from .files import invoice_document_upload_to
from .states import ConcurrentStates

if TYPE_CHECKING:
    from .payment import Payment  # noqa: F401


#: Money an invoice kept: received less refunded.
KEPT = models.F("amount_paid") - models.F("amount_refunded")
#: Invoices that kept more than they are owed (see ``InvoiceQuerySet.needing_refund``).
#: One condition for the selector and the partial index that serves it: PostgreSQL uses
#: a partial index only for a query whose WHERE clause matches the index's.
NEEDS_REFUND = Q(GreaterThan(KEPT, models.F("total"))) | Q(
    Q(status__in=("void", "refunded")) & Q(GreaterThan(KEPT, 0)))


class InvoiceQuerySet(models.QuerySet["Invoice"]):
    """Selectors for invoices."""

    def for_subject(self, obj: models.Model) -> InvoiceQuerySet:
        """Invoices billing the host object ``obj`` (as their subject)."""
        return self.filter(
            subject_content_type=ContentType.objects.get_for_model(obj),
            subject_object_id=str(obj.pk),
        )

    def for_line_subject(self, obj: models.Model) -> InvoiceQuerySet:
        """Invoices with a line billing the host object ``obj`` (a cart's item)."""
        return self.filter(
            lines__subject_content_type=ContentType.objects.get_for_model(obj),
            lines__subject_object_id=str(obj.pk),
        ).distinct()

    def collectible(self) -> InvoiceQuerySet:
        """Issued invoices that still expect money (open or overdue)."""
        return self.filter(status__in=Invoice.COLLECTIBLE)

    def overdue_candidates(self, today: date) -> InvoiceQuerySet:
        """Open invoices whose due date is before ``today``."""
        return self.filter(status=Invoice.Status.OPEN, due_date__lt=today)

    def needing_refund(self) -> InvoiceQuerySet:
        """Invoices that kept more than they are owed: overpaid (payments raced), or
        void with money received (a provider confirmed a payment after the void), or
        refunded yet holding money again that does not pay them in full (money that
        covers the total pays a refunded invoice again)."""
        return self.filter(NEEDS_REFUND)


class Invoice(ConcurrentStates, models.Model):
    """A bill for something in the host's domain.

    Drafts are editable and have no number. :func:`~django_carepay.services.issue_invoice`
    gives the invoice its number, freezes its lines and billing snapshot, and opens it
    for payment. ``amount_paid`` and ``amount_refunded`` are totals of the ledger
    (:class:`~django_carepay.models.Transaction`) kept on the row by the services, which
    update them under the same row lock that writes the ledger.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        OVERDUE = "overdue", _("Overdue")
        PAID = "paid", _("Paid")
        VOID = "void", pgettext_lazy("invoice status", "Void")
        UNCOLLECTIBLE = "uncollectible", _("Uncollectible")
        REFUNDED = "refunded", _("Refunded")

    #: States in which the invoice expects money.
    COLLECTIBLE = (Status.OPEN, Status.OVERDUE)

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    # Unique by a constraint (Meta.constraints), not unique=True: that would add, on
    # PostgreSQL, a second index for LIKE 'prefix%' that no search uses (they all look
    # for a part of the number), written again by every update of the invoice. NULL,
    # not "", for drafts: NULLs never clash in it.
    number = models.CharField(  # noqa: DJ001
        _("number"), max_length=64, null=True, blank=True, editable=False,
        help_text=_("Given when the invoice is issued; drafts have none."),
    )
    # Indexed by carepay_invoice_due (status, due_date) and carepay_invoice_status_issued
    # (status, issued_at), which serve every look-up by status; an index on the column
    # alone (and its LIKE twin) would only cost every write of an invoice.
    status = FSMField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT,
        protected=True,
    )
    currency = models.CharField(_("currency"), max_length=3)
    # Indexed by carepay_invoice_payer (customer, status, issued_at), which serves every
    # look-up by customer; a second index on the column alone would only cost writes.
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("customer"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="carepay_invoices", db_index=False,
    )

    # Billing snapshot, frozen when the invoice is issued.
    billing_name = models.CharField(_("billing name"), max_length=200, blank=True)
    billing_email = models.EmailField(_("billing e-mail"), blank=True)
    billing_address = models.TextField(_("billing address"), blank=True)
    billing_country = models.CharField(_("billing country"), max_length=2, blank=True)
    billing_tax_id = models.CharField(_("billing tax id"), max_length=64, blank=True)
    billing_language = models.CharField(
        _("billing language"), max_length=35, blank=True,
        help_text=_("The payer's language (one of LANGUAGES, e.g. 'de') for the e-mails "
                    "and PDFs sent to them; blank: the language active when they are sent."))

    # The host object this invoice bills for (an appointment, a sign-up, a lesson).
    # Indexed by carepay_invoice_subject (content type, object id).
    subject_content_type = models.ForeignKey(
        ContentType, verbose_name=_("subject type"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+", db_index=False,
    )
    subject_object_id = models.CharField(_("subject id"), max_length=64, blank=True)
    subject = GenericForeignKey("subject_content_type", "subject_object_id")

    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    closed_at = models.DateTimeField(
        _("closed at"), null=True, blank=True,
        help_text=_("When the invoice was voided or written off."),
    )
    close_reason = models.TextField(_("close reason"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    # Set when the invoice is issued (its lines are frozen then), so signals about an
    # invoice without line subjects never look at its lines (services/_senders.py).
    has_line_subjects = models.BooleanField(
        _("has line subjects"), default=False, editable=False,
        help_text=_("Some of its lines bill for their own host objects (a cart)."),
    )
    # Written once (a conditional UPDATE), by django_carepay.documents only.
    document = models.FileField(
        _("PDF"), upload_to=invoice_document_upload_to, blank=True, max_length=255,
        editable=False,
        help_text=_("The issued invoice as first rendered; every download is this file."),
    )

    subtotal = MoneyField(_("subtotal"))
    tax = MoneyField(_("tax"))
    total = MoneyField(_("total"))
    amount_paid = MoneyField(_("amount paid"))
    amount_refunded = MoneyField(_("amount refunded"))

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["subject_content_type", "subject_object_id"],
                name="carepay_invoice_subject",
            ),
            models.Index(fields=["status", "due_date"], name="carepay_invoice_due"),
            # A payer's invoices, by status, newest first (the payer portal's list and
            # its summary cards).
            models.Index(fields=["customer", "status", "issued_at"],
                         name="carepay_invoice_payer"),
            # Every invoice newest first: the default ordering, which the staff list's
            # "newest" and "oldest" sorts use, a page at a time.
            models.Index(fields=["created_at", "id"], name="carepay_invoice_created"),
            # Invoices issued in a date range (the dashboard, the CSV export, the staff
            # list's dates), oldest first; with a status filter.
            models.Index(fields=["issued_at", "id"], name="carepay_invoice_issued"),
            models.Index(fields=["status", "issued_at"], name="carepay_invoice_status_issued"),
            # The few invoices to refund (the dashboard's "needs attention"), most
            # recently changed first, without reading every invoice.
            models.Index(fields=["updated_at"], condition=NEEDS_REFUND,
                         name="carepay_invoice_to_refund"),
        ]
        constraints = [
            # No condition: NULLs (drafts) never clash, and MariaDB/MySQL would skip
            # a conditional one.
            models.UniqueConstraint(fields=["number"], name="carepay_invoice_number_unique"),
            models.CheckConstraint(
                condition=Q(amount_paid__gte=0) & Q(amount_refunded__gte=0)
                & Q(amount_refunded__lte=models.F("amount_paid")),
                name="carepay_invoice_amounts_valid",
            ),
        ]
        permissions = [
            (codename(VOID_INVOICE), _("Can void and write off invoices")),
            (codename(VIEW_DASHBOARD), _("Can view the billing dashboard")),
        ]

    def __str__(self) -> str:
        return self.number or _("Draft invoice %(id)s") % {"id": self.pk}

    # -- derived amounts ---------------------------------------------------------
    @property
    def net_paid(self) -> Decimal:
        """Money received and kept: charges less refunds."""
        return self.amount_paid - self.amount_refunded

    @property
    def amount_due(self) -> Decimal:
        """What the payer still owes; negative when the invoice was overpaid.

        On a settled or closed invoice a refund is a concession, not a new debt, so
        only an overpayment (a negative figure) is shown there. A void invoice owes
        nothing: any money it received is an overpayment.
        """
        # A void invoice owes nothing; nor does a refunded one (everything it was paid
        # was handed back as a concession): money it holds is all to refund, as
        # ``needing_refund()`` and the dashboard's EXCESS say.
        owed = (Decimal(0) if self.status in (self.Status.VOID, self.Status.REFUNDED)
                else self.total)
        outstanding = owed - self.net_paid
        if self.currency:
            outstanding = normalize(outstanding, self.currency)
        if self.status in (self.Status.DRAFT, *self.COLLECTIBLE):
            return outstanding
        return min(outstanding, Decimal(0).quantize(outstanding))  # same exponent either way

    @property
    def amount_payable(self) -> Decimal:
        """The amount due, never below zero: what a payer is shown as owing."""
        due = self.amount_due
        return max(due, Decimal(0).quantize(due))

    @property
    def amount_overpaid(self) -> Decimal:
        """What the invoice received beyond what it is owed (to be refunded), else 0."""
        due = self.amount_due
        return max(-due, Decimal(0).quantize(due))

    def overpayment_if_received(self, amount: Decimal) -> Decimal:
        """How much receiving ``amount`` more would put this invoice above what it is
        owed (its total; nothing once void), or 0. Unlike :attr:`amount_due`, a refund
        counts as money no longer held: a refunded invoice may be paid again."""
        owed = Decimal(0) if self.status == self.Status.VOID else self.total
        excess = self.net_paid + amount - owed
        if self.currency:
            excess = normalize(excess, self.currency)
        return max(excess, Decimal(0).quantize(excess))

    @property
    def is_payable(self) -> bool:
        """Whether a payer can pay this invoice now."""
        return self.status in self.COLLECTIBLE and self.amount_due > 0

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    def in_payers_language(self) -> AbstractContextManager[object]:
        """Inside, what is written to the payer (e-mails, the kept PDFs) is in
        ``billing_language``; the active language stays when it is blank."""
        if self.billing_language:
            return translation.override(self.billing_language)
        return nullcontext()

    @property
    def subject_model(self) -> type[models.Model]:
        """The class signals are sent with: the subject's model, else ``Invoice``."""
        if self.subject_content_type_id:
            model = ContentType.objects.get_for_id(self.subject_content_type_id).model_class()
            if model is not None:
                return model
        return Invoice

    # -- transitions (state only; services do the rest) ---------------------------
    @transition(field=status, source=Status.DRAFT, target=Status.OPEN)
    def _issue(self) -> None:
        pass

    # Uncollectible too: money in flight when the invoice was written off may still
    # arrive in full. Refunded too: a slow payment may clear after the money that paid
    # the invoice was handed back, and then the invoice holds its total again.
    @transition(field=status,
                source=[Status.OPEN, Status.OVERDUE, Status.UNCOLLECTIBLE, Status.REFUNDED],
                target=Status.PAID)
    def _settle(self) -> None:
        pass

    @transition(field=status, source=Status.OPEN, target=Status.OVERDUE)
    def _mark_overdue(self) -> None:
        pass

    def _nothing_received(self) -> bool:
        return self.net_paid == 0

    @transition(
        field=status, source=[Status.DRAFT, Status.OPEN, Status.OVERDUE], target=Status.VOID,
        conditions=[_nothing_received],  # type: ignore[list-item]  # stub types self as Model
    )
    def _void(self) -> None:
        pass

    @transition(
        field=status, source=[Status.OPEN, Status.OVERDUE], target=Status.UNCOLLECTIBLE,
    )
    def _write_off(self) -> None:
        pass

    @transition(field=status, source=Status.PAID, target=Status.REFUNDED)
    def _mark_refunded(self) -> None:
        pass

    @transition(field=status, source=Status.REFUNDED, target=Status.PAID)
    def _reverse_refund(self) -> None:
        """A refund failed at the provider: the money is back, the invoice paid."""


class InvoiceLine(models.Model):
    """One line of an invoice. Frozen once the invoice is issued."""

    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.CASCADE, related_name="lines"
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    description = models.CharField(_("description"), max_length=500)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3,
                                   default=Decimal(1))
    unit_price = MoneyField(_("unit price"))
    tax_rate = models.DecimalField(
        _("tax rate"), max_digits=6, decimal_places=3, default=Decimal(0),
        help_text=_("Percent, e.g. 20 for 20% VAT."),
    )
    service_date = models.DateField(_("service date"), null=True, blank=True)
    provider_name = models.CharField(_("provider"), max_length=200, blank=True)
    line_total = MoneyField(_("line total"), help_text=_("Quantity times unit price, before tax."))
    tax_amount = MoneyField(_("tax amount"))
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)

    # The host object this line bills for, when it is not the invoice's own subject
    # (a cart: lessons, workshop seats and a course on one invoice). Signals reach each
    # subject's model class with its own objects (services/_senders.py). Indexed by
    # carepay_line_subject (content type, object id).
    subject_content_type = models.ForeignKey(
        ContentType, verbose_name=_("subject type"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+", db_index=False,
    )
    subject_object_id = models.CharField(_("subject id"), max_length=64, blank=True)
    subject = GenericForeignKey("subject_content_type", "subject_object_id")

    # Set once by services.refund_line: the ledger refund that handed this line's amount
    # back (so refunding the line again refunds nothing more).
    refund = models.ForeignKey(
        "carepay.Transaction", verbose_name=_("refund"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="refunded_lines", editable=False,
        help_text=_("The refund of this line's amount, when it was refunded on its own."),
    )

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "position", "id"]
        indexes = [
            models.Index(fields=["subject_content_type", "subject_object_id"],
                         name="carepay_line_subject"),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def amount(self) -> Decimal:
        """What the payer pays for this line: its total with its tax."""
        return self.line_total + self.tax_amount

    @property
    def is_refunded(self) -> bool:
        """Whether this line's amount was refunded on its own (``refund_line``)."""
        return self.refund_id is not None
