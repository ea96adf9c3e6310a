"""The demo's sites: one registry, and which site a page belongs to.

Riverside runs several sites on one Django project and one login: the clinic (Riverside
Medical Practice) and the SaaS (Riverside Cloud), each with its own header, colours,
navigation and home. Adding a site (the school of the Checkout issue, say) is one more
:class:`DemoSite` in :data:`SITES`: its name and colours, its navigation, its home page,
the URL namespace of its own pages, the models its invoices are about, and who belongs
to it.

Which site a page is shown in (:func:`site_for_request`):

1. a site's own pages (its URL namespace: ``clinic:…``, ``saas:…``) are that site's;
2. any other page (carepay's ``billing/…``, the log-in page, a 404) is the site of the
   viewer: staff and patients the clinic's, a Riverside Cloud customer the SaaS's;
3. an anonymous visitor holding a signed payment link sees the invoice in the site of
   what it bills (an appointment: the clinic; an account: Riverside Cloud);
4. anyone else gets the neutral front door (:data:`FRONT_DOOR`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from django_carepay import permissions

from clinic.demo import ACCOUNTS as CLINIC_ACCOUNTS
from clinic.demo import DemoAccount
from saas.demo import CUSTOMERS
from school.demo import STUDENT

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django_carepay.models import Invoice

UserRule = Callable[[Any], bool]

# carepay's roles (django_carepay.permissions.ROLES), the staff's group names: listed
# here so makemessages puts them in the example's catalogue.
ROLE_NAMES = (gettext_noop("Billing clerk"), gettext_noop("Billing manager"))


def signed_in(user: Any) -> bool:
    return bool(user.is_authenticated)


def patient(user: Any) -> bool:
    """Someone who pays: signed in and not staff."""
    return bool(user.is_authenticated and not user.is_staff)


def staff(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_staff)


@dataclass(frozen=True, kw_only=True)
class NavLink:
    """An entry of a site's navigation, shown to the users ``show`` accepts and only
    while ``url_name`` exists (pages still being built appear when they are merged)."""

    label: str
    url_name: str
    show: UserRule = signed_in
    #: A line about the page, for the staff home's tiles.
    description: str = ""

    def url(self) -> str | None:
        """The link's URL, or ``None`` while no such page exists."""
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return None


@dataclass(frozen=True, kw_only=True)
class DemoSite:
    """One of the demo's sites: how it looks, what it links to, who belongs to it."""

    key: str
    name: str
    tagline: str
    #: What the front door says about the site, and who logs in to it.
    description: str
    audience: str = ""
    #: URL name of the site's home page, where its members land after logging in.
    home: str
    #: CSS custom properties for ``base.html``: the site's colours, and carepay's
    #: (``--cp-accent`` and friends) so billing pages wear them too.
    theme: dict[str, str]
    #: Static files: the site's logo (decorative: the name is written next to it) and
    #: its stylesheets after the shared ``riverside/site.css``.
    logo: str
    stylesheets: tuple[str, ...] = ()
    nav: tuple[NavLink, ...] = ()
    #: URL namespaces of the site's own pages.
    namespaces: tuple[str, ...] = ()
    #: ``app_label.model`` of the host objects its invoices bill (``Invoice.subject``).
    invoice_subjects: tuple[str, ...] = ()
    #: Who belongs to the site; the first site whose rule accepts a user is theirs.
    members: UserRule = signed_in
    #: What a member who is not staff is called, next to their name in the header.
    member_title: str = ""
    footer: str = ""
    #: The demo's log-ins for this site, listed on the front door and the log-in page.
    demo_accounts: Sequence[DemoAccount] = field(default=())

    def home_url(self) -> str:
        return reverse(self.home)

    def css_variables(self) -> SafeString:
        """The theme as a ``:root`` rule (``html .carepay`` too, to outrank
        carepay.css's defaults wherever the stylesheets come)."""
        declarations = format_html_join(" ", "{}: {};", self.theme.items())
        return SafeString(f":root, html .carepay {{ {declarations} }}")

    def nav_for(self, request: HttpRequest) -> list[dict[str, Any]]:
        """The navigation this user sees here, the current section marked: the entry
        whose URL is the longest prefix of the path (an invoice is under "My invoices")."""
        items = [{"label": link.label, "url": url, "current": False,
                  "description": link.description}
                 for link in self.nav
                 if link.show(request.user) and (url := link.url()) is not None]
        matching = [item for item in items if request.path.startswith(item["url"])]
        if matching:
            max(matching, key=lambda item: len(item["url"]))["current"] = True
        return items

    def title_for(self, user: Any) -> str:
        """What the header calls the signed-in user: their staff roles, or the
        site's name for its members."""
        if user.is_staff:
            # Group names are data; the roles carepay defines are translated.
            return ", ".join(gettext(group.name) for group in user.groups.all()) \
                or str(_("Staff"))
        return self.member_title


CLINIC = DemoSite(
    key="clinic",
    name="Riverside Medical Practice",
    tagline=_("GP surgery · 12 Riverside Walk, London"),
    description=_("A GP practice billing its appointments: patients see and pay their "
                "invoices; reception records cash and card-terminal payments; finance "
                "refunds, approves transfers and follows the money on the dashboard."),
    audience=_("patients, reception and finance"),
    home="clinic:home",
    theme={
        "--site-brand": "#0b6e4f", "--site-brand-strong": "#074d37",
        "--site-brand-soft": "#e3f4ec", "--site-brand-ink": "#ffffff",
        "--site-bg": "#f3f7f5", "--site-header-bg": "#ffffff", "--site-header-ink": "#17322a",
        "--cp-accent": "#0b6e4f", "--cp-accent-soft": "#e3f4ec",
    },
    logo="clinic/logo.svg",
    stylesheets=("clinic/demo.css",),
    nav=(
        NavLink(label=_("My appointments"), url_name="clinic:home", show=patient),
        NavLink(label=_("My invoices"), url_name="carepay:invoice_list", show=patient),
        NavLink(label=_("Statement"), url_name="carepay:statement", show=patient),
        NavLink(label=_("Home"), url_name="clinic:home", show=staff),
        # The staff console; each page appears once its URL exists.
        NavLink(label=_("Invoices"), url_name="carepay:staff_invoices",
                show=permissions.can_view_invoices,
                description=_("Find an invoice, bill a patient, record a payment or a refund.")),
        NavLink(label=_("Approvals"), url_name="carepay:approvals", show=permissions.can_approve,
                description=_("Bank transfers waiting for someone to check the statement.")),
        NavLink(label=_("Dashboard"), url_name="carepay:dashboard",
                show=permissions.can_view_dashboard,
                description=_("What came in, by method and day; what is overdue and how long.")),
        NavLink(label=_("Admin"), url_name="admin:index", show=staff,
                description=_("Appointments, invoices, payments and the ledger in Django's "
                              "admin.")),
    ),
    namespaces=("clinic",),
    invoice_subjects=("clinic.appointment",),
    members=lambda user: staff(user) or user.appointments.exists(),
    member_title=_("Patient"),
    footer="Riverside Medical Practice · 12 Riverside Walk, London SE1 9PX · 020 7946 0000",
    demo_accounts=CLINIC_ACCOUNTS,
)

SAAS = DemoSite(
    key="saas",
    name="Riverside Cloud",
    tagline=_("Hosted workspaces for small teams"),
    description=_("A SaaS selling monthly plans: customers sign up, pay the first invoice by "
                "card or by bank transfer in their own country, and the account starts "
                "when finance approves the transfer."),
    audience=_("its customers"),
    home="saas:accounts",
    theme={
        "--site-brand": "#4338ca", "--site-brand-strong": "#312e81",
        "--site-brand-soft": "#e0e7ff", "--site-brand-ink": "#ffffff",
        "--site-bg": "#f5f5fb", "--site-header-bg": "#1e1b4b", "--site-header-ink": "#ffffff",
        "--cp-accent": "#4338ca", "--cp-accent-soft": "#e0e7ff", "--cp-radius": "10px",
    },
    logo="saas/logo.svg",
    stylesheets=("saas/saas.css",),
    nav=(
        NavLink(label=_("Accounts"), url_name="saas:accounts"),
        NavLink(label=_("New account"), url_name="saas:signup"),
        NavLink(label=_("Sign-up app (API)"), url_name="saas:app"),
        NavLink(label=_("Billing"), url_name="carepay:invoice_list"),
        NavLink(label=_("Statement"), url_name="carepay:statement"),
    ),
    namespaces=("saas",),
    invoice_subjects=("saas.account",),
    members=lambda user: user.is_authenticated and user.saas_accounts.exists(),
    member_title=_("Customer"),
    footer="Riverside Cloud Ltd · 1 Canal Wharf, Leeds LS11 5PS · status.riverside-cloud.example",
    demo_accounts=CUSTOMERS,
)

SCHOOL = DemoSite(
    key="school",
    name="Riverside Music School",
    tagline=_("Lessons, workshops and courses"),
    description=_("A music school selling lessons, workshop seats and courses from one cart, "
                "paid in one go through Stripe Checkout (the demo provider here); each "
                "item is marked paid in its own app and its teacher is told."),
    audience=_("its students"),
    home="school:cart",
    theme={
        "--site-brand": "#9a3412", "--site-brand-strong": "#7c2d12",
        "--site-brand-soft": "#ffedd5", "--site-brand-ink": "#ffffff",
        "--site-bg": "#fdf8f3", "--site-header-bg": "#ffffff", "--site-header-ink": "#431407",
        "--cp-accent": "#9a3412", "--cp-accent-soft": "#ffedd5",
    },
    logo="school/logo.svg",
    stylesheets=("school/school.css",),
    nav=(
        NavLink(label=_("Cart"), url_name="school:cart"),
        NavLink(label=_("My bookings"), url_name="school:bookings"),
        NavLink(label=_("Invoices"), url_name="carepay:invoice_list"),
    ),
    namespaces=("school",),
    invoice_subjects=("school.lesson", "school.workshopseat", "school.enrollment"),
    members=lambda user: user.is_authenticated and (
        user.username == STUDENT["username"] or user.school_lessons.exists()
        or user.school_seats.exists() or user.school_enrollments.exists()),
    member_title=_("Student"),
    footer="Riverside Music School · 3 Organ Lane, Bristol BS1 4DJ",
    demo_accounts=(DemoAccount(username=STUDENT["username"], first_name=STUDENT["first_name"],
                               last_name=STUDENT["last_name"],
                               role=_("Music student: fills a cart and pays by Checkout")),),
)

#: Every site, in the order a user's site is looked for (the first is the default).
SITES: tuple[DemoSite, ...] = (CLINIC, SAAS, SCHOOL)

#: The neutral page every visitor starts from: the sites, and the log-in.
FRONT_DOOR = DemoSite(
    key="riverside",
    name="Riverside demo",
    tagline=_("django-carepay's example project"),
    description="",
    home="home",
    theme={
        "--site-brand": "#334e68", "--site-brand-strong": "#243b53",
        "--site-brand-soft": "#e3ecf5", "--site-brand-ink": "#ffffff",
        "--site-bg": "#f5f7fa", "--site-header-bg": "#243b53", "--site-header-ink": "#ffffff",
        "--cp-accent": "#334e68", "--cp-accent-soft": "#e3ecf5",
    },
    logo="riverside/logo.svg",
    footer=_("Riverside Group Ltd · three sites, one login"),
)


def site_for_user(user: Any) -> DemoSite:
    """The site a signed-in user belongs to: the first that accepts them, else the
    first site."""
    for site in SITES:
        if site.members(user):
            return site
    return SITES[0]


def site_for_invoice(invoice: Invoice) -> DemoSite | None:
    """The site whose domain the invoice bills, if any."""
    model = invoice.subject_model
    if model is None:
        return None
    label = model._meta.label_lower
    return next((site for site in SITES if label in site.invoice_subjects), None)


def site_for_request(request: HttpRequest, invoice: Invoice | None = None) -> DemoSite:
    """The site a page is shown in (see the module's docstring for the rules)."""
    match = request.resolver_match
    namespace = match.namespace if match is not None else ""
    for site in SITES:
        if namespace in site.namespaces:
            return site
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # Looked up once a request: the layout asks, and so may the page.
        cached: DemoSite | None = getattr(request, "_riverside_site", None)
        if cached is None:
            cached = site_for_user(user)
            request._riverside_site = cached  # type: ignore[attr-defined]
        return cached
    if invoice is not None:
        return site_for_invoice(invoice) or FRONT_DOOR
    return FRONT_DOOR
