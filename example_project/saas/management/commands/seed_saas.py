"""``manage.py seed_saas``: Riverside Cloud's plans, customers and accounts signed up
in every state (``seed_demo`` runs it too).

Safe to run again: plans, customers and accounts that already exist (an account is
known by its owner and name) are left as they are and only what is missing is added.
Every account reaches its state as a customer and finance would get it there: signing
up, submitting a bank transfer, approving or rejecting it, through
``saas.billing.sign_up`` and ``django_carepay.services``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count
from django.test.utils import override_settings
from django.utils import timezone
from django_carepay import services
from django_carepay.backends import get_backend
from django_carepay.exceptions import UnknownBackend
from django_carepay.models import Payment

from clinic.demo import DEMO_PASSWORD
from saas.billing import sign_up
from saas.demo import CUSTOMERS, ensure_plans, receipt_png
from saas.models import Account, Plan

#: The member of staff (seeded by ``seed_demo``) who decides on transfers.
APPROVER = "finance"


@dataclass(frozen=True, kw_only=True)
class DemoSignup:
    """One demo account and what happened after it signed up (``story``)."""

    owner: str
    name: str
    plan: str
    country: str
    story: str
    #: The bank transfer method the customer pays with, and the numbers of the
    #: references they quote (BT-<year>-<number>), one per transfer submitted.
    method: str = ""
    transfers: tuple[int, ...] = ()


SIGNUPS = [
    DemoSignup(owner="customer1", name="Hollis & Wren Sandbox", plan="free", country="GB",
               story="free"),
    DemoSignup(owner="customer1", name="Hollis & Wren Architects", plan="starter",
               country="GB", story="transfer_waiting", method="bank_transfer_uk",
               transfers=(1,)),
    DemoSignup(owner="customer2", name="Indus Looms", plan="growth", country="PK",
               story="transfer_approved", method="bank_transfer_pk", transfers=(2,)),
    DemoSignup(owner="customer3", name="Weber Kaffeerösterei", plan="starter", country="DE",
               story="transfer_rejected_then_resubmitted", method="sepa", transfers=(3, 4)),
    DemoSignup(owner="customer3", name="Weber Catering", plan="growth", country="DE",
               story="unpaid"),
]


class Command(BaseCommand):
    help = ("Create Riverside Cloud's plans, three customers and five accounts: free, "
            "unpaid, and paid by bank transfer (waiting, approved, rejected then "
            "submitted again). Run again to add only what is missing.")

    def handle(self, *args: Any, **options: Any) -> None:
        unconfigured = self._unconfigured_methods()
        if unconfigured:
            # Degrade rather than fail: seed_demo runs this too, and the clinic's demo
            # must still seed in a project that does not sell Riverside Cloud.
            self.stderr.write(self.style.WARNING(
                "Riverside Cloud not seeded: its customers pay with the CAREPAY['BACKENDS'] "
                f"{', '.join(unconfigured)}, which this project does not configure (see "
                "example_project/settings.py)."))
            return
        User = get_user_model()
        try:
            self._approver = User.objects.get(username=APPROVER)
        except User.DoesNotExist:
            raise CommandError(f"There is no {APPROVER!r} user to approve transfers; run "
                               "`manage.py seed_demo` (it runs this command too).") from None
        created_users = [c.username for c in CUSTOMERS if self._seed_customer(c)]
        customers = {u.username: u for u in User.objects.filter(
            username__in=[c.username for c in CUSTOMERS])}
        plans = ensure_plans()
        missing = [s for s in SIGNUPS
                   if not Account.objects.filter(owner=customers[s.owner], name=s.name).exists()]
        # The seeded history is not news: keep its e-mails (staff notifications,
        # decisions) out of the console.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            for signup in missing:
                # One account at a time: a failure never leaves one half signed up.
                with transaction.atomic():
                    self._seed_signup(signup, customers[signup.owner], plans[signup.plan])
        if created_users or missing:
            self.stdout.write(self.style.SUCCESS(
                f"Seeded {len(created_users)} Riverside Cloud customer(s) and "
                f"{len(missing)} account(s)."))
        self._print_summary()

    @staticmethod
    def _unconfigured_methods() -> list[str]:
        missing = []
        for method in sorted({s.method for s in SIGNUPS if s.method}):
            try:
                get_backend(method)
            except UnknownBackend:
                missing.append(method)
        return missing

    def _seed_customer(self, customer: Any) -> bool:
        user, created = get_user_model().objects.get_or_create(
            username=customer.username,
            defaults={"first_name": customer.first_name, "last_name": customer.last_name,
                      "email": customer.email},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        return created

    # -- accounts and their invoices -----------------------------------------------
    def _seed_signup(self, signup: DemoSignup, owner: Any, plan: Plan) -> None:
        subscription = sign_up(owner=owner, name=signup.name, plan=plan,
                               country=signup.country)
        transfers = iter(signup.transfers)

        def submit() -> Payment:
            """The customer reports their next transfer, with a photo of the receipt."""
            assert subscription.invoice is not None  # paid plans are invoiced
            return services.submit_transfer(
                subscription.invoice, backend=signup.method,
                reference=f"BT-{timezone.localdate().year}-{next(transfers):03d}",
                by=owner, paid_on=timezone.localdate(),
                proof=ContentFile(receipt_png(), name="bank-receipt.png"),
            )

        story: Callable[[Callable[[], Payment]], None] = getattr(self, f"_story_{signup.story}")
        story(submit)

    def _story_free(self, submit: Callable[[], Payment]) -> None:
        """Nothing to pay: the account is active already."""

    def _story_unpaid(self, submit: Callable[[], Payment]) -> None:
        """Signed up; the invoice waits to be paid."""

    def _story_transfer_waiting(self, submit: Callable[[], Payment]) -> None:
        submit()

    def _story_transfer_approved(self, submit: Callable[[], Payment]) -> None:
        services.approve_payment(submit(), by=self._approver,
                                 notes="Matched on the bank statement.")

    def _story_transfer_rejected_then_resubmitted(self, submit: Callable[[], Payment]) -> None:
        services.reject_payment(
            submit(), by=self._approver,
            notes="No transfer with this reference has reached our account; please check "
                  "the reference with your bank and submit it again.",
        )
        submit()

    # -- output ----------------------------------------------------------------------
    def _print_summary(self) -> None:
        counts = dict(Account.objects.order_by().values_list("status")
                      .annotate(n=Count("id")).values_list("status", "n"))
        by_status = ", ".join(f"{label.lower()} {counts[value]}"
                              for value, label in Account.Status.choices if counts.get(value))
        waiting = Payment.objects.awaiting_approval().count()
        self.stdout.write(
            f"Riverside Cloud accounts: {sum(counts.values())} ({by_status or 'none'}); "
            f"{waiting} bank transfer(s) await approval at /billing/staff/approvals/ "
            f"(log in as {APPROVER}).")
        self.stdout.write(
            f"Riverside Cloud customers: {CUSTOMERS[0].username} … {CUSTOMERS[-1].username} "
            f"(password {DEMO_PASSWORD!r}) see their accounts and sign up at /saas/.")
