"""Invoices to test with, and paying them the way each backend's money arrives."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.test import Client

    from ..models import Invoice, Payment

#: The line :func:`make_invoice` bills when given none: one item at 80.00.
DEFAULT_LINE: Mapping[str, Any] = {"description": "Consultation", "unit_price": "80.00"}


def make_invoice(*, lines: Iterable[Mapping[str, Any]] = (DEFAULT_LINE,), issue: bool = True,
                 **kwargs: Any) -> Invoice:
    """An open invoice (``issue=False``: a draft), made through the services as a host
    makes them: ``kwargs`` are :func:`~django_carepay.services.create_invoice`'s
    (``customer``, ``subject``, ``currency``, ``due_date``, ``billing``, ``metadata``);
    ``lines`` are :func:`~django_carepay.services.add_line`'s keyword arguments."""
    from .. import services

    invoice = services.create_invoice(lines=lines, **kwargs)
    return services.issue_invoice(invoice) if issue else invoice


def pay_invoice(invoice: Invoice, *, backend: str, amount: object | None = None,
                by: Any = None, reference: str = "", client: Client | None = None) -> Payment:
    """Pay ``invoice`` (``amount=None``: what is due) through the configured backend
    ``backend``, the way that backend's money arrives, and return the payment.

    - a manual backend (cash, card terminal): staff record it
      (:func:`~django_carepay.services.record_payment`, ``by`` the clerk);
    - a bank transfer backend: the invoice's customer submits it
      (:func:`~django_carepay.services.submit_transfer`, ``reference`` defaults to the
      invoice number) and ``by`` approves it
      (:func:`~django_carepay.services.approve_payment`);
    - the demo provider (``DummyBackend``): the payment is started, the payer presses
      the provider's "Pay" button and the return page asks the provider, as in a
      browser; its ``outcome`` option decides whether it succeeds;
    - Stripe (``StripeBackend``): the payment is started, which creates a
      PaymentIntent *through the configured Stripe API* (test keys, or a stand-in such
      as localstripe or stripe-mock named by the ``api_base`` option), then a signed
      ``payment_intent.succeeded`` event built from the payment is posted to the webhook
      view with ``client`` (a new ``django.test.Client`` by default), as Stripe would
      send it once the payer paid. The webhook must answer 200.

    The payment and ``invoice`` come back refreshed. Signals are sent, and e-mails
    queued on commit, exactly as in production.
    """
    from .. import services
    from ..backends import get_backend
    from ..backends.dummy import DummyBackend

    be = get_backend(backend)
    if be.staff_entry:
        return services.record_payment(invoice, backend=backend, amount=amount,
                                       reference=reference, by=by)
    if be.requires_approval:
        submitted = services.submit_transfer(
            invoice, backend=backend, amount=amount, by=invoice.customer,
            reference=reference or invoice.number or str(invoice.public_id))
        return _refreshed(invoice, services.approve_payment(submitted, by=by))
    if isinstance(be, DummyBackend):
        payment = services.start_payment(invoice, backend=backend, amount=amount)
        be.confirm(payment)
        update = be.sync(payment)
        if update is not None:
            services.apply_provider_update(update)
        return _refreshed(invoice, payment)
    if _is_stripe(be):
        from django.test import Client

        from .stripe_events import post_stripe_event

        payment = services.start_payment(invoice, backend=backend, amount=amount)
        response = post_stripe_event(client or Client(), payment, "payment_intent.succeeded")
        if response.status_code != 200:
            raise AssertionError(f"carepay's webhook answered {response.status_code}: "
                                 f"{response.content.decode(errors='replace')[:500]}")
        return _refreshed(invoice, payment)
    raise NotImplementedError(
        f"pay_invoice does not know how money arrives through {type(be).__name__} "
        f"({backend!r}); call the services your backend's flow uses instead.")


def _is_stripe(backend: object) -> bool:
    try:
        from ..backends.stripe import StripeBackend
    except ImportError:  # pragma: no cover - the stripe package is an extra
        return False
    return isinstance(backend, StripeBackend)


def _refreshed(invoice: Invoice, payment: Payment) -> Payment:
    payment.refresh_from_db()
    invoice.refresh_from_db()
    return payment
