"""The example project's carepay policy: the clinic's, with Riverside Cloud issuing
the invoices of its own sign-ups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from clinic.adapter import ClinicAdapter
from riverside.middleware import current_request

from .models import Account

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django_carepay.backends import BasePaymentBackend
    from django_carepay.models import Invoice


class ExampleProjectAdapter(ClinicAdapter):
    """Invoices for Riverside Cloud accounts come from Riverside Cloud; all others from
    the practice."""

    cloud_issuer = {
        "name": "Riverside Cloud Ltd",
        "address": "1 Canal Wharf\nLeeds LS11 5PS\nUnited Kingdom",
        "email": "billing@riverside-cloud.example",
    }

    def issuer_details(self, invoice: Invoice) -> dict[str, Any]:
        if invoice.subject_model is Account:
            return dict(self.cloud_issuer)
        return super().issuer_details(invoice)

    def from_email(self, invoice: Invoice | None) -> str | None:
        if invoice is not None and invoice.subject_model is Account:
            return self.cloud_issuer["email"]
        return super().from_email(invoice)

    def build_absolute_uri(self, path: str, request: HttpRequest | None = None) -> str:
        # E-mails sent while a request is served (an invoice mailed at sign-up, a
        # receipt when a payment is recorded) link to the host and port that request
        # came to; outside one, CAREPAY["SITE_URL"] (CAREPAY_DEMO_BASE_URL) says.
        return super().build_absolute_uri(path, request or current_request())

    def is_backend_available(self, invoice: Invoice, backend: BasePaymentBackend,
                             country: str | None = None) -> bool:
        # Bank transfers are for Riverside Cloud's sign-ups; patients pay the practice
        # by card online or at the desk.
        if backend.requires_approval:
            return invoice.subject_model is Account
        # The music school's carts are paid through Checkout, and only they are.
        school = (invoice.metadata or {}).get("site") == "school"
        if school or backend.alias == "checkout":
            return school and backend.alias == "checkout"
        return True
