"""What reliability/faults.py checks: carepay's state of one invoice, and that state
against localstripe's own (its objects and the requests it received).

Needs Django set up (reliability/faults.py does it) before anything here is called.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

#: What the caller may be shown: never the SDK's raw text or Stripe's host.
RAW_TEXT = ("Network error", "127.0.0.1", "Traceback", "requests.exceptions")


def carepay_state(invoice: Any) -> dict[str, Any]:
    """Everything carepay holds about ``invoice``'s money: its payments, its ledger
    rows and the invoice's own cached totals (compared before and after a fault)."""
    from django_carepay.models import Invoice, Payment, Transaction

    fresh = Invoice.objects.get(pk=invoice.pk)
    payments = list(Payment.objects.filter(invoice=fresh).order_by("pk").values_list(
        "public_id", "status", "provider_reference", "amount_received", "amount_refunded"))
    ledger = list(Transaction.objects.filter(invoice=fresh).order_by("pk").values_list(
        "kind", "amount", "provider_reference"))
    return {"invoice": (fresh.status, fresh.amount_paid, fresh.amount_refunded),
            "payments": payments, "ledger": ledger}


def clear_error(exc: BaseException) -> str:
    """'' when ``exc`` is a carepay error fit for a person; else what is wrong."""
    from django_carepay.exceptions import CarepayError

    if not isinstance(exc, CarepayError):
        return f"not a carepay error: {type(exc).__name__}: {exc}"
    text = str(exc)
    if not text or any(raw in text for raw in RAW_TEXT):
        return f"unclear message: {text!r}"
    return ""


def consistency_breaks(invoice: Any) -> list[str]:
    """carepay's caches agree with its ledger (payment and invoice totals)."""
    from django_carepay.models import Invoice, Payment, Transaction

    breaks = []
    fresh = Invoice.objects.get(pk=invoice.pk)
    rows = Transaction.objects.filter(invoice=fresh)
    charged = sum((t.amount for t in rows if t.kind == "charge"), Decimal(0))
    refunded = sum((t.amount for t in rows if t.kind == "refund"), Decimal(0))
    if (fresh.amount_paid, fresh.amount_refunded) != (charged, refunded):
        breaks.append(f"invoice totals {fresh.amount_paid}/{fresh.amount_refunded} != "
                      f"ledger {charged}/{refunded}")
    for payment in Payment.objects.filter(invoice=fresh):
        own = sum((t.amount for t in rows if t.kind == "refund" and t.payment_id == payment.pk),
                  Decimal(0))
        if payment.amount_refunded != own:
            breaks.append(f"payment {payment.public_id} refunded {payment.amount_refunded} "
                          f"!= its ledger refunds {own}")
    return breaks


def stripe_breaks(server: Any, invoice: Any) -> tuple[list[str], dict[str, Any]]:
    """carepay against localstripe (reset before each scenario, so everything there
    belongs to this invoice): one PaymentIntent per payment and no orphan, the ledger's
    refunds exactly localstripe's, cancelled here only if cancelled there. Returns the
    breaks and what localstripe holds (for the table)."""
    from django_carepay.models import Payment, Transaction
    from django_carepay.money import to_minor_units

    breaks: list[str] = []
    intents = server.get("payment_intents?limit=100")["data"]
    refunds = server.get("refunds?limit=100")["data"]
    payments = list(Payment.objects.filter(invoice=invoice))
    ours = {str(p.public_id): p for p in payments}
    by_payment = Counter(str((i.get("metadata") or {}).get("carepay_payment")) for i in intents)
    for public_id, count in by_payment.items():
        if count > 1:
            breaks.append(f"{count} PaymentIntents for payment {public_id}")
        if public_id not in ours:
            breaks.append(f"orphan PaymentIntent for {public_id} (no carepay payment)")
    intent_status = {i["id"]: i["status"] for i in intents}
    for payment in payments:
        if payment.provider_reference and payment.provider_reference not in intent_status:
            breaks.append(f"payment {payment.public_id} names {payment.provider_reference}, "
                          "unknown at localstripe")
        status = intent_status.get(payment.provider_reference)
        if payment.status == Payment.Status.CANCELLED and status != "canceled":
            breaks.append(f"cancelled here, {status} at localstripe")
        if status == "canceled" and payment.status != Payment.Status.CANCELLED:
            breaks.append(f"canceled at localstripe, {payment.status} here")
    ledger_refunds = {str(t.provider_reference): t.amount for t in
                      Transaction.objects.filter(invoice=invoice, kind="refund")}
    stripe_refunds = {r["id"]: r["amount"] for r in refunds if r["status"] == "succeeded"}
    if set(ledger_refunds) != set(stripe_refunds):
        breaks.append(f"ledger refunds {sorted(ledger_refunds)} != localstripe's "
                      f"{sorted(stripe_refunds)}")
    ledger_minor = sum(to_minor_units(a, invoice.currency) for a in ledger_refunds.values())
    if ledger_minor != sum(stripe_refunds.values()):
        breaks.append(f"ledger refunded {ledger_minor} != localstripe "
                      f"{sum(stripe_refunds.values())}")
    return breaks, {"intents": len(intents), "refunds": len(refunds),
                    "refunded": sum(stripe_refunds.values())}


def key_breaks(proxy_log: list[dict[str, Any]], stripe_log: list[dict[str, Any]],
               path_glob: str) -> tuple[list[str], str]:
    """The Idempotency-Keys of the operation's requests, as sent (the proxy's log:
    the first call, the SDK's retries, carepay's retry) and as received by
    localstripe (both logs from the operation's first call on): one logical request
    is one key however often it was sent. Returns the breaks and a summary."""
    from fnmatch import fnmatchcase

    sent = Counter(str(r["idempotency_key"]) for r in proxy_log
                   if r["method"] == "POST" and fnmatchcase(r["path"], path_glob))
    received = Counter(str(r["idempotency_key"]) for r in stripe_log
                       if r["method"] == "POST" and fnmatchcase(r["path"], path_glob))
    breaks = [f"{len(sent)} idempotency keys for one operation: {sorted(sent)}"] \
        if len(sent) > 1 else []
    if "None" in sent:
        breaks.append("a mutating request without an Idempotency-Key")
    if set(received) - set(sent):
        breaks.append("localstripe received a key the proxy never forwarded")
    return breaks, (f"{len(sent)} key: sent {sum(sent.values())}, "
                    f"received {sum(received.values())}")
