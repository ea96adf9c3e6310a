"""Proof files are the payer's upload: served so a browser never runs them.

A PDF may carry JavaScript (and a PNG or JPEG may be sniffed as HTML by an old
browser); served inline from our origin it would run with the staff member's session.
The proof view hands every proof out as a download, in a sandbox, never sniffed.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.backends.bank_transfer.support import PNG, submit, upload

pytestmark = pytest.mark.django_db

#: A PDF whose catalogue opens with JavaScript: accepted (it is a PDF), never run.
PDF_WITH_JAVASCRIPT = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /OpenAction 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /S /JavaScript /JS (app.alert\\('pwned'\\)) >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def proof_url(payment):
    return reverse("carepay:payment_proof", args=[payment.public_id])


@pytest.mark.parametrize(("content", "suffix"), [
    pytest.param(PDF_WITH_JAVASCRIPT, ".pdf", id="pdf-with-javascript"),
    pytest.param(PNG, ".png", id="png"),
])
@pytest.mark.parametrize("who", ["approver_client", "patient_client"])
def test_a_proof_is_served_as_a_sandboxed_download(request, who, content, suffix, invoice,
                                                    patient):
    payment = submit(invoice, by=patient, proof=upload(f"proof{suffix}", content))
    client = request.getfixturevalue(who)

    response = client.get(proof_url(payment))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Disposition"] == (
        f'attachment; filename="proof-{invoice.number}{suffix}"')
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"
    response.close()
