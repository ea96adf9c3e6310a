"""Signing up and starting subscriptions: where Riverside Cloud asks carepay for money."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext
from django_carepay import services
from django_carepay.models import Invoice

from .models import Account, Plan, Subscription


def sign_up(*, owner: Any, name: str, plan: Plan, country: str,
            send_email: bool = False) -> Subscription:
    """Open an account for ``owner`` on ``plan``; return its subscription (with
    ``account`` and, for a paid plan, the ``invoice`` to pay).

    A free plan starts at once: the account is active with the plan's credits and
    nothing is invoiced. A paid plan leaves the account ``pending_payment`` with a
    pending subscription and an issued invoice for the first month, in the customer's
    currency where the plan has a price in it; paying that invoice activates both
    (:mod:`saas.receivers`). ``send_email`` mails the invoice with its pay link on commit.
    """
    country = country.upper()
    with transaction.atomic():
        if plan.is_free:
            account = Account.objects.create(
                owner=owner, name=name, plan=plan, country=country,
                status=Account.Status.ACTIVE, credits=plan.credits,
            )
            return Subscription.objects.create(account=account, plan=plan,
                                               status=Subscription.Status.ACTIVE,
                                               started_at=timezone.now())
        account = Account.objects.create(owner=owner, name=name, plan=plan, country=country)
        subscription = Subscription.objects.create(account=account, plan=plan)
        subscription.invoice = _invoice_first_month(account, plan, send_email=send_email)
        subscription.save(update_fields=["invoice"])
    return subscription


def _invoice_first_month(account: Account, plan: Plan, *, send_email: bool) -> Invoice:
    price, currency = plan.price_for(account.country)
    invoice = services.create_invoice(
        customer=account.owner, subject=account, currency=currency,
        lines=[{"description": gettext(
                    "Riverside Cloud %(plan)s plan: first month (%(credits)s credits)") % {
                    "plan": plan.name, "credits": number_format(plan.credits,
                                                                force_grouping=True)},
                "unit_price": price}],
        billing={"country": account.country, "name": account.name,
                 "email": account.owner.email},
        metadata={"saas_plan": plan.slug},
    )
    return services.issue_invoice(invoice, send_email=send_email)


def start_paid_subscription(invoice: Invoice) -> bool:
    """Start the subscription ``invoice`` pays for: the subscription and its account
    become active and the account gets the plan's credits.

    Called by carepay's signals inside the payment's transaction. Does nothing unless
    the invoice is paid in full, and nothing the second time (the subscription row is
    locked and checked first), so the credits are granted once per invoice. Returns
    whether it started the subscription.
    """
    if invoice.status != Invoice.Status.PAID:
        return False
    with transaction.atomic():
        subscription = (Subscription.objects.select_for_update().select_related("plan")
                        .filter(invoice=invoice).first())
        if subscription is None or subscription.status == Subscription.Status.ACTIVE:
            return False
        account = Account.objects.select_for_update().get(pk=subscription.account_id)
        subscription.status = Subscription.Status.ACTIVE
        subscription.started_at = timezone.now()
        subscription.save(update_fields=["status", "started_at"])
        account.status = Account.Status.ACTIVE
        account.plan = subscription.plan
        account.credits += subscription.plan.credits
        account.save(update_fields=["status", "plan", "credits"])
    return True
