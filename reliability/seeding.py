"""Seeding: open invoices paid by card at localstripe, through carepay's services.

Each invoice is created and issued by the services, its card payment started through
carepay's Stripe backend (a real PaymentIntent at localstripe), then confirmed as the
payer's browser does (the Payment Element stand-in's confirm endpoint), in threads as
``benchmarks/reconcile.py`` does. Nothing is recorded in carepay's ledger: that is the
webhooks' job.
"""

from __future__ import annotations

import json
import random
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import requests

from tests.backends.stripe.support import CARD_OK, LocalStripe

from .settings import PUBLISHABLE_KEY


@dataclass
class Paid:
    """One seeded invoice and its PaymentIntent, paid at localstripe."""

    invoice_id: int
    payment_id: int
    public_id: str
    intent_id: str
    amount: int  # minor units, as Stripe counts
    created: dict[str, Any]  # the intent as payment_intent.created shows it
    succeeded: dict[str, Any]  # ... and as payment_intent.succeeded shows it


def _in_threads(count: int, items: list[Any], work: Any) -> list[Any]:
    """``work(item)`` for every item, ``count`` threads, each closing its own database
    connection; results in the items' order; the first error is raised."""
    from django.db import connection

    results: list[Any] = [None] * len(items)
    errors: list[BaseException] = []
    lock = threading.Lock()
    position = iter(range(len(items)))

    def run() -> None:
        try:
            while not errors:
                with lock:
                    i = next(position, None)
                if i is None:
                    return
                results[i] = work(items[i])
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def seed(server: LocalStripe, count: int, *, rng: random.Random, threads: int = 4
         ) -> list[Paid]:
    """``count`` open invoices of random amounts, each with a card payment started by
    carepay and paid at localstripe (not yet known to carepay)."""
    from django_carepay import services

    amounts = [rng.randint(500, 60000) for _ in range(count)]
    session = requests.Session()

    def one(amount: int) -> Paid:
        invoice = services.issue_invoice(services.create_invoice(lines=[{
            "description": "Consultation", "unit_price": str(Decimal(amount) / 100)}]))
        payment = services.start_payment(invoice, backend="card")
        intent_id = payment.provider_reference
        created = server.get(f"payment_intents/{intent_id}")
        answer = session.post(
            f"{server.url}/_config/standin/payment_intents/{intent_id}/confirm", timeout=60,
            data=json.dumps({"key": PUBLISHABLE_KEY, "client_secret": created["client_secret"],
                             "card": {"number": CARD_OK, "exp_month": "12",
                                      "exp_year": "30", "cvc": "123"}}))
        answer.raise_for_status()
        succeeded = answer.json()
        if succeeded["status"] != "succeeded" or succeeded["amount"] != amount:
            raise RuntimeError(f"localstripe did not take {amount} on {intent_id}: {succeeded}")
        # Stripe's event carries amount_received; localstripe leaves it out.
        succeeded["amount_received"] = succeeded["amount"]
        return Paid(invoice_id=invoice.pk, payment_id=payment.pk,
                    public_id=str(payment.public_id), intent_id=intent_id, amount=amount,
                    created=created, succeeded=succeeded)

    return _in_threads(threads, amounts, one)
