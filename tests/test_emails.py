"""carepay's e-mails are plain text: nothing in them is HTML-escaped."""

import pytest
from django.core import mail

from django_carepay import services

pytestmark = pytest.mark.django_db


def test_plain_text_is_not_html_escaped(django_capture_on_commit_callbacks):
    invoice = services.create_invoice(
        billing={"name": "Tom O'Brien & Sons", "email": "tom@example.com"},
        lines=[{"description": "Consultation <follow-up>", "unit_price": "80.00"}],
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.issue_invoice(invoice, send_email=True)

    [message] = mail.outbox
    assert "Dear Tom O'Brien & Sons," in message.body
    assert "Consultation <follow-up>" in message.body
    assert "&amp;" not in message.body + message.subject
