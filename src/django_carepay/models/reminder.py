"""Reminders of unpaid invoices, one row per step of ``CAREPAY["REMINDER_SCHEDULE"]``."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class InvoiceReminder(models.Model):
    """One reminder step claimed for one invoice, by ``carepay_send_reminders``.

    ``(invoice, step)`` is unique: the row is inserted (claimed) before the e-mail is
    queued for the commit, so two runs at once remind an invoice at most once per
    step; the one that loses the insert skips it. ``sent_at`` is filled once the
    e-mail was handed to the mail server; empty means claimed but not sent (no
    address, the server refused, or the invoice was paid meanwhile), which the audit
    shows and no later run retries.
    """

    invoice = models.ForeignKey("carepay.Invoice", on_delete=models.CASCADE,
                                related_name="reminders", verbose_name=_("invoice"))
    step = models.IntegerField(
        _("step"), help_text=_("Days relative to the due date (negative: before it)."))
    created_at = models.DateTimeField(_("claimed at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invoice reminder")
        verbose_name_plural = _("invoice reminders")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "step"],
                                    name="carepay_reminder_once_per_step"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice} reminder at day {self.step:+d}"
