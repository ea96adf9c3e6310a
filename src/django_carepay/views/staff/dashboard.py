"""The billing dashboard (``carepay:dashboard``): what came in, what is owed, what
needs someone — for a period of days, without opening the admin.

Needs ``carepay.view_dashboard`` (a styled 403 otherwise; anonymous visitors are sent
to log in). The figures come from :func:`django_carepay.reports.build_dashboard`, a
constant number of aggregate queries whatever the data size.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from ... import permissions
from ...conf import carepay_settings
from ...forms.filters import DashboardPeriodForm
from ...reports import Period, build_dashboard, presets, this_month
from ...reports.types import Dashboard
from ..access import render_staff, staff_view
from .chart import daily_chart
from .links import audit_entry_url, staff_invoice_url, webhook_event_url, webhook_problem_urls


def _query(period: Period, **extra: str) -> str:
    query = QueryDict(mutable=True)
    query["from"], query["to"] = period.start.isoformat(), period.end.isoformat()
    for key, value in extra.items():
        if value:
            query[key] = value
    return query.urlencode()


def _chart_currency(request: HttpRequest, data: Dashboard) -> str:
    """The currency the chart shows: the one asked for, else the one with most
    payments in the period (the default currency on a tie), else the default."""
    available = [series.currency for series in data.daily]
    asked = request.GET.get("currency", "").upper()
    if asked in available:
        return asked
    default = carepay_settings.DEFAULT_CURRENCY
    if not available:
        return default
    counts = {m.currency: m.charges for m in data.moved}
    return max(available, key=lambda c: (counts.get(c, 0), c == default))


def method_rows(data: Dashboard) -> list[dict[str, Any]]:
    """One table for "by method" and "by backend": a row per backend (its method's
    label and its alias), and a subtotal row for a method several backends share
    (per currency)."""
    rows: list[dict[str, Any]] = []
    for method in data.by_method:
        backends = [b for b in data.by_backend
                    if b.label == method.key and b.moved.currency == method.moved.currency]
        if len(backends) == 1:
            rows.append({"label": method.label, "alias": backends[0].key, "moved": method.moved})
            continue
        rows.extend({"label": method.label, "alias": b.key, "moved": b.moved} for b in backends)
        rows.append({"label": method.label, "alias": "", "moved": method.moved,
                     "subtotal": True})
    return rows


@require_GET
@staff_view(permissions.can_view_dashboard,
            _("The dashboard needs the “Can view the billing dashboard” permission."))
def dashboard(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    form = DashboardPeriodForm(request.GET, today=today, default=this_month(today))
    period = form.period
    assert period is not None  # the form falls back to its default
    data = build_dashboard(period, today=today)
    currency = _chart_currency(request, data)
    series = next((s for s in data.daily if s.currency == currency), None)
    user = request.user
    context: dict[str, Any] = {
        # What the date fields show: the period drawn, or what was typed and its errors.
        "period_form": form if form.errors else DashboardPeriodForm(
            initial={"from": period.start, "to": period.end}, today=today),
        "data": data,
        "period": period,
        "presets": [{"label": label, "query": _query(p), "current": p == period}
                    for _key, label, p in presets(today)],
        "chart": daily_chart(series) if series else None,
        "chart_series": series,
        "method_rows": method_rows(data),
        "chart_choices": [{"currency": s.currency, "query": _query(period, currency=s.currency),
                           "current": s.currency == currency} for s in data.daily],
        "overpaid_rows": [{"item": item, "url": staff_invoice_url(item.invoice)}
                          for item in data.attention.overpaid_latest],
        "webhook_rows": [{"event": event, "url": webhook_event_url(event)}
                         for event in data.attention.webhook_latest],
        "webhook_urls": webhook_problem_urls(),
        "reconciliation_rows": [{"status": status, "url": audit_entry_url(status.entry_id)}
                                for status in data.reconciliation],
        "approvals_url": reverse("carepay:approvals") if permissions.can_approve(user) else "",
        "payments_csv": (f"{reverse('carepay:payments_csv')}?{_query(period)}"
                         if permissions.can_view_payments(user) else ""),
        "invoices_csv": (f"{reverse('carepay:invoices_csv')}?{_query(period)}"
                         if permissions.can_view_invoices(user) else ""),
    }
    return render_staff(request, "carepay/staff/dashboard.html", context)
