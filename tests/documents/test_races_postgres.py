"""Two first downloads at once, with real threads (PostgreSQL only).

Both render before either stores, so both reach the conditional UPDATE; the first
to write keeps its file, the second deletes its own and serves the first's bytes.
"""

from __future__ import annotations

import threading

import pytest

from django_carepay import documents
from django_carepay.documents import stored
from django_carepay.models import Invoice
from tests import factories
from tests.threads import THREAD_TIMEOUT, errors, run_in_threads, successes

from .conftest import stored_files

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_first_downloads_at_once_store_one_file_and_serve_it_to_both(media, monkeypatch):
    invoice = factories.make_invoice()
    both_rendered = threading.Barrier(2)

    def render(invoice, **kwargs):
        rendering = f"%PDF-rendered by {threading.current_thread().name}".encode()
        both_rendered.wait(timeout=THREAD_TIMEOUT)
        return rendering

    monkeypatch.setattr(stored, "render_invoice_pdf", render)

    outcomes = run_in_threads(
        2, lambda i: documents.invoice_pdf(Invoice.objects.get(pk=invoice.pk)))

    assert errors(outcomes) == []
    first, second = successes(outcomes)
    [path] = stored_files(media)
    assert first == second == path.read_bytes()
    assert factories.reload(invoice).document.name == str(path.relative_to(media))
