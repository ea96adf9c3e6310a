"""Riverside Cloud's pages: my accounts, and signing up for a new one."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET, require_http_methods
from django_carepay.models import Invoice, Payment

from .billing import sign_up
from .forms import SignupForm, country_choices
from .models import Account, Plan, Subscription


@dataclass(frozen=True)
class AccountRow:
    """An account as its owner sees it: what is left to do before it is active."""

    account: Account
    #: The unpaid invoice of the subscription waiting to start, if any.
    invoice: Invoice | None
    #: The latest payment of that invoice (submitted, rejected, ...), if any.
    last_payment: Payment | None


@login_required
@require_GET
def account_list(request: HttpRequest) -> HttpResponse:
    """The user's accounts with their plan, status and credits, and a link to pay the
    invoice of any account still waiting for its first payment."""
    accounts = list(Account.objects.filter(owner=request.user).select_related("plan"))
    waiting = {
        s.account_id: s.invoice
        for s in Subscription.objects.filter(
            account__in=accounts, status=Subscription.Status.PENDING, invoice__isnull=False,
        ).select_related("invoice")
    }
    last_payments: dict[int, Payment] = {}
    for payment in (Payment.objects.filter(invoice__in=waiting.values())
                    .exclude(status=Payment.Status.CANCELLED).order_by("created_at", "id")):
        last_payments[payment.invoice_id] = payment
    rows = []
    for account in accounts:
        invoice = waiting.get(account.pk)
        rows.append(AccountRow(account=account, invoice=invoice,
                               last_payment=last_payments.get(invoice.pk) if invoice else None))
    return render(request, "saas/account_list.html", {"rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Sign up for a plan: a free one starts at once; a paid one goes to its invoice,
    where the customer chooses how to pay."""
    form = SignupForm(request.POST or None, initial={"country": "GB"})
    if request.method == "POST" and form.is_valid():
        subscription = sign_up(owner=request.user, send_email=True, **form.cleaned_data)
        account, invoice = subscription.account, subscription.invoice
        if invoice is None:
            messages.success(request, gettext("%(account)s is ready, with %(credits)s credits.")
                             % {"account": account.name, "credits": f"{account.credits:,}"})
            return redirect("saas:accounts")
        messages.info(request, gettext(
            "%(account)s starts as soon as invoice %(number)s is paid. Choose how you would "
            "like to pay.") % {"account": account.name, "number": invoice.number})
        return redirect("carepay:invoice_detail", public_id=invoice.public_id)
    plans = Plan.objects.prefetch_related("prices")
    return render(request, "saas/signup.html", {
        "form": form, "plans": plans,
        "currencies": sorted({p.currency for plan in plans for p in plan.prices.all()}),
    }, status=400 if form.errors else 200)


@login_required
@require_GET
@ensure_csrf_cookie
def app(request: HttpRequest) -> HttpResponse:
    """Sign up and pay by bank transfer on one page that talks to carepay's JSON API
    (``static/saas/app.js``, no framework, no build): billing details, the methods for
    the billing country, the transfer confirmation with its proof, and a banner while the
    payment awaits approval."""
    return render(request, "saas/app.html", {"countries": country_choices()})
