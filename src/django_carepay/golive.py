"""The go-live checklist: every item, ticked by the system checks where code can see it.

``manage.py carepay_golive`` prints it. An item that names check ids is ✔ when none of
them is reported by ``manage.py check --deploy`` (Django's ``security.*`` checks and
carepay's own, :mod:`django_carepay.checks_deploy`) and ✘ with the messages and their
hints when any is; an item without ids is for a person to tick ("manual"). So the
checklist and ``check --deploy`` can never disagree: one source, the checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core import checks

__all__ = ["CHECKLIST", "Item", "ItemResult", "Section", "evaluate"]


@dataclass(frozen=True, kw_only=True)
class Item:
    """One thing to be true before real money moves."""

    title: str
    #: System check ids that report this item undone; empty: a person checks it.
    check_ids: tuple[str, ...] = ()
    #: For a manual item: how to check it.
    how: str = ""

    @property
    def manual(self) -> bool:
        return not self.check_ids


@dataclass(frozen=True, kw_only=True)
class Section:
    title: str
    items: tuple[Item, ...]


@dataclass(frozen=True, kw_only=True)
class ItemResult:
    item: Item
    #: ``"ok"``, ``"problem"`` or ``"manual"``.
    state: str
    messages: Sequence[checks.CheckMessage] = field(default_factory=tuple)


#: The seeds' lists (the deployment table and the go-live list), as items.
CHECKLIST: tuple[Section, ...] = (
    Section(title="Deployment", items=(
        Item(title="DEBUG is off", check_ids=("security.W018",)),
        Item(title="SECRET_KEY is long, random and secret", check_ids=("security.W009",)),
        Item(title="ALLOWED_HOSTS names the site", check_ids=("security.W020",)),
        Item(title="HTTP is redirected to HTTPS", check_ids=("security.W008",)),
        Item(title="HSTS is on", check_ids=("security.W004",)),
        Item(title="Session and CSRF cookies are HTTPS-only",
             check_ids=("security.W012", "security.W016")),
        Item(title="CAREPAY['SITE_URL'] is the HTTPS address payers use",
             check_ids=("carepay.W040", "carepay.W001")),
        Item(title="E-mail is delivered (not printed or kept in memory)",
             check_ids=("carepay.W041",)),
        Item(title="E-mails come from a real billing address", check_ids=("carepay.W042",)),
        Item(title="Invoice and receipt PDFs can be rendered",
             check_ids=("carepay.W043", "carepay.E030")),
        Item(title="Database backups are taken and a restore was tried",
             how="Restore last night's backup into a scratch database."),
        Item(title="Scheduled jobs run daily",
             how="cron: carepay_mark_overdue, carepay_send_reminders, "
                 "carepay_cancel_abandoned."),
    )),
    Section(title="Go-live", items=(
        Item(title="Payment backends are configured without errors",
             check_ids=("carepay.E001", "carepay.E002", "carepay.E003", "carepay.E004",
                        "carepay.E005", "carepay.E006", "carepay.E007", "carepay.E010",
                        "carepay.E011", "carepay.E012")),
        Item(title="No demo provider takes payments", check_ids=("carepay.E040",)),
        Item(title="Stripe keys are live, of one mode, for every alias",
             check_ids=("carepay.W010", "carepay.W011", "carepay.E014", "carepay.W013")),
        Item(title="Stripe calls go to Stripe", check_ids=("carepay.W012",)),
        Item(title="Every Stripe alias has its webhook signing secret(s)",
             check_ids=("carepay.E013", "carepay.E015")),
        Item(title="Stripe webhook endpoints exist with the events carepay reads",
             how="Stripe dashboard → Developers → Webhooks: /billing/webhooks/<alias>/ "
                 "with the events in docs/checkout.md (a Connect endpoint too, if used)."),
        Item(title="The Stripe account is activated, with payouts and a statement "
                   "descriptor", how="Stripe dashboard → Settings → Business."),
        Item(title="A real payment and its refund went through end to end",
             how="Pay a small live invoice by card, refund it, and see both in the "
                 "ledger, the e-mails and Stripe's dashboard."),
        Item(title="Staff have their roles",
             how="Run manage.py carepay_setup_roles (groups Billing clerk and Billing "
                 "manager), then put the right people in them."),
        Item(title="Issuer details and invoice numbering are right",
             how="Issue a test invoice and read its PDF (adapter.issuer_details, "
                 "CAREPAY['INVOICE_NUMBER_FORMAT'])."),
    )),
)


def evaluate(sections: Iterable[Section] = CHECKLIST,
             messages: Iterable[checks.CheckMessage] | None = None
             ) -> list[tuple[Section, list[ItemResult]]]:
    """Tick ``sections`` against ``messages`` (default: every system check, the
    deployment checks included, as ``check --deploy`` runs them)."""
    if messages is None:
        messages = checks.run_checks(include_deployment_checks=True)
    by_id: dict[str, list[checks.CheckMessage]] = {}
    for message in messages:
        if message.id and not message.is_silenced():
            by_id.setdefault(message.id, []).append(message)
    results = []
    for section in sections:
        ticked = []
        for item in section.items:
            if item.manual:
                ticked.append(ItemResult(item=item, state="manual"))
                continue
            found = [m for check_id in item.check_ids for m in by_id.get(check_id, ())]
            ticked.append(ItemResult(item=item, state="problem" if found else "ok",
                                     messages=tuple(found)))
        results.append((section, ticked))
    return results
