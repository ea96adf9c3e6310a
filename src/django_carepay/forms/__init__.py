"""Forms for carepay's pages. Validation of money and state stays in the services;
:func:`add_service_error` shows a service's refusal next to the field it names."""

from .fields import AmountField, add_service_error
from .payer import TransferConfirmationForm
from .staff import ApproveForm, RejectForm

__all__ = ["AmountField", "ApproveForm", "RejectForm", "TransferConfirmationForm",
           "add_service_error"]
