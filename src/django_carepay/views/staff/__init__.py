"""The staff console: pages for the people who run billing, each behind a permission.

One module per page family; the names below stay importable from here.
"""

from .approvals import APPROVE_PERMISSION, approvals, approve, approver_required, reject

__all__ = ["APPROVE_PERMISSION", "approvals", "approve", "approver_required", "reject"]
