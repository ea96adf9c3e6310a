"""What a payer offers as proof of an offline payment: the upload and the date paid.

Uploads are checked by content and stored under unguessable names. The rules here
are the one copy the service and the payer's form both apply.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from .conf import carepay_settings

# InvalidProof lives with every other exception; still importable from here.
from .exceptions import InvalidInput
from .exceptions import InvalidProof as InvalidProof

if TYPE_CHECKING:
    from datetime import date

    from django.core.files import File

    from .models import Payment

#: Accepted file types, recognised by their first bytes (a name or a browser's
#: Content-Type proves nothing).
SIGNATURES = {
    b"%PDF-": ".pdf",
    b"\x89PNG\r\n\x1a\n": ".png",
    b"\xff\xd8\xff": ".jpg",
}


def human_size(n: int) -> str:
    """``524288`` → ``"512.0 KB"`` (plain spaces, for messages and logs)."""
    return str(filesizeformat(n)).replace("\xa0", " ")


def check_paid_on(paid_on: date | None) -> None:
    """Refuse a date paid in the future (a payer cannot have paid tomorrow)."""
    if paid_on is not None and paid_on > timezone.localdate():
        raise InvalidInput(gettext(
            "The date paid (%(day)s) is in the future."
        ) % {"day": date_format(paid_on, gettext("j M Y"))},
                           field="paid_on", code="future")


def check_proof_size(upload: File) -> None:
    """Refuse an upload larger than ``CAREPAY["MAX_PROOF_SIZE"]``."""
    limit = carepay_settings.MAX_PROOF_SIZE
    size = upload.size or 0
    if size > limit:
        raise InvalidProof(
            gettext(
                "The proof of payment is %(size)s; the limit is %(limit)s."
            ) % {"size": human_size(size), "limit": human_size(limit)}
        )


def proof_extension(upload: File) -> str:
    """Validate ``upload`` and return the extension its content calls for."""
    check_proof_size(upload)
    size = upload.size or 0
    if size == 0:
        raise InvalidProof(gettext("The proof of payment is empty."))
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for magic, extension in SIGNATURES.items():
        if head.startswith(magic):
            return extension
    raise InvalidProof(gettext("The proof of payment must be a PDF, PNG or JPEG file."))


def proof_upload_to(payment: Payment, filename: str) -> str:
    """A name no one can guess: proofs are served only through carepay's view."""
    extension = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return f"carepay/proofs/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{extension}"
