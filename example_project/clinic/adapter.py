"""The clinic's carepay policy: who issues its invoices."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django_carepay.adapter import DefaultCarepayAdapter

if TYPE_CHECKING:
    from django_carepay.models import Invoice


class ClinicAdapter(DefaultCarepayAdapter):
    """Carepay's default policy, with the practice named as the issuer of every invoice."""

    issuer = {
        "name": "Riverside Medical Practice",
        "address": "12 Riverside Walk\nLondon SE1 9PX\nUnited Kingdom",
        "email": "billing@riverside-practice.example",
        "phone": "020 7946 0000",
    }

    def issuer_details(self, invoice: Invoice) -> dict[str, Any]:
        return dict(self.issuer)
