"""Reminders sent by ``carepay_send_reminders`` in the admin: an audit, read-only."""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..models import InvoiceReminder
from .display import ReadOnlyAdminMixin


@admin.register(InvoiceReminder)
class InvoiceReminderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Which invoice was reminded at which step, and whether the e-mail went (an
    empty "sent at" is a reminder claimed but not sent: no address, or the mail
    server refused; the log has why)."""

    list_display = ("invoice", "step", "created_at", "sent_at")
    list_filter = (("sent_at", admin.EmptyFieldListFilter), "step")
    search_fields = ("invoice__number", "invoice__billing_email")
    date_hierarchy = "created_at"
    fields = ("invoice", "step", "created_at", "sent_at")
    readonly_fields = fields
    verbose_name = _("invoice reminder")

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[InvoiceReminder]:
        return super().get_queryset(request).select_related("invoice")
