"""A payment's receipt: what was paid, how and when; stored once; none without money."""

from __future__ import annotations

import pytest

from django_carepay import documents
from django_carepay.exceptions import InvalidState
from tests import factories

from .conftest import pdf_pages, pdf_text, stored_files

pytestmark = pytest.mark.django_db


def test_a_receipt_names_the_payment_and_what_remains_due(billed, media):
    payment = factories.pay_cash(billed, "100.00")

    content = documents.receipt_pdf(payment)
    text = pdf_text(content)

    assert "Receipt" in text and billed.number in text
    assert "Riverside Medical Practice" in text and "Ada Lovelace" in text
    assert "Cash" in text  # the method's label
    assert "Amount received £100.00" in text
    assert "Amount due £47.00" in text
    assert "Dr Omar Haddad" in text and "3 Nov 2026" in text
    [page] = pdf_pages(content)
    assert (round(page.mediabox.width), round(page.mediabox.height)) == (595, 842)
    [path] = stored_files(media)
    assert documents.receipt_pdf(factories.reload(payment)) == content == path.read_bytes()


def test_no_receipt_for_a_payment_that_received_nothing(invoice, media):
    payment = factories.start_online(invoice)

    with pytest.raises(InvalidState):
        documents.receipt_pdf(payment)
    assert stored_files(media) == []
