"""The example project's SaaS (Riverside Cloud): sign-ups billed through carepay, paid by
bank transfer that finance approves, with country-specific transfer methods.

Runs with the example project's own ``CAREPAY`` setting (its bank transfer methods,
``REQUIRE_DISTINCT_APPROVER`` and staff notifications); needs ``"saas"`` in
``tests/settings.py``'s ``INSTALLED_APPS``.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

if not apps.is_installed("saas"):
    pytest.skip("add 'saas' to INSTALLED_APPS in tests/settings.py to test the example "
                "project's SaaS", allow_module_level=True)

from saas.billing import sign_up, start_paid_subscription
from saas.demo import ensure_plans, receipt_png
from saas.models import Account, Plan, Subscription

from django_carepay import services
from django_carepay.backends import available_backends, get_backend
from django_carepay.exceptions import AlreadyDecided, PermissionRefused
from django_carepay.models import Invoice, Payment, Transaction
from django_carepay.money import format_money
from django_carepay.signals import invoice_paid
from django_carepay.testing import pay_invoice


@pytest.fixture
def example_carepay(settings, tmp_path):
    """The example project's CAREPAY, with the dummy provider as its card backend
    whatever the environment says (it picks Stripe when STRIPE_SECRET_KEY is set)."""
    from example_project import settings as example_settings

    config = copy.deepcopy(example_settings.CAREPAY)
    config["BACKENDS"]["card"] = {"BACKEND": "django_carepay.backends.dummy.DummyBackend",
                                  "OPTIONS": {"label": "Card (demo)"}}
    settings.CAREPAY = config
    settings.MEDIA_ROOT = tmp_path
    return config


@pytest.fixture
def example_site(settings, example_carepay):
    """Serve the example project's URLs and templates, with its log-in settings."""
    from example_project import settings as example_settings

    for name in ("ROOT_URLCONF", "TEMPLATES", "LOGIN_URL", "LOGIN_REDIRECT_URL",
                 "LOGOUT_REDIRECT_URL"):
        setattr(settings, name, getattr(example_settings, name))


@pytest.fixture
def plans(db, example_carepay) -> dict[str, Plan]:
    return ensure_plans()


@pytest.fixture
def customer(django_user_model):
    return django_user_model.objects.create_user(
        "hannah", email="hannah@example.com", password="pw", first_name="Hannah",
        last_name="Hollis")


@pytest.fixture
def finance(django_user_model):
    user = django_user_model.objects.create_user("finance", email="finance@example.com",
                                                 password="pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="carepay",
                                                     codename="approve_payment"))
    return user


def signup(customer, plans, plan="starter", country="GB", name="Hollis & Wren") -> Subscription:
    return sign_up(owner=customer, name=name, plan=plans[plan], country=country)


def submit(invoice: Invoice, customer, *, backend="bank_transfer_uk", reference="BT-2026-001",
           amount=None) -> Payment:
    return services.submit_transfer(invoice, backend=backend, reference=reference,
                                    amount=amount, by=customer)


def refreshed(*objects):
    for obj in objects:
        obj.refresh_from_db()
    return objects


# -- signing up -----------------------------------------------------------------------

def test_the_free_plan_starts_at_once_with_1000_credits_and_no_invoice(plans, customer):
    subscription = signup(customer, plans, plan="free")
    account = subscription.account
    assert account.status == Account.Status.ACTIVE
    assert account.credits == 1000
    assert subscription.status == Subscription.Status.ACTIVE
    assert subscription.started_at is not None
    assert subscription.invoice is None
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(("country", "currency", "total"), [
    ("GB", "GBP", "25.00"),
    ("PK", "PKR", "8000.00"),
    ("US", "USD", "29.00"),
    ("DE", "EUR", "29.00"),
    ("AE", "GBP", "25.00"),  # no price in AED: the list price
])
def test_a_paid_signup_waits_for_its_issued_invoice(plans, customer, country, currency, total):
    subscription = signup(customer, plans, country=country)
    account = subscription.account
    assert account.status == Account.Status.PENDING_PAYMENT
    assert account.credits == 0
    assert subscription.status == Subscription.Status.PENDING
    invoice = subscription.invoice
    assert invoice.status == Invoice.Status.OPEN
    assert invoice.number.startswith(f"INV-{timezone.localdate().year}-")
    assert invoice.subject == account
    assert invoice.customer == customer
    assert (invoice.currency, invoice.total) == (currency, Decimal(total))
    assert (invoice.billing_country, invoice.billing_name, invoice.billing_email) == (
        country, "Hollis & Wren", "hannah@example.com")
    assert invoice.lines.get().description == (
        "Riverside Cloud Starter plan: first month (10,000 credits)")


def test_the_pakistan_transfer_is_offered_to_a_pk_invoice_and_not_a_gb_one(plans, customer):
    pk_invoice = signup(customer, plans, country="PK").invoice
    gb_invoice = signup(customer, plans, country="GB").invoice
    de_invoice = signup(customer, plans, country="DE").invoice

    def offered(invoice):
        return [backend.alias for backend in available_backends(invoice)]

    assert offered(pk_invoice) == ["card", "bank_transfer_pk"]
    assert offered(gb_invoice) == ["card", "bank_transfer", "bank_transfer_uk"]
    assert offered(de_invoice) == ["card", "bank_transfer", "sepa"]
    pk = get_backend("bank_transfer_pk")
    instructions = pk.render_instructions(pk_invoice)
    assert pk_invoice.number in instructions
    assert format_money(Decimal("8000.00"), "PKR") in instructions
    assert pk.account["IBAN"] == "PK36SCBL0000001123456702"


# -- paying by bank transfer ------------------------------------------------------------

def test_a_submitted_transfer_waits_for_approval_and_the_account_stays_pending(
        plans, customer, django_capture_on_commit_callbacks):
    subscription = signup(customer, plans)
    with django_capture_on_commit_callbacks(execute=True):
        payment = submit(subscription.invoice, customer)
    account, invoice = refreshed(subscription.account, subscription.invoice)
    assert payment.status == Payment.Status.AWAITING_APPROVAL
    assert invoice.status == Invoice.Status.OPEN
    assert account.status == Account.Status.PENDING_PAYMENT
    assert account.credits == 0
    # Finance hears about it (CAREPAY["STAFF_NOTIFICATION_EMAILS"]).
    assert [m.to for m in mail.outbox] == [["frank.osei@example.com"]]
    assert "BT-2026-001" in mail.outbox[0].body


def test_approval_activates_the_account_and_subscription_and_grants_credits_once(
        plans, customer, finance, carepay_signals):
    subscription = signup(customer, plans)
    payment = submit(subscription.invoice, customer)
    carepay_signals.clear()  # what signing up and submitting announced

    services.approve_payment(payment, by=finance, notes="On the statement.")

    account, subscription = refreshed(subscription.account, subscription)
    assert account.status == Account.Status.ACTIVE
    assert account.credits == 10_000
    assert subscription.status == Subscription.Status.ACTIVE
    assert subscription.started_at is not None
    # Both payment_approved and invoice_paid announced it, to the SaaS's own receivers
    # (sender Account); the credits came once.
    assert carepay_signals.names() == ["payment_approved", "payment_succeeded", "invoice_paid"]
    assert {call.sender for call in carepay_signals} == {Account}
    assert carepay_signals.one("invoice_paid")["by"] == finance
    assert start_paid_subscription(subscription.invoice) is False

    with pytest.raises(AlreadyDecided, match="already approved by finance"):
        services.approve_payment(payment, by=finance)
    account.refresh_from_db()
    assert account.credits == 10_000
    assert Transaction.objects.filter(invoice=subscription.invoice).count() == 1


def test_the_customer_who_submitted_may_not_approve_it(plans, customer, finance):
    finance_subscription = signup(finance, plans, name="Finance's own account")
    payment = submit(finance_subscription.invoice, finance)
    with pytest.raises(PermissionRefused, match="another member of staff"):
        services.approve_payment(payment, by=finance)
    payment.refresh_from_db()
    assert payment.status == Payment.Status.AWAITING_APPROVAL


def test_a_rejected_transfer_leaves_the_account_pending_and_can_be_submitted_again(
        plans, customer, finance, django_capture_on_commit_callbacks):
    subscription = signup(customer, plans)
    first = submit(subscription.invoice, customer)
    with django_capture_on_commit_callbacks(execute=True):
        services.reject_payment(first, by=finance, notes="Nothing arrived with BT-2026-001.")
    account, invoice = refreshed(subscription.account, subscription.invoice)
    assert account.status == Account.Status.PENDING_PAYMENT
    assert account.credits == 0
    assert invoice.is_payable
    assert mail.outbox[-1].to == ["hannah@example.com"]  # carepay tells the payer why

    second = submit(invoice, customer, reference="BT-2026-002")
    assert second.status == Payment.Status.AWAITING_APPROVAL
    services.approve_payment(second, by=finance)
    account.refresh_from_db()
    assert (account.status, account.credits) == (Account.Status.ACTIVE, 10_000)


def test_a_part_payment_approved_waits_for_the_rest(plans, customer, finance):
    subscription = signup(customer, plans)
    invoice = subscription.invoice
    services.approve_payment(submit(invoice, customer, amount="10.00"), by=finance)
    account, invoice = refreshed(subscription.account, invoice)
    assert invoice.amount_due == Decimal("15.00")
    assert account.status == Account.Status.PENDING_PAYMENT

    services.approve_payment(submit(invoice, customer, reference="BT-2026-002"), by=finance)
    account.refresh_from_db()
    assert (account.status, account.credits) == (Account.Status.ACTIVE, 10_000)


def test_a_receiver_that_raises_during_approval_rolls_everything_back(
        plans, customer, finance, receive):
    subscription = signup(customer, plans)
    payment = submit(subscription.invoice, customer)
    seen = []

    def fail(invoice, **kwargs):
        # The account was activated inside the same transaction, a moment ago...
        seen.append(Account.objects.get(pk=subscription.account_id).status)
        raise RuntimeError("the CRM is down")

    receive(invoice_paid, sender=Account, action=fail)
    with pytest.raises(RuntimeError, match="CRM"):
        services.approve_payment(payment, by=finance)

    # ...and all of it rolled back with the payment.
    assert seen == [Account.Status.ACTIVE]
    account, payment, invoice = refreshed(subscription.account, payment, subscription.invoice)
    subscription.refresh_from_db()
    assert payment.status == Payment.Status.AWAITING_APPROVAL
    assert invoice.status == Invoice.Status.OPEN
    assert (account.status, account.credits) == (Account.Status.PENDING_PAYMENT, 0)
    assert subscription.status == Subscription.Status.PENDING
    assert not Transaction.objects.exists()


def test_a_card_payment_activates_the_account_once_however_often_it_is_reported(
        plans, customer):
    subscription = signup(customer, plans, plan="growth")
    # Started, paid at the demo provider, recorded from the return page.
    payment = pay_invoice(subscription.invoice, backend="card")
    update = get_backend("card").sync(payment)
    services.apply_provider_update(update)  # ... and the webhook reports it again
    account, invoice = refreshed(subscription.account, subscription.invoice)
    assert invoice.status == Invoice.Status.PAID
    assert (account.status, account.credits) == (Account.Status.ACTIVE, 50_000)


# -- the pages ----------------------------------------------------------------------------

def test_signing_up_needs_a_login(example_site, plans, client):
    response = client.get(reverse("saas:signup"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_signup_page_offers_the_plans(example_site, plans, client, customer):
    client.force_login(customer)
    response = client.get(reverse("saas:signup"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Starter: £25.00 a month, 10,000 credits" in html
    assert "Free: free, 1,000 credits" in html
    assert '<option value="PK">Pakistan</option>' in html
    assert "PKR" in html  # the prices in other currencies


def test_a_free_signup_through_the_page(example_site, plans, client, customer):
    client.force_login(customer)
    response = client.post(reverse("saas:signup"), {
        "name": "Sandbox", "plan": plans["free"].pk, "country": "GB"}, follow=True)
    assert response.redirect_chain == [(reverse("saas:accounts"), 302)]
    html = response.content.decode()
    assert "Sandbox is ready, with 1,000 credits." in html
    assert "Active" in html


def test_an_invalid_signup_is_shown_again(example_site, plans, client, customer):
    client.force_login(customer)
    response = client.post(reverse("saas:signup"), {
        "name": "  ", "plan": plans["starter"].pk, "country": "XX"})
    assert response.status_code == 400
    assert not Account.objects.exists()


def test_a_paid_signup_paid_by_transfer_and_approved_through_the_pages(
        example_site, plans, client, customer, finance, django_capture_on_commit_callbacks):
    # The customer signs up and lands on the invoice, with the methods for the UK.
    client.force_login(customer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("saas:signup"), {
            "name": "Hollis & Wren Architects", "plan": plans["starter"].pk,
            "country": "GB"})
    account = Account.objects.get()
    invoice = account.subscriptions.get().invoice
    assert response.status_code == 302
    assert response.url == reverse("carepay:invoice_detail", args=[invoice.public_id])
    assert mail.outbox[-1].to == ["hannah@example.com"]  # the invoice with its pay link
    assert "Riverside Cloud Ltd" in mail.outbox[-1].body  # issued by the SaaS, not the clinic
    html = client.get(response.url).content.decode()
    assert "UK bank transfer (Faster Payments)" in html
    assert "Bank transfer in Pakistan" not in html

    # It follows the Faster Payments instructions and reports the transfer with a receipt.
    pay_url = reverse("carepay:pay", args=[invoice.public_id, "bank_transfer_uk"])
    html = client.get(pay_url).content.decode()
    assert "20-20-15" in html and invoice.number in html
    response = client.post(pay_url, {
        "reference": "BT-2026-001", "amount": "25.00",
        "paid_on": timezone.localdate().isoformat(), "notes": "",
        "proof": SimpleUploadedFile("receipt.png", receipt_png(), content_type="image/png"),
    })
    assert response.status_code == 302
    payment = Payment.objects.get(invoice=invoice)
    assert payment.status == Payment.Status.AWAITING_APPROVAL
    assert payment.proof.name.endswith(".png")
    html = client.get(reverse("saas:accounts")).content.decode()
    assert "Pending payment" in html
    assert "Your transfer (BT-2026-001) is waiting for our approval." in html

    # The queue is finance's, not the customer's.
    assert client.get(reverse("carepay:approvals")).status_code == 403
    client.force_login(finance)
    response = client.get(reverse("carepay:approvals"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "BT-2026-001" in html and "Hollis &amp; Wren Architects" in html
    assert reverse("carepay:approvals") in html  # the nav link for approvers
    response = client.post(reverse("carepay:approve_payment", args=[payment.public_id]),
                           {"notes": "On the statement."}, follow=True)
    assert f"Approved BT-2026-001 for {invoice.number}." in response.content.decode()

    # Approving it again is refused, and says by whom.
    response = client.post(reverse("carepay:approve_payment", args=[payment.public_id]),
                           {}, follow=True)
    assert "already approved by finance" in response.content.decode()

    client.force_login(customer)
    html = client.get(reverse("saas:accounts")).content.decode()
    account.refresh_from_db()
    assert (account.status, account.credits) == (Account.Status.ACTIVE, 10_000)
    assert "Active" in html and "10,000" in html
    assert "Pay invoice" not in html


def test_the_accounts_page_offers_a_retry_after_a_rejection(
        example_site, plans, client, customer, finance):
    subscription = signup(customer, plans, country="DE")
    services.reject_payment(submit(subscription.invoice, customer, backend="sepa"), by=finance,
                            notes="Nothing arrived.")
    client.force_login(customer)
    html = client.get(reverse("saas:accounts")).content.decode()
    assert "Your last payment was not accepted: Nothing arrived." in html
    assert f"Pay invoice {subscription.invoice.number}" in html
    assert reverse("carepay:invoice_detail", args=[subscription.invoice.public_id]) in html


def test_the_accounts_page_shows_only_the_users_own_accounts(
        example_site, plans, client, customer, django_user_model):
    signup(customer, plans, name="Mine")
    other = django_user_model.objects.create_user("bilal", email="bilal@example.com")
    signup(other, plans, name="Theirs", country="PK")
    client.force_login(customer)
    html = client.get(reverse("saas:accounts")).content.decode()
    assert "Mine" in html
    assert "Theirs" not in html


# -- the demo data --------------------------------------------------------------------------

def test_seed_demo_signs_up_riverside_cloud_customers_through_the_services(
        db, example_carepay, django_user_model):
    call_command("seed_demo", stdout=StringIO())
    accounts = {a.name: a for a in Account.objects.select_related("plan")}
    assert {name: (a.status, a.credits) for name, a in accounts.items()} == {
        "Hollis & Wren Sandbox": ("active", 1_000),
        "Hollis & Wren Architects": ("pending_payment", 0),
        "Indus Looms": ("active", 50_000),
        "Weber Kaffeerösterei": ("pending_payment", 0),
        "Weber Catering": ("pending_payment", 0),
    }
    for username in ("customer1", "customer2", "customer3"):
        assert django_user_model.objects.get(username=username).check_password("password123")
    transfers = Payment.objects.filter(invoice__saas_subscription__isnull=False)
    year = timezone.localdate().year
    assert sorted(transfers.values_list("reference", "backend", "status", "recorded_by__username",
                                        "decided_by__username")) == [
        (f"BT-{year}-001", "bank_transfer_uk", "awaiting_approval", "customer1", None),
        (f"BT-{year}-002", "bank_transfer_pk", "succeeded", "customer2", "finance"),
        (f"BT-{year}-003", "sepa", "failed", "customer3", "finance"),
        (f"BT-{year}-004", "sepa", "awaiting_approval", "customer3", None),
    ]
    assert all(p.proof for p in transfers)
    assert accounts["Indus Looms"].subscriptions.get().invoice.currency == "PKR"

    counts = {model: model.objects.count() for model in (Account, Invoice, Payment)}
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert {model: model.objects.count() for model in counts} == counts
    assert "2 bank transfer(s) await approval" in out.getvalue()


def test_seed_saas_needs_the_finance_user(db, example_carepay):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="seed_demo"):
        call_command("seed_saas", stdout=StringIO())


def test_the_demo_receipt_is_a_proof_carepay_accepts(plans, customer):
    invoice = signup(customer, plans).invoice
    payment = services.submit_transfer(
        invoice, backend="bank_transfer_uk", reference="BT-1", by=customer,
        proof=ContentFile(receipt_png(), name="receipt.png"))
    assert payment.proof.name.endswith(".png")


def test_seed_saas_skips_a_project_without_its_transfer_methods(db):
    # tests/settings.py's CAREPAY has cash, terminal and online only.
    err = StringIO()
    call_command("seed_saas", stdout=StringIO(), stderr=err)
    assert "Riverside Cloud not seeded" in err.getvalue()
    assert "bank_transfer_pk, bank_transfer_uk, sepa" in err.getvalue()
    assert not Account.objects.exists()
    assert not Plan.objects.exists()
