"""Who may do what: carepay's permission names and the ``can_*`` rules that read them.

The one place a permission is spelt out. Views, the admin and (later) the API ask
``can_refund(user)`` rather than ``user.has_perm("carepay.refund_payment")``, so a
renamed permission or a rule that grows a second condition changes here only. The
models define the permissions (their ``Meta.permissions`` use :func:`codename`).

A leaf: imports nothing from carepay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_permission_codename

if TYPE_CHECKING:
    from django.db.models import Model

#: The app label the permissions belong to.
APP_LABEL = "carepay"

#: Record money staff took in person (cash, card terminal, cheque).
RECORD_PAYMENT = f"{APP_LABEL}.record_payment"
#: Approve or reject payments a payer submitted (bank transfers).
APPROVE_PAYMENT = f"{APP_LABEL}.approve_payment"
#: Refund payments, in full or in part.
REFUND_PAYMENT = f"{APP_LABEL}.refund_payment"
#: Void invoices and write them off.
VOID_INVOICE = f"{APP_LABEL}.void_invoice"
#: See the billing dashboard.
VIEW_DASHBOARD = f"{APP_LABEL}.view_dashboard"
#: See every invoice (Django's default view permission on the model).
VIEW_INVOICE = f"{APP_LABEL}.view_invoice"
#: See every payment (Django's default view permission on the model).
VIEW_PAYMENT = f"{APP_LABEL}.view_payment"

#: Create draft invoices (Django's default add permission on the model).
ADD_INVOICE = f"{APP_LABEL}.add_invoice"
#: Change drafts (their lines), issue them and send them (Django's default change
#: permission on the model).
CHANGE_INVOICE = f"{APP_LABEL}.change_invoice"

#: What the staff console's lists and the admin's inlines show: invoices, their lines,
#: payments and the ledger.
VIEW_BILLING = (VIEW_INVOICE, f"{APP_LABEL}.view_invoiceline", VIEW_PAYMENT,
                f"{APP_LABEL}.view_transaction")

#: ``carepay_setup_roles``'s groups and their permissions. A billing clerk (the front
#: desk) bills and takes money in person; a billing manager (finance, a partner) also
#: hands money back, decides on transfers, closes invoices and sees the dashboard.
ROLES: dict[str, tuple[str, ...]] = {
    "Billing clerk": (*VIEW_BILLING, ADD_INVOICE, CHANGE_INVOICE, RECORD_PAYMENT),
    "Billing manager": (*VIEW_BILLING, ADD_INVOICE, CHANGE_INVOICE, RECORD_PAYMENT,
                        REFUND_PAYMENT, APPROVE_PAYMENT, VOID_INVOICE, VIEW_DASHBOARD),
}


def codename(permission: str) -> str:
    """``"carepay.record_payment"`` → ``"record_payment"``, as ``Meta.permissions`` wants."""
    return permission.partition(".")[2]


def can_record_payment(user: Any) -> bool:
    """May ``user`` record money taken in person on an invoice?"""
    return bool(user.has_perm(RECORD_PAYMENT))


def can_approve(user: Any) -> bool:
    """May ``user`` approve or reject submitted payments (the approvals queue)?"""
    return bool(user.has_perm(APPROVE_PAYMENT))


def can_refund(user: Any) -> bool:
    """May ``user`` refund payments?"""
    return bool(user.has_perm(REFUND_PAYMENT))


def can_void(user: Any) -> bool:
    """May ``user`` void invoices or write them off?"""
    return bool(user.has_perm(VOID_INVOICE))


def can_view_dashboard(user: Any) -> bool:
    """May ``user`` see the billing dashboard?"""
    return bool(user.has_perm(VIEW_DASHBOARD))


def can_view_invoices(user: Any) -> bool:
    """May ``user`` see every invoice, not only their own?"""
    return bool(user.has_perm(VIEW_INVOICE))


def can_add_invoice(user: Any) -> bool:
    """May ``user`` create draft invoices?"""
    return bool(user.has_perm(ADD_INVOICE))


def can_change_invoice(user: Any) -> bool:
    """May ``user`` edit a draft's lines, issue it and (re)send it to the payer?"""
    return bool(user.has_perm(CHANGE_INVOICE))

def can_see_proofs(user: Any) -> bool:
    """May ``user`` open any payment's proof of payment?

    Staff who decide on submitted payments need the proof, and so do staff who may
    see every payment; a payer sees their own through the invoice's view rule.
    """
    return bool(user.has_perm(APPROVE_PAYMENT) or user.has_perm(VIEW_PAYMENT))


def has_model_permission(user: Any, model: type[Model], action: str) -> bool:
    """May ``user`` ``action`` (``"view"``, ``"add"``, ``"change"``, ``"delete"``)
    ``model``? Django's default model permissions, spelt as Django spells them."""
    opts = model._meta
    return bool(user.has_perm(f"{opts.app_label}.{get_permission_codename(action, opts)}"))
