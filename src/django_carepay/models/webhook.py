"""Webhook deliveries, stored before they are trusted."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

#: Deliveries someone must look at: processing failed, or stored without being
#: credited (``needs_attention``: an unknown payment, a currency mismatch…). One
#: condition for the dashboard's query and the partial index that serves it.
NEEDS_LOOKING_AT = Q(status="failed") | Q(needs_attention=True)


class WebhookEvent(models.Model):
    """One delivery from a provider, as received.

    ``(backend, event_id)`` is unique: a provider re-delivering an event (or
    delivering it twice at once) finds the row already there and is answered 200
    without the event being processed again.
    """

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Ignored")
        FAILED = "failed", _("Failed")

    backend = models.CharField(_("backend"), max_length=64)
    event_id = models.CharField(_("event id"), max_length=255)
    type = models.CharField(_("type"), max_length=100, blank=True)
    payload = models.JSONField(_("payload"), default=dict)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveIntegerField(
        _("attempts"), default=0,
        help_text=_("Times a task worker tried to process it (task mode)."),
    )
    needs_attention = models.BooleanField(
        _("needs attention"), default=False,
        help_text=_("Stored but not credited: e.g. an unknown payment or a currency mismatch."),
    )

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-received_at", "-id"]
        indexes = [
            # The few deliveries someone must look at, latest first, among every delivery
            # ever received (the dashboard's "needs attention").
            models.Index(fields=["received_at"], condition=NEEDS_LOOKING_AT,
                         name="carepay_webhook_problems"),
            # Replays and the dashboard look for failed and unprocessed deliveries.
            models.Index(fields=["status", "received_at"], name="carepay_webhook_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["backend", "event_id"], name="carepay_webhook_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.backend} {self.type} {self.event_id}"
