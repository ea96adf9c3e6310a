"""Issued invoices and receipts: rendered once, stored, and the same bytes ever after.

An issued invoice is a legal document, so the first rendering (its first download or
e-mail; in the payer's ``billing_language`` when the invoice has one) is kept through
Django's storage API and served again unchanged, whatever the templates or the adapter
say later. Storing is a conditional UPDATE (``WHERE document = ''``): when two requests
render at once, the first to write wins and the other deletes its own file and serves
the winner's. Call these outside the money transaction (after commit); they only ever
write the document field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.files.base import ContentFile

from ..models import Invoice, Payment
from .render import render_invoice_pdf, render_receipt_pdf


def invoice_pdf(invoice: Invoice, *, request: Any = None) -> bytes:
    """``invoice``'s PDF: the stored copy of an issued invoice (rendered and stored on
    the first call), or a fresh DRAFT-watermarked rendering of a draft (never stored)."""
    if invoice.status == Invoice.Status.DRAFT:
        return render_invoice_pdf(invoice, request=request)
    return _stored_once(invoice, "document",
                        lambda: render_invoice_pdf(invoice, request=request))


def receipt_pdf(payment: Payment) -> bytes:
    """The receipt of a payment that received money: stored on the first call, the
    same bytes on every later one. Refuses any other payment (``InvalidState``)."""
    return _stored_once(payment, "receipt", lambda: render_receipt_pdf(payment))


def _read(storage: Any, name: str) -> bytes:
    with storage.open(name, "rb") as handle:
        content: bytes = handle.read()
    return content


def _stored_once(obj: Invoice | Payment, field_name: str, render: Callable[[], bytes]
                 ) -> bytes:
    """``obj``'s document in ``field_name``: the stored one, or rendered now in its
    invoice's payer's language (the payer's document, whoever opens it first) and
    stored."""
    model = type(obj)
    rows = model._default_manager.filter(pk=obj.pk)
    field: Any = model._meta.get_field(field_name)
    storage = field.storage
    name = rows.values_list(field_name, flat=True).get()
    if name:
        setattr(obj, field_name, name)
        return _read(storage, name)
    # (mypy cannot narrow: both models subclass an untyped django-fsm mixin.)
    invoice = obj if isinstance(obj, Invoice) else obj.invoice  # type: ignore[union-attr]
    with invoice.in_payers_language():
        content = render()
    name = storage.save(field.generate_filename(obj, f"{field_name}.pdf"), ContentFile(content))
    if rows.filter(**{field_name: ""}).update(**{field_name: name}):
        setattr(obj, field_name, name)
        return content
    # Another request stored its rendering first: that one is the document.
    storage.delete(name)
    winner = rows.values_list(field_name, flat=True).get()
    setattr(obj, field_name, winner)
    return _read(storage, winner)
