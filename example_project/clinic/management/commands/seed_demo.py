"""``manage.py seed_demo``: demo users, groups, and appointments billed in every state;
then Riverside Cloud's demo (``manage.py seed_saas``) when the ``saas`` app is installed.

Safe to run again: accounts and appointments that already exist are left as they are
and only what is missing is added. Every invoice reaches its state through
``django_carepay.services`` (issue, record, refund, void, write off, mark overdue),
exactly as the clinic's staff would get it there, never by setting a status.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django_carepay import services
from django_carepay.models import Invoice

from clinic.billing import bill_appointment, draft_appointment_invoice
from clinic.demo import ACCOUNTS, DEMO_PASSWORD, PATIENTS, DemoAccount
from clinic.models import Appointment

#: Namespace of the demo appointments' ids: the same visit always gets the same id,
#: which is how a second run knows it is already there.
DEMO_NAMESPACE = uuid.UUID("6f1c1f0e-4a53-4d0c-9a53-0c4e1f8d2b71")

#: The clinic's own permission its staff need besides carepay's billing roles (set up
#: by ``manage.py carepay_setup_roles``): seeing appointments in the admin.
CLINIC_PERMISSIONS = ["clinic.view_appointment"]


@dataclass(frozen=True, kw_only=True)
class DemoVisit:
    """One demo appointment and what happens to its invoice (``story``)."""

    key: str
    patient: str
    clinician: str
    days_ago: int  # negative: the appointment is still to come
    hour: int
    reason: str
    fee: Decimal
    story: str

    @property
    def id(self) -> uuid.UUID:
        return uuid.uuid5(DEMO_NAMESPACE, self.key)


def _visit(key: str, patient: str, clinician: str, days_ago: int, hour: int, reason: str,
           fee: str, story: str) -> DemoVisit:
    return DemoVisit(key=key, patient=patient, clinician=clinician, days_ago=days_ago,
                     hour=hour, reason=reason, fee=Decimal(fee), story=story)


VISITS = [
    _visit("p1-checkup", "patient1", "Dr Amelia Hart", 21, 9, "Annual health check",
           "95.00", "paid_in_cash"),
    _visit("p1-cough", "patient1", "Dr Rahul Mehta", 3, 10, "Persistent cough",
           "65.00", "open"),
    _visit("p1-blood-pressure", "patient1", "Dr Amelia Hart", 45, 14, "Blood pressure review",
           "65.00", "overdue"),
    _visit("p2-travel", "patient2", "Dr Sarah O'Neill", 10, 11, "Travel health advice",
           "80.00", "partly_paid"),
    _visit("p2-follow-up", "patient2", "Dr Rahul Mehta", -4, 15, "Follow-up consultation",
           "65.00", "draft"),
    _visit("p2-rash", "patient2", "Dr Amelia Hart", 30, 9, "Skin rash",
           "65.00", "partly_refunded"),
    _visit("p3-fit-note", "patient3", "Dr Sarah O'Neill", 14, 16, "Fit note",
           "45.00", "paid_at_terminal"),
    _visit("p3-knee", "patient3", "Dr Rahul Mehta", 25, 12, "Knee pain",
           "80.00", "refunded"),
    _visit("p3-hay-fever", "patient3", "Dr Amelia Hart", 6, 10, "Hay fever",
           "65.00", "void"),
    _visit("p4-diabetes", "patient4", "Dr Rahul Mehta", 50, 9, "Diabetes review",
           "120.00", "overdue"),
    _visit("p4-back", "patient4", "Dr Sarah O'Neill", 38, 11, "Lower back pain",
           "80.00", "overdue_partly_paid"),
    _visit("p4-medical-report", "patient4", "Dr Amelia Hart", 90, 15,
           "Insurance medical report", "150.00", "written_off"),
    _visit("p5-migraine", "patient5", "Dr Sarah O'Neill", 2, 13, "Migraine",
           "65.00", "open"),
    _visit("p5-vaccination", "patient5", "Dr Rahul Mehta", -7, 10, "Vaccination consultation",
           "45.00", "draft"),
    _visit("p5-sleep", "patient5", "Dr Amelia Hart", 1, 17, "Sleep problems",
           "80.00", "open"),
]

#: Days after the appointment that an overdue invoice fell due.
OVERDUE_TERMS = timedelta(days=14)


class Command(BaseCommand):
    help = ("Create the demo's users, groups and 15 appointments with invoices in every "
            "state, then Riverside Cloud's (seed_saas). Run again to add only what is "
            "missing.")

    def handle(self, *args: Any, **options: Any) -> None:
        created_users = self._seed_groups_and_users()
        users = {u.username: u for u in get_user_model().objects.filter(
            username__in=[a.username for a in ACCOUNTS])}
        self._reception = users["reception"]
        self._finance = users["finance"]

        existing = set(Appointment.objects.filter(
            pk__in=[v.id for v in VISITS]).values_list("pk", flat=True))
        missing = [v for v in VISITS if v.id not in existing]
        for visit in missing:
            # One visit at a time: a failure never leaves an appointment half billed.
            with transaction.atomic():
                self._seed_visit(visit, users[visit.patient])

        if not created_users and not missing:
            self.stdout.write("Demo data already seeded; nothing to add.")
        else:
            self.stdout.write(self.style.SUCCESS(
                f"Seeded {len(created_users)} user(s) and {len(missing)} appointment(s) "
                "with their invoices."))
        if apps.is_installed("saas"):
            # After the staff exist: finance decides on the seeded bank transfers.
            call_command("seed_saas", stdout=self.stdout, stderr=self.stderr)
        if apps.is_installed("school"):
            call_command("seed_school", stdout=self.stdout, stderr=self.stderr)
        self._print_summary()

    # -- accounts ----------------------------------------------------------------
    def _seed_groups_and_users(self) -> list[str]:
        # carepay's roles: "Billing clerk" (reception) and "Billing manager" (finance).
        call_command("carepay_setup_roles", stdout=StringIO())
        groups = {group.name: group for group in Group.objects.filter(
            name__in={a.group for a in ACCOUNTS if a.group})}
        clinic_perms = self._permissions(CLINIC_PERMISSIONS)
        for group in groups.values():
            group.permissions.add(*clinic_perms)
        created = []
        for account in ACCOUNTS:
            user, was_created = self._seed_user(account)
            if account.group:
                user.groups.add(groups[account.group])
            if was_created:
                created.append(account.username)
        return created

    def _permissions(self, perm_names: list[str]) -> list[Permission]:
        perms = []
        for perm_name in perm_names:
            app_label, codename = perm_name.split(".")
            try:
                perms.append(Permission.objects.get(content_type__app_label=app_label,
                                                    codename=codename))
            except Permission.DoesNotExist:
                raise CommandError(
                    f"Permission {perm_name} does not exist; run `manage.py migrate` first."
                ) from None
        return perms

    def _seed_user(self, account: DemoAccount) -> tuple[Any, bool]:
        user, created = get_user_model().objects.get_or_create(
            username=account.username,
            defaults={"first_name": account.first_name, "last_name": account.last_name,
                      "email": account.email, "is_staff": account.is_staff,
                      "is_superuser": account.is_superuser},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        return user, created

    # -- appointments and their invoices -----------------------------------------
    def _seed_visit(self, visit: DemoVisit, patient: Any) -> None:
        day = timezone.localdate() - timedelta(days=visit.days_ago)
        appointment = Appointment.objects.create(
            id=visit.id, patient=patient, clinician=visit.clinician, reason=visit.reason,
            fee=visit.fee, starts_at=timezone.make_aware(datetime.combine(day, time(visit.hour))),
        )
        getattr(self, f"_story_{visit.story}")(appointment)

    def _bill(self, appointment: Appointment, *, overdue: bool = False) -> Invoice:
        due_date = None
        if overdue:
            due_date = timezone.localdate(appointment.starts_at) + OVERDUE_TERMS
        return bill_appointment(appointment, by=self._reception, due_date=due_date)

    def _take(self, invoice: Invoice, backend: str, amount: str | None = None,
              reference: str = "") -> Any:
        return services.record_payment(
            invoice, backend=backend, amount=None if amount is None else Decimal(amount),
            reference=reference, by=self._reception,
        )

    def _story_draft(self, appointment: Appointment) -> None:
        draft_appointment_invoice(appointment)

    def _story_open(self, appointment: Appointment) -> None:
        self._bill(appointment)

    def _story_overdue(self, appointment: Appointment) -> None:
        self._bill(appointment, overdue=True)
        services.mark_overdue()

    def _story_paid_in_cash(self, appointment: Appointment) -> None:
        self._take(self._bill(appointment), "cash")

    def _story_paid_at_terminal(self, appointment: Appointment) -> None:
        self._take(self._bill(appointment), "terminal", reference="Terminal receipt 004417")

    def _story_partly_paid(self, appointment: Appointment) -> None:
        self._take(self._bill(appointment), "cash", amount="30.00")

    def _story_overdue_partly_paid(self, appointment: Appointment) -> None:
        self._take(self._bill(appointment, overdue=True), "cash", amount="40.00")
        services.mark_overdue()

    def _story_partly_refunded(self, appointment: Appointment) -> None:
        payment = self._take(self._bill(appointment), "terminal",
                             reference="Terminal receipt 003981")
        services.refund_payment(payment, amount=Decimal("20.00"), by=self._finance,
                                reason="Goodwill: the appointment started 40 minutes late.")

    def _story_refunded(self, appointment: Appointment) -> None:
        payment = self._take(self._bill(appointment), "cash")
        services.refund_payment(payment, by=self._finance,
                                reason="Consultation cancelled by the practice.")

    def _story_void(self, appointment: Appointment) -> None:
        services.void_invoice(self._bill(appointment), by=self._finance,
                              reason="Booked in error: the patient was seen by the NHS.")

    def _story_written_off(self, appointment: Appointment) -> None:
        invoice = self._bill(appointment, overdue=True)
        services.mark_overdue()
        services.write_off_invoice(invoice, by=self._finance,
                                   reason="Patient moved abroad; not worth pursuing.")

    # -- output ------------------------------------------------------------------
    def _print_summary(self) -> None:
        counts = dict(Invoice.objects.order_by().values_list("status")
                      .annotate(n=Count("id")).values_list("status", "n"))
        by_status = ", ".join(f"{label.lower()} {counts[value]}"
                              for value, label in Invoice.Status.choices if counts.get(value))
        self.stdout.write(f"Invoices: {sum(counts.values())} ({by_status or 'none'}).")
        self.stdout.write(f"\nLog in at /accounts/login/ with password {DEMO_PASSWORD!r}:")
        patients = f"{PATIENTS[0].username} … {PATIENTS[-1].username}"
        self.stdout.write(f"  {patients:<22} patients: see and pay their invoices")
        for account in ACCOUNTS:
            if account not in PATIENTS:
                self.stdout.write(f"  {account.username:<22} {account.role}")
