"""The staff console: pages for the people who run billing, each behind a permission.

One module per page family (:mod:`.invoices` the list and an invoice's page,
:mod:`.create` a new draft, :mod:`.actions` what is done from an invoice's page,
:mod:`.approvals` the approvals queue); the names below stay importable from here.
"""

from .approvals import APPROVE_PERMISSION, approvals, approve, approver_required, reject

__all__ = ["APPROVE_PERMISSION", "approvals", "approve", "approver_required", "reject"]
