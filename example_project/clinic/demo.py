"""The demo's accounts, shared by ``manage.py seed_demo`` and the home page."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

#: Every demo account's password. Demo only: never reuse these accounts elsewhere.
DEMO_PASSWORD = "password123"


@dataclass(frozen=True, kw_only=True)
class DemoAccount:
    username: str
    first_name: str
    last_name: str
    role: str
    group: str = ""
    is_staff: bool = False
    is_superuser: bool = False

    @property
    def email(self) -> str:
        return f"{self.first_name}.{self.last_name}@example.com".lower()


PATIENTS = [
    DemoAccount(username="patient1", first_name="Olivia", last_name="Bennett", role=_("Patient")),
    DemoAccount(username="patient2", first_name="Noah", last_name="Okafor", role=_("Patient")),
    DemoAccount(username="patient3", first_name="Amara", last_name="Singh", role=_("Patient")),
    DemoAccount(username="patient4", first_name="George", last_name="Whitfield",
                role=_("Patient")),
    DemoAccount(username="patient5", first_name="Mei", last_name="Chen", role=_("Patient")),
]

STAFF = [
    DemoAccount(username="reception", first_name="Rita", last_name="Hughes",
                role=_("Reception: bills, records payments"), group="Billing clerk",
                is_staff=True),
    DemoAccount(username="finance", first_name="Frank", last_name="Osei",
                role=_("Finance: refunds, approvals, voids, dashboard"),
                group="Billing manager",
                is_staff=True),
    DemoAccount(username="admin", first_name="Ada", last_name="Admin",
                role=_("Superuser"), is_staff=True, is_superuser=True),
]

ACCOUNTS = [*PATIENTS, *STAFF]
