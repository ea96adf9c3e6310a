"""Shared helpers for the bank transfer tests: configuration, proof files, submitting."""

from __future__ import annotations

import base64
from datetime import date
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from django_carepay import services
from django_carepay.models import Invoice, Payment

TRANSFER = "django_carepay.backends.bank_transfer.BankTransferBackend"

#: The clinic's bank transfer: GBP only, its own reference prefix.
CLINIC_TRANSFER: dict[str, Any] = {
    "BACKEND": TRANSFER,
    "OPTIONS": {
        "label": "Bank transfer",
        "instructions": "Transfer {{ amount_due }} for invoice {{ invoice.number }} and "
                        "quote {{ reference }}.",
        "account": {"Account name": "Riverside Surgery", "Sort code": "20-00-00",
                    "Account number": "12345678"},
        "currencies": ["GBP"],
        "reference_format": "RS-{number}",
    },
}

STAFF_INBOX = "accounts@clinic.example.com"

# Proof files: what matters to carepay is their first bytes, so these are minimal
# but genuine files of each accepted kind (and one refused kind).
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = base64.b64decode(  # a 1x1 transparent PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"
           ) -> SimpleUploadedFile:
    """A file as the browser would send it (its name and type prove nothing)."""
    return SimpleUploadedFile(name, content, content_type=content_type)


def pdf_proof() -> SimpleUploadedFile:
    return upload("statement.pdf", PDF, "application/pdf")


def media_files(root: Path) -> dict[str, bytes]:
    """Every file stored under ``root`` (MEDIA_ROOT), by path relative to it."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def reference_for(invoice: Invoice) -> str:
    """The reference the clinic's transfer asks the payer to quote."""
    return f"RS-{invoice.number}"


def submit(invoice: Invoice, *, backend: str = "transfer", amount: object = None,
           reference: str | None = None, by: Any = None, **kwargs: Any) -> Payment:
    """A payer reporting a transfer through the service, with sensible defaults."""
    return services.submit_transfer(
        invoice, backend=backend, amount=amount,
        reference=reference_for(invoice) if reference is None else reference,
        by=by, **kwargs,
    )


def today() -> date:
    return timezone.localdate()


def configure_backends(settings: Any, backends: dict[str, dict[str, Any]], *,
                       replace: bool = False, **options: Any) -> None:
    """Add (or with ``replace``, set exactly) ``CAREPAY["BACKENDS"]``; other keyword
    arguments set top-level ``CAREPAY`` options. The backend cache resets itself."""
    current = settings.CAREPAY
    settings.CAREPAY = {
        **current, **options,
        "BACKENDS": backends if replace else {**current["BACKENDS"], **backends},
    }


def make_approver(username: str) -> Any:
    """A member of staff who may approve or reject submitted payments."""
    user = get_user_model().objects.create_user(
        username, email=f"{username}@example.com", password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(
        content_type__app_label="carepay", codename="approve_payment"))
    return user


#: Why staff rejected a transfer in these tests (the payer is told it).
REASON = "No transfer with this reference has reached our account."


def pay_url(invoice: Invoice, alias: str = "transfer") -> str:
    return reverse("carepay:pay", args=[invoice.public_id, alias])


def confirmation(invoice: Invoice, **overrides: Any) -> dict[str, Any]:
    """The pay page's confirmation form as a payer fills it in for the whole £80."""
    return {"reference": reference_for(invoice), "amount": "80.00",
            "paid_on": today().isoformat(), "notes": "Paid from my Monzo account",
            **overrides}


class HostFailure(Exception):
    """What a host receiver raises in these tests."""


def host_fails(**kwargs: Any) -> None:
    """A host receiver that fails (its database or an API it calls is down)."""
    raise HostFailure("the host could not do its part")
