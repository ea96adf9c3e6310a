"""Where the console links an invoice or a webhook delivery to.

One place, so the target can change in one line: an invoice opens on the staff
console's invoice page (``carepay:staff_invoice``) when the host's URLconf has it, else
on its Django admin page, else nowhere.
"""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse


def _first(*candidates: tuple[str, list[Any]]) -> str:
    for name, args in candidates:
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return ""


def staff_invoice_url(invoice: Any) -> str:
    """The page where staff see ``invoice`` (``""`` when there is none)."""
    return _first(("carepay:staff_invoice", [invoice.public_id]),
                  ("admin:carepay_invoice_change", [invoice.pk]))


def webhook_event_url(event: Any) -> str:
    """The admin page of a stored webhook delivery (``""`` without the admin)."""
    return _first(("admin:carepay_webhookevent_change", [event.pk]))


def audit_entry_url(entry_id: int | None) -> str:
    """The admin page of an audit entry (``""`` without the admin or the entry)."""
    if entry_id is None:
        return ""
    return _first(("admin:carepay_auditentry_change", [entry_id]))


def webhook_problem_urls() -> dict[str, str]:
    """The admin lists of failed and of flagged deliveries (empty without the admin)."""
    url = _first(("admin:carepay_webhookevent_changelist", []))
    if not url:
        return {}
    return {"failed": f"{url}?status__exact=failed", "flagged": f"{url}?needs_attention__exact=1"}
