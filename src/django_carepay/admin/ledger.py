"""The ledger and the webhook log in the admin: append-only records, read-only here."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import Transaction, WebhookEvent
from .actions import has_model_perm
from .display import ReadOnlyAdminMixin, money_display


class TransactionInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Ledger rows of an invoice or a payment; append-only, so read-only here."""

    model = Transaction
    fields = ("created_at", "kind", "amount_display", "backend", "provider_reference",
              "created_by", "note")
    readonly_fields = fields
    extra = 0
    verbose_name = _("ledger transaction")
    verbose_name_plural = _("ledger")

    amount_display = money_display("amount", _("amount"))

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Transaction]:
        return super().get_queryset(request).select_related("created_by")



@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The ledger: append-only, so nobody adds, changes or deletes a row here."""

    list_display = ("created_at", "kind", "amount_display", "invoice", "payment", "backend",
                    "provider_reference", "created_by")
    list_filter = ("kind", "backend", "currency")
    list_select_related = ("invoice", "payment", "created_by")
    search_fields = ("provider_reference", "invoice__number", "payment__reference", "note")
    date_hierarchy = "created_at"
    fields = ("invoice", "payment", "kind", "amount_display", "currency", "backend",
              "provider_reference", "created_by", "created_at", "note")
    readonly_fields = ("amount_display",)

    amount_display = money_display("amount", _("amount"), ordering="amount")


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every delivery received from a provider, as stored before it was trusted."""

    list_display = ("backend", "type", "event_id", "status", "needs_attention", "received_at")
    list_filter = ("status", "needs_attention", "type", "backend")
    search_fields = ("event_id", "type")
    date_hierarchy = "received_at"
    fields = ("backend", "event_id", "type", "status", "needs_attention", "error",
              "received_at", "processed_at", "payload_display", "headers_display")
    readonly_fields = ("payload_display", "headers_display")
    actions = ("reprocess",)

    @admin.action(description=_("Reprocess the selected deliveries"),
                  permissions=("reprocess",))
    def reprocess(self, request: HttpRequest, queryset: models.QuerySet[WebhookEvent]) -> None:
        """Apply the selected deliveries again through the services (as
        ``carepay_replay_webhooks`` does): a processed or ignored one changes nothing."""
        outcomes = services.replay_webhooks(queryset.order_by("received_at", "pk"),
                                            by=request.user)
        for outcome in outcomes:
            event = outcome.event
            if outcome.error:
                self.message_user(request, _("%(event)s failed again: %(error)s") % {
                    "event": event.event_id, "error": outcome.error}, messages.ERROR)
        applied = sum(1 for o in outcomes if not o.error and not o.duplicate)
        unchanged = sum(1 for o in outcomes if o.duplicate)
        if applied or unchanged:
            self.message_user(request, _(
                "%(applied)s delivery(ies) applied; %(unchanged)s already processed, "
                "unchanged.") % {"applied": applied, "unchanged": unchanged},
                messages.SUCCESS)

    def has_reprocess_permission(self, request: HttpRequest) -> bool:
        """Reprocessing may move money as the provider reported it: it needs the
        ``carepay.change_webhookevent`` permission (the page itself stays read-only)."""
        return has_model_perm(request, WebhookEvent, "change")

    @admin.display(description=_("payload"))
    def payload_display(self, event: WebhookEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(event.payload, indent=2, sort_keys=True))

    @admin.display(description=_("headers"))
    def headers_display(self, event: WebhookEvent) -> str:
        return format_html("<pre>{}</pre>", json.dumps(event.headers, indent=2, sort_keys=True))
