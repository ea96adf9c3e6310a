"""Go-live checks (``manage.py check --deploy``): what would hurt on the first real day.

Each item of the go-live list that code can see has a stable id and a hint saying what
to change; ``carepay_golive`` (:mod:`django_carepay.golive`) prints them as a checklist
beside the items only a person can tick. Ids: ``carepay.E040`` the demo provider
configured in production, ``W040`` ``SITE_URL`` not HTTPS, ``W041`` an e-mail backend
that sends nothing, ``W042`` Django's default sender address, ``W043`` PDFs off
(WeasyPrint not installed; ``E030`` covers installed but broken). The Stripe backends
add ``W010`` (test keys), ``W012`` (``api_base`` not Stripe's) and ``W013`` (test and
live keys across aliases) in :mod:`django_carepay.backends.stripe.checks`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from .conf import carepay_settings

#: E-mail backends that deliver nothing to anyone.
UNSENT_EMAIL_BACKENDS = frozenset({
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
})

#: Sender addresses no real mailbox answers.
PLACEHOLDER_SENDERS = ("webmaster@localhost", "@example.com", "@example.org", "@localhost")


@checks.register("carepay", deploy=True)
def check_go_live(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``carepay.E040``, ``W013`` and ``W040``-``W043`` (see the module docstring)."""
    if not isinstance(carepay_settings.BACKENDS, dict):
        return [*_site_url(), *_email(), *_pdfs()]
    return [*_demo_provider(), *_stripe_modes(), *_site_url(), *_email(), *_pdfs()]


def _demo_provider() -> list[checks.CheckMessage]:
    from .backends import backends
    from .backends.dummy import DummyBackend

    # Deploy checks judge the settings as production's (as Django's own do, security.W018
    # among them), whatever DEBUG says here.
    messages: list[checks.CheckMessage] = []
    for alias in backends:
        try:
            backend = backends[alias]
        except (ImproperlyConfigured, AttributeError, TypeError):
            continue  # reported by check_settings
        if isinstance(backend, DummyBackend):
            messages.append(checks.Error(
                f"CAREPAY['BACKENDS'][{alias!r}] is the demo provider (DummyBackend): it "
                "confirms payments without taking any money.",
                hint="Configure a real provider for this alias, e.g. "
                     "'django_carepay.backends.stripe.StripeCheckoutBackend'.",
                id="carepay.E040"))
    return messages


def _site_url() -> list[checks.CheckMessage]:
    url = carepay_settings.SITE_URL
    if not url or urlsplit(url).scheme == "https":
        return []
    return [checks.Warning(
        f"CAREPAY['SITE_URL'] is {url!r}: payment links e-mailed to payers and Stripe's "
        "return addresses would not use HTTPS.",
        hint="Set CAREPAY['SITE_URL'] = 'https://your.domain'.", id="carepay.W040")]


def _email() -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    backend = getattr(settings, "EMAIL_BACKEND", "")
    if backend in UNSENT_EMAIL_BACKENDS:
        messages.append(checks.Warning(
            f"EMAIL_BACKEND is {backend.rsplit('.', 2)[-2]}: invoices, receipts and "
            "staff notices would reach nobody.",
            hint="Set EMAIL_BACKEND to 'django.core.mail.backends.smtp.EmailBackend' (or "
                 "your provider's) with EMAIL_HOST and credentials.", id="carepay.W041"))
    sender = carepay_settings.FROM_EMAIL or ""
    if not sender or sender.lower().endswith(PLACEHOLDER_SENDERS):
        messages.append(checks.Warning(
            f"carepay's e-mails would be sent from {sender or 'no address'!r}, which no "
            "payer can answer and many mail servers reject.",
            hint="Set DEFAULT_FROM_EMAIL (or CAREPAY['FROM_EMAIL']) to your billing "
                 "address, e.g. 'Billing <billing@your.domain>'.", id="carepay.W042"))
    return messages


def _pdfs() -> list[checks.CheckMessage]:
    from .documents import engine

    if engine.weasyprint_installed():
        return []  # whether it loads is carepay.E030
    return [checks.Warning(
        "WeasyPrint is not installed: invoices and receipts are e-mailed without their "
        "PDF, and payers and staff cannot download them.",
        hint=engine.INSTALL_HINT, id="carepay.W043")]


def _stripe_modes() -> list[checks.CheckMessage]:
    """``carepay.W013``: some Stripe aliases hold test keys and others live keys."""
    from .backends import backends

    try:
        from .backends.stripe import StripeBackend
        from .backends.stripe.checks import key_mode
    except ImportError:  # pragma: no cover - without the [stripe] extra
        return []
    modes: dict[str, list[str]] = {}
    for alias in backends:
        try:
            backend = backends[alias]
        except (ImproperlyConfigured, AttributeError, TypeError):
            continue
        if isinstance(backend, StripeBackend):
            mode = key_mode(str(backend.options.get("secret_key") or ""))
            if mode:
                modes.setdefault(mode, []).append(alias)
    if len(modes) < 2:
        return []
    return [checks.Warning(
        f"Stripe aliases {', '.join(modes['test'])} use test keys while "
        f"{', '.join(modes['live'])} use live keys.",
        hint="Give every Stripe alias the same account's live keys (sk_live_…) in "
             "production.", id="carepay.W013")]
