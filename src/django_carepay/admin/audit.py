"""The audit trail in the admin: append-only, so read-only here."""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..models import AuditEntry
from ..money import display_money
from .display import ReadOnlyAdminMixin


class InvoiceFilter(admin.SimpleListFilter):
    """``?invoice=<number or public id>``: one invoice's entries (the invoice page links
    here). Not listed as choices: there are as many invoices as entries."""

    title = _("invoice")
    parameter_name = "invoice"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        value = self.value()
        return [(value, value)] if value else []

    def queryset(self, request: HttpRequest, queryset: models.QuerySet[AuditEntry]
                 ) -> models.QuerySet[AuditEntry]:
        value = self.value()
        if not value:
            return queryset
        match = models.Q(invoice__number=value)
        with contextlib.suppress(ValueError):
            match |= models.Q(invoice__public_id=uuid.UUID(value))
        return queryset.filter(match)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who did what to the money; nobody adds, changes or deletes an entry here."""

    list_display = ("created_at", "actor", "action", "invoice", "payment", "amount_display",
                    "from_status", "to_status")
    list_filter = ("action", ("user", admin.RelatedOnlyFieldListFilter), "actor",
                   InvoiceFilter)
    list_select_related = ("invoice", "payment", "user")
    search_fields = ("actor", "invoice__number", "payment__reference",
                     "payment__provider_reference")
    date_hierarchy = "created_at"
    fields = ("created_at", "actor", "user", "action", "invoice", "payment",
              "amount_display", "currency", "from_status", "to_status", "detail_display")
    readonly_fields = ("amount_display", "detail_display")

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, entry: AuditEntry) -> str:
        return "—" if entry.amount is None else display_money(entry.amount, entry.currency)

    @admin.display(description=_("detail"))
    def detail_display(self, entry: AuditEntry) -> str:
        return format_html("<pre>{}</pre>", json.dumps(entry.detail, indent=2, sort_keys=True))

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[AuditEntry]:
        return super().get_queryset(request).select_related("invoice", "payment", "user")
