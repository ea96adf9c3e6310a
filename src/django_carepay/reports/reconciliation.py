"""The dashboard's reconciliation summary: has each provider's ledger been checked
lately, and did the last check agree?

Read from the audit trail (``carepay_reconcile`` records every run as a
``reconciled`` entry with its summary): one query per backend that can be
reconciled, whatever the data size.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from ..backends import all_backends
from ..models import AuditEntry
from .types import ReconciliationStatus

#: A backend whose last run is older than this is shown as overdue for a run: the
#: suggested cron line reconciles nightly (docs/operations.md).
STALE_AFTER = timedelta(days=2)


def _when(value: object) -> datetime | None:
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def reconciliation_statuses(now: datetime | None = None) -> list[ReconciliationStatus]:
    """The latest ``carepay_reconcile`` run of every configured backend that can be
    reconciled (``supports_reconciliation``), in ``CAREPAY["BACKENDS"]`` order."""
    now = now or timezone.now()
    statuses = []
    for backend in all_backends():
        if not backend.supports_reconciliation:
            continue
        entry = AuditEntry.objects.last_reconciliation(backend.alias)
        detail = entry.detail if entry is not None else {}
        statuses.append(ReconciliationStatus(
            backend=backend.alias, label=backend.label,
            checked_at=entry.created_at if entry is not None else None,
            entry_id=entry.pk if entry is not None else None,
            since=_when(detail.get("since")), until=_when(detail.get("until")),
            charges=int(detail.get("charges") or 0),
            refunds=int(detail.get("refunds") or 0),
            differences=int(detail.get("differences") or 0),
            fixed=int(detail.get("fixed") or 0),
            by_kind={str(k): int(v) for k, v in (detail.get("by_kind") or {}).items()},
            stale=entry is None or entry.created_at < now - STALE_AFTER,
        ))
    return statuses
