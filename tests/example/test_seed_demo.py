"""The example project: ``seed_demo``, billing appointments, and the pages a visitor sees.

Needs ``"clinic"`` in ``tests/settings.py``'s ``INSTALLED_APPS`` (the example project
directory is on pytest's ``pythonpath``).
"""

from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

if not apps.is_installed("clinic"):
    pytest.skip("add 'clinic' to INSTALLED_APPS in tests/settings.py to test the example "
                "project", allow_module_level=True)

from clinic.billing import bill_appointment
from clinic.models import Appointment

from django_carepay import services
from django_carepay.models import Invoice, Payment, Transaction
from django_carepay.testing import pay_invoice

PATIENTS = [f"patient{n}" for n in range(1, 6)]
STAFF = ["reception", "finance", "admin"]


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def group_perms(name: str) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}"
            for p in Group.objects.get(name=name).permissions.select_related("content_type")}


def row_counts() -> dict[str, int]:
    from django.contrib.auth import get_user_model

    return {model.__name__: model.objects.count() for model in
            (get_user_model(), Group, Appointment, Invoice, Payment, Transaction)}


@pytest.fixture
def seeded(db):
    return seed()


@pytest.fixture
def example_site(settings):
    """Serve the example project's URLs and templates, with its log-in settings."""
    from example_project import settings as example_settings

    for name in ("ROOT_URLCONF", "TEMPLATES", "LOGIN_URL", "LOGIN_REDIRECT_URL",
                 "LOGOUT_REDIRECT_URL"):
        setattr(settings, name, getattr(example_settings, name))


# -- seed_demo -----------------------------------------------------------------------

def test_seed_demo_creates_the_demo_accounts(seeded, django_user_model):
    users = {u.username: u for u in django_user_model.objects.all()}
    # the music school's student too (seed_school, called by seed_demo)
    assert set(users) == {*PATIENTS, *STAFF, "student1"}
    for username in users:
        assert users[username].check_password("password123"), username
    olivia = users["patient1"]
    assert (olivia.get_full_name(), olivia.email) == ("Olivia Bennett",
                                                      "olivia.bennett@example.com")
    assert all(u.first_name and u.last_name and u.email for u in users.values())
    assert not any(users[p].is_staff for p in PATIENTS)
    assert users["reception"].is_staff and not users["reception"].is_superuser
    assert users["finance"].is_staff and not users["finance"].is_superuser
    assert users["admin"].is_superuser
    assert list(users["reception"].groups.values_list("name", flat=True)) == ["Billing clerk"]
    assert list(users["finance"].groups.values_list("name", flat=True)) == ["Billing manager"]


def test_seed_demo_gives_reception_and_finance_their_billing_roles(seeded, django_user_model):
    """carepay_setup_roles' groups, plus the clinic's own permission to see appointments."""
    views = {"carepay.view_invoice", "carepay.view_invoiceline", "carepay.view_payment",
             "carepay.view_transaction", "clinic.view_appointment"}
    billing = {"carepay.add_invoice", "carepay.change_invoice", "carepay.record_payment"}
    assert group_perms("Billing clerk") == {*billing, *views}
    assert group_perms("Billing manager") == {
        "carepay.refund_payment", "carepay.approve_payment", "carepay.view_dashboard",
        "carepay.void_invoice", *billing, *views,
    }
    reception = django_user_model.objects.get(username="reception")
    assert reception.has_perm("carepay.record_payment")
    assert not reception.has_perm("carepay.refund_payment")


def test_seed_demo_bills_fifteen_appointments_in_every_state(seeded):
    assert Appointment.objects.count() == 15
    for patient in PATIENTS:
        assert Appointment.objects.filter(patient__username=patient).count() == 3
    statuses = Invoice.objects.values_list("status", flat=True)
    assert {s: list(statuses).count(s) for s in set(statuses)} == {
        "draft": 2, "open": 4, "overdue": 3, "paid": 3, "refunded": 1, "void": 1,
        "uncollectible": 1,
    }
    # Every appointment has exactly one invoice, for its patient, at its fee.
    for invoice in Invoice.objects.all():
        appointment = invoice.subject
        assert isinstance(appointment, Appointment)
        assert invoice.customer == appointment.patient
        assert invoice.total == appointment.fee
    assert len({i.subject_object_id for i in Invoice.objects.all()}) == 15


def test_seeded_invoices_got_their_states_through_payments_and_refunds(seeded):
    Status = Invoice.Status
    today = timezone.localdate()
    assert all(i.number is None for i in Invoice.objects.filter(status=Status.DRAFT))
    assert all(i.number.startswith(f"INV-{today.year}-")
               for i in Invoice.objects.exclude(status=Status.DRAFT))
    assert all(i.due_date < today for i in Invoice.objects.filter(status=Status.OVERDUE))

    # Partly paid: one open, one overdue, each with money received and some still due.
    partly_paid = Invoice.objects.filter(status__in=Invoice.COLLECTIBLE, amount_paid__gt=0)
    assert sorted(i.status for i in partly_paid) == ["open", "overdue"]
    assert all(0 < i.amount_due < i.total for i in partly_paid)

    backends = {p.backend for p in Payment.objects.filter(
        invoice__status=Status.PAID, status=Payment.Status.SUCCEEDED)}
    assert backends == {"cash", "terminal"}
    partly_refunded = Invoice.objects.get(status=Status.PAID, amount_refunded__gt=0)
    assert partly_refunded.amount_refunded < partly_refunded.amount_paid
    assert partly_refunded.payments.get().status == Payment.Status.PARTIALLY_REFUNDED
    refunded = Invoice.objects.get(status=Status.REFUNDED)
    assert refunded.amount_refunded == refunded.amount_paid == refunded.total
    assert refunded.payments.get().status == Payment.Status.REFUNDED
    assert Invoice.objects.get(status=Status.VOID).amount_paid == 0
    written_off = Invoice.objects.get(status=Status.UNCOLLECTIBLE)
    assert written_off.close_reason and written_off.due_date < today

    # The cached totals agree with the ledger.
    for invoice in Invoice.objects.all():
        ledger = invoice.transactions.values("kind").annotate(total=Sum("amount"))
        sums = {row["kind"]: row["total"] for row in ledger}
        assert invoice.amount_paid == sums.get(Transaction.Kind.CHARGE, 0)
        assert invoice.amount_refunded == sums.get(Transaction.Kind.REFUND, 0)


def test_seeded_appointments_follow_their_invoices(seeded):
    for appointment in Appointment.objects.all():
        invoice = Invoice.objects.for_subject(appointment).get()
        expected = (Appointment.Status.PAID if invoice.status == Invoice.Status.PAID
                    else Appointment.Status.PENDING)
        assert appointment.status == expected, (invoice.number, invoice.status)


def test_seed_demo_twice_adds_nothing(db):
    first = seed()
    counts = row_counts()
    numbers = set(Invoice.objects.values_list("number", flat=True))
    second = seed()
    assert "Seeded 8 user(s) and 15 appointment(s)" in first
    assert "already seeded" in second
    assert "password123" in second
    assert row_counts() == counts
    assert set(Invoice.objects.values_list("number", flat=True)) == numbers


def test_seed_demo_keeps_existing_accounts_and_adds_the_rest(db, django_user_model):
    django_user_model.objects.create_user("patient1", password="my own password")
    out = seed()
    assert "Seeded 7 user(s) and 15 appointment(s)" in out
    assert django_user_model.objects.get(username="patient1").check_password("my own password")
    assert Appointment.objects.filter(patient__username="patient1").count() == 3


# -- billing an appointment and following its invoice -------------------------------

def test_bill_appointment_issues_an_invoice_for_the_consultation(db, django_user_model):
    patient = django_user_model.objects.create_user(
        "ada", first_name="Ada", last_name="Lovelace", email="ada@example.com")
    appointment = Appointment.objects.create(
        patient=patient, clinician="Dr Amelia Hart", reason="Cough", fee=Decimal("65.00"),
        starts_at=timezone.now(),
    )
    invoice = bill_appointment(appointment)
    assert invoice.status == Invoice.Status.OPEN
    assert invoice.number == f"INV-{timezone.localdate().year}-00001"
    assert invoice.subject == appointment
    assert invoice.customer == patient
    assert invoice.billing_name == "Ada Lovelace"
    assert invoice.total == Decimal("65.00")
    line = invoice.lines.get()
    assert line.description == "GP consultation with Dr Amelia Hart"
    assert line.provider_name == "Dr Amelia Hart"
    assert line.service_date == timezone.localdate(appointment.starts_at)


def test_paying_an_invoice_marks_its_appointment_paid_and_a_full_refund_reopens_it(
        seeded, django_user_model, carepay_signals):
    reception = django_user_model.objects.get(username="reception")
    finance = django_user_model.objects.get(username="finance")
    invoice = Invoice.objects.filter(status=Invoice.Status.OPEN, amount_paid=0,
                                     customer__username="patient1").get()
    appointment = invoice.subject
    assert appointment.status == Appointment.Status.PENDING

    payment = pay_invoice(invoice, backend="cash", by=reception)
    appointment.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert appointment.status == Appointment.Status.PAID
    # The clinic's receivers subscribe with sender=Appointment: that is who sent it.
    assert carepay_signals.one("invoice_paid").sender is Appointment

    services.refund_payment(payment, amount=Decimal("10.00"), by=finance)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.PAID  # a partial refund keeps it paid

    services.refund_payment(payment, by=finance)
    invoice.refresh_from_db()
    appointment.refresh_from_db()
    assert invoice.status == Invoice.Status.REFUNDED
    assert appointment.status == Appointment.Status.PENDING
    assert [call["transaction"].amount for call in carepay_signals.of("payment_refunded")] \
        == [Decimal("10.00"), invoice.total - Decimal("10.00")]


# -- the pages -----------------------------------------------------------------------

def test_home_page_lists_the_demo_accounts_to_visitors(seeded, example_site, client,
                                                       settings):
    settings.DEBUG = True  # as under `make demo`
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("login") in html
    for username in [*PATIENTS, *STAFF]:
        assert f"<code>{username}</code>" in html
    assert "password123" in html


def test_home_page_hides_the_demo_logins_when_deployed(seeded, example_site, client,
                                                       settings):
    settings.DEBUG = False

    html = client.get("/").content.decode()

    assert "password123" not in html
    assert reverse("login") in html


def test_home_page_shows_a_patient_their_appointments(seeded, example_site, client,
                                                      django_user_model):
    client.force_login(django_user_model.objects.get(username="patient1"))
    html = client.get(reverse("clinic:home")).content.decode()
    own = Appointment.objects.filter(patient__username="patient1")
    assert all(a.reason in html for a in own)
    others = Appointment.objects.exclude(patient__username="patient1")
    assert not any(a.reason in html for a in others)
    for invoice in Invoice.objects.filter(customer__username="patient1"):
        assert reverse("carepay:invoice_detail", args=[invoice.public_id]) in html
    assert reverse("carepay:invoice_list") in html
    assert reverse("admin:index") not in html
    # Logging out is a POST form (Django 5 refuses GET).
    assert f'method="post" action="{reverse("logout")}"' in html


def test_home_page_sends_staff_to_the_admin(seeded, example_site, client, django_user_model):
    client.force_login(django_user_model.objects.get(username="reception"))
    assert reverse("admin:index") in client.get(reverse("clinic:home")).content.decode()


def test_carepay_pages_use_the_clinic_layout(seeded, example_site, client, django_user_model):
    client.force_login(django_user_model.objects.get(username="patient1"))
    response = client.get(reverse("carepay:invoice_list"), {"status": "all"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Riverside Medical Practice" in html
    assert "<title>My invoices · Riverside Medical Practice</title>" in html
    issued = Invoice.objects.filter(customer__username="patient1").exclude(status="draft")
    assert issued.count() == 3
    assert all(i.number in html for i in issued)


def test_login_page_logs_a_patient_in(seeded, example_site, client):
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"),
                           {"username": "patient1", "password": "password123"})
    assert response.status_code == 302
    assert response.url == "/"
    assert client.get(reverse("carepay:invoice_list")).status_code == 200
