"""Reconciliation: does the ledger equal what the provider holds?

:func:`reconcile_ledger` lists the provider's charges and refunds of a period
(``backend.reconciliation_records``) and compares them with the ledger, both ways:
money the provider moved that the ledger lacks (``missing_in_ledger``), ledger rows the
provider has no record of (``missing_at_provider``), a different amount or currency,
and a status that differs (the ledger holds a charge the provider says never
succeeded, or a refund the provider says failed). With ``fix`` the provider's facts
are applied through :func:`~.provider.apply_provider_update` (never by writing the
ledger): what is missing is recorded, a failed refund reversed. What cannot be fixed
that way (money the provider does not have, amounts that differ) is for staff.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum

from ..backends import get_backend
from ..exceptions import CarepayError
from ..models import AuditEntry, Payment, Transaction
from ..types import ProviderRecord, UpdateKind
from ._audit import audit
from .provider import apply_provider_update

#: The kinds of difference, in the order they are reported.
KINDS = ("missing_in_ledger", "missing_at_provider", "amount_differs", "currency_differs",
         "status_differs")


@dataclass(frozen=True, kw_only=True)
class Difference:
    """One disagreement between the ledger and the provider."""

    kind: str
    movement: str  # "charge" or "refund"
    reference: str
    detail: str
    fixed: bool = False


@dataclass(kw_only=True)
class Reconciliation:
    """What :func:`reconcile_ledger` found: the counts seen, the API calls made, and every
    difference (``fixed`` on those ``fix`` applied)."""

    backend: str
    since: datetime
    until: datetime | None
    charges: int = 0
    refunds: int = 0
    api_calls: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.differences

    def summary(self) -> dict[str, Any]:
        """The figures the audit trail and the dashboard keep (JSON-safe)."""
        return {
            "backend": self.backend, "since": self.since.isoformat(),
            "until": self.until.isoformat() if self.until else None,
            "charges": self.charges, "refunds": self.refunds, "api_calls": self.api_calls,
            "differences": len(self.differences),
            "fixed": sum(1 for d in self.differences if d.fixed),
            "by_kind": dict(Counter(d.kind for d in self.differences)),
        }


def _ledger_sums(alias: str, kind: str, references: set[str]) -> dict[str, tuple[Decimal, str]]:
    """``{reference: (amount, currency)}`` of the ledger's ``kind`` rows."""
    rows = (Transaction.objects.filter(backend=alias, kind=kind,
                                       provider_reference__in=references)
            .values("provider_reference", "currency").annotate(total=Sum("amount")))
    return {str(r["provider_reference"]): (r["total"], r["currency"]) for r in rows}


def reconcile_ledger(alias: str, *, since: datetime, until: datetime | None = None,
              fix: bool = False, by: Any = None) -> Reconciliation:
    """Compare the ledger of backend ``alias`` with its provider over ``[since, until)``
    (see the module's docstring); with ``fix``, apply the provider's facts through the
    services. The run is recorded in the audit trail (``reconciled``, its summary in
    ``detail``: ``AuditEntry.objects.last_reconciliation()``)."""
    backend = get_backend(alias)
    result = Reconciliation(backend=alias, since=since, until=until)

    def count_call() -> None:
        result.api_calls += 1

    accounts = set(Payment.objects.filter(backend=alias, metadata__has_key="stripe_account")
                   .values_list("metadata__stripe_account", flat=True).distinct())
    listed: dict[tuple[str, str], ProviderRecord] = {}
    for record in backend.reconciliation_records(since=since, until=until,
                                                 accounts={str(a) for a in accounts if a},
                                                 on_call=count_call):
        listed[(record.kind, record.reference)] = record
    # Ledger rows of the period whose provider record was created before it (an intent
    # paid days after it was made): fetched one by one.
    in_period = Transaction.objects.filter(backend=alias, created_at__gte=since,
                                           kind__in=("charge", "refund"))
    if until is not None:
        in_period = in_period.filter(created_at__lt=until)
    for kind, ref, account in in_period.exclude(provider_reference=None).values_list(
            "kind", "provider_reference", "payment__metadata__stripe_account").distinct():
        reference = str(ref)
        if (kind, reference) not in listed:
            fetched = backend.fetch_record(kind, reference, str(account or ""))
            count_call()
            if fetched is None:
                result.differences.append(Difference(
                    kind="missing_at_provider", movement=kind, reference=reference,
                    detail=f"the ledger holds {kind} {reference}; {alias} has no such "
                           f"{'payment' if kind == 'charge' else 'refund'}."))
            else:
                listed[(kind, reference)] = fetched
    result.charges = sum(1 for k in listed if k[0] == "charge")
    result.refunds = sum(1 for k in listed if k[0] == "refund")
    fixes: list[tuple[int, ProviderRecord]] = []
    for movement in ("charge", "refund"):
        records = [r for (k, _), r in listed.items() if k == movement]
        recorded = _ledger_sums(alias, movement, {r.reference for r in records})
        reversed_refs = set() if movement == "charge" else {
            str(ref).removesuffix(":reversal") for ref in Transaction.objects.filter(
                backend=alias, kind=Transaction.Kind.REFUND_REVERSAL,
                provider_reference__in=[f"{r.reference}:reversal" for r in records])
            .values_list("provider_reference", flat=True)}
        for record in sorted(records, key=lambda r: r.reference):
            _compare(result, record, recorded.get(record.reference),
                     record.reference in reversed_refs, fixes)
    if fix:
        _apply_fixes(result, fixes, backend)
    with transaction.atomic():
        audit(AuditEntry.Action.RECONCILED, by=by,
              actor=None if by is not None else "system", detail=result.summary())
    return result


def _compare(result: Reconciliation, record: ProviderRecord,
             recorded: tuple[Decimal, str] | None, reversed_: bool,
             fixes: list[tuple[int, ProviderRecord]]) -> None:
    """Add the differences between one provider record and the ledger's rows for it."""
    update = record.update
    name = f"{record.kind} {record.reference}"
    has_ledger = recorded is not None and not reversed_
    if record.moved_money and update is not None:
        if not has_ledger:
            fixes.append((len(result.differences), record))
            result.differences.append(Difference(
                kind="missing_in_ledger", movement=record.kind, reference=record.reference,
                detail=f"{result.backend} {record.status} {name} of {update.amount} "
                       f"{update.currency} is not in the ledger."))
            return
        assert recorded is not None
        amount, currency = recorded
        if update.currency and currency != update.currency.upper():
            result.differences.append(Difference(
                kind="currency_differs", movement=record.kind, reference=record.reference,
                detail=f"{name}: ledger {amount} {currency}, {result.backend} "
                       f"{update.amount} {update.currency}."))
        elif update.amount is not None and amount != update.amount:
            result.differences.append(Difference(
                kind="amount_differs", movement=record.kind, reference=record.reference,
                detail=f"{name}: ledger {amount} {currency}, {result.backend} "
                       f"{update.amount} {update.currency}."))
    elif has_ledger:
        assert recorded is not None
        if update is not None and update.kind == UpdateKind.REFUND_FAILED:
            fixes.append((len(result.differences), record))
        result.differences.append(Difference(
            kind="status_differs", movement=record.kind, reference=record.reference,
            detail=f"the ledger holds {name} ({recorded[0]} {recorded[1]}); "
                   f"{result.backend} says it is {record.status or 'unknown'}."))


def _apply_fixes(result: Reconciliation, fixes: list[tuple[int, ProviderRecord]],
                 backend: Any) -> None:
    """Apply the provider's facts for the fixable differences: charges first, so a
    refund of a charge recorded here finds it. Each is asked of the provider again
    first: the listing may be minutes old (a refund pending then may have failed)."""
    for index, listed in sorted(fixes, key=lambda f: (f[1].kind != "charge", f[0])):
        try:
            record = backend.fetch_record(listed.kind, listed.reference, listed.account)
        except CarepayError as exc:
            record, note = None, f" Not fixed: {exc}"
        else:
            note = " Not fixed: the provider now says otherwise."
        if record is None or record.update is None or listed.update is None \
                or record.update.kind != listed.update.kind:
            difference = result.differences[index]
            result.differences[index] = Difference(
                kind=difference.kind, movement=difference.movement,
                reference=difference.reference, detail=difference.detail + note)
            continue
        try:
            payment = apply_provider_update(record.update)
        except CarepayError as exc:
            note = f" Not fixed: {exc}"
        else:
            note = "" if payment is not None else " Not fixed: it matches no payment."
        difference = result.differences[index]
        result.differences[index] = Difference(
            kind=difference.kind, movement=difference.movement,
            reference=difference.reference, detail=difference.detail + note,
            fixed=not note)


