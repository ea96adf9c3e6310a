"""Host policy, in one class the host subclasses (``CAREPAY["ADAPTER"]``)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.mail import EmailMultiAlternatives, send_mail
from django.utils.module_loading import import_string

from .conf import carepay_settings
from .exceptions import CarepayConfigurationError

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .backends.base import BasePaymentBackend
    from .models import Invoice


class DefaultCarepayAdapter:
    """The default policy. Subclass it and name your class in ``CAREPAY["ADAPTER"]``.

    Every method receives what it needs; none of them changes billing state.
    """

    # -- numbering -------------------------------------------------------------
    def invoice_number_prefix(self, invoice: Invoice) -> str:
        """The series an invoice's number is taken from (one counter per prefix+year)."""
        return "INV"

    def format_invoice_number(self, invoice: Invoice, *, prefix: str, year: int, seq: int) -> str:
        """Render a number from ``CAREPAY["INVOICE_NUMBER_FORMAT"]``."""
        return carepay_settings.INVOICE_NUMBER_FORMAT.format(prefix=prefix, year=year, seq=seq)

    # -- access ----------------------------------------------------------------
    def can_view_invoice(self, request: HttpRequest, invoice: Invoice) -> bool:
        """Whether ``request.user`` may see and pay ``invoice`` (default: its customer)."""
        user = request.user
        return bool(user.is_authenticated and invoice.customer_id == user.pk)

    # -- billing snapshot --------------------------------------------------------
    def billing_details(self, invoice: Invoice) -> dict[str, str]:
        """Billing details frozen on the invoice when it is issued.

        Called only for fields left blank on the draft; the default takes the name
        and e-mail of the invoice's customer.
        """
        customer = invoice.customer
        if customer is None:
            return {}
        full_name = getattr(customer, "get_full_name", lambda: "")() or str(customer)
        limit = type(invoice)._meta.get_field("billing_name").max_length or len(full_name)
        return {"billing_name": full_name[:limit],
                "billing_email": getattr(customer, "email", "")}

    def issuer_details(self, invoice: Invoice) -> dict[str, Any]:
        """Who issues ``invoice``, printed on its PDFs and e-mails.

        Keys (all optional, blank when missing): ``name``, ``address`` (lines separated
        by newlines), ``logo`` (a URL WeasyPrint can fetch: ``https://``, ``file://`` or
        ``data:``), ``tax_id``, ``email``, ``phone``, ``website``. Default: none.
        """
        return {}

    # -- backends -------------------------------------------------------------
    def is_backend_available(self, invoice: Invoice, backend: BasePaymentBackend,
                             country: str | None = None) -> bool:
        """Whether ``backend`` may be offered for ``invoice``, after its own currency,
        country and capability filters passed (default: yes). E.g. offer bank
        transfers for subscriptions but not for a clinic's appointments."""
        return True

    def backend_options(self, invoice: Invoice, alias: str) -> dict[str, Any]:
        """Per-invoice options merged into a backend's calls.

        E.g. ``{"stripe_account": "acct_…", "application_fee_amount": 120}`` for a
        platform collecting on behalf of a connected account.
        """
        return {}

    # -- e-mail ------------------------------------------------------------------
    def from_email(self, invoice: Invoice | None) -> str | None:
        """The sender of carepay's e-mails about ``invoice`` (default
        ``CAREPAY["FROM_EMAIL"]``, else ``DEFAULT_FROM_EMAIL``); a host billing for
        several businesses can answer per invoice."""
        return carepay_settings.FROM_EMAIL

    def send_message(self, message: EmailMultiAlternatives, *, kind: str,
                     invoice: Invoice | None) -> None:
        """Send one of carepay's e-mails (called on commit, never inside the money's
        transaction). ``message`` is complete: subject, text and HTML bodies,
        recipients, sender and any PDF attached; ``kind`` is one of
        :data:`~django_carepay.conf.EMAIL_KINDS` (also in its ``X-Carepay-Kind``
        header). Override to queue it, tag it for your e-mail provider, or add a BCC.
        An exception raised here is logged with the invoice number; it never undoes
        the payment the e-mail is about.

        A host adapter that still overrides the older :meth:`send_mail` keeps
        receiving every message through it (subject, bodies and recipients, without
        attachments); override this method instead to get the attachments too.
        """
        if type(self).send_mail is not DefaultCarepayAdapter.send_mail:
            html = next((str(body) for body, mimetype in message.alternatives
                         if mimetype == "text/html"), None)
            self.send_mail(subject=str(message.subject), message=str(message.body),
                           recipient_list=list(message.to), html_message=html,
                           invoice=invoice)
            return
        message.send()

    def send_mail(self, *, subject: str, message: str, recipient_list: list[str],
                  html_message: str | None = None, invoice: Invoice | None = None,
                  **kwargs: Any) -> None:
        """Send an e-mail about ``invoice``. Superseded by :meth:`send_message`, which
        carepay now calls; kept so that hosts overriding it keep working (see there)."""
        send_mail(
            subject, message, self.from_email(invoice), recipient_list,
            html_message=html_message, **kwargs,
        )

    def staff_recipients(self, invoice: Invoice, kind: str) -> list[str]:
        """Who on the staff hears about ``invoice`` for e-mails of ``kind``
        (``"transfer_submitted"``, ``"staff_payment_received"``); default
        ``CAREPAY["STAFF_NOTIFICATION_EMAILS"]``. E.g. the teacher of a lesson, or
        nobody (``[]``) for a kind staff do not want."""
        return carepay_settings.STAFF_NOTIFICATION_EMAILS

    # -- links -------------------------------------------------------------------
    def build_absolute_uri(self, path: str, request: HttpRequest | None = None) -> str:
        """Make ``path`` absolute: from the request when there is one, else from
        ``CAREPAY["SITE_URL"]``, else from the current ``django.contrib.sites`` Site
        (https). Raises :class:`CarepayConfigurationError` when none is available, so
        a relative link is never e-mailed."""
        if request is not None:
            return request.build_absolute_uri(path)
        if carepay_settings.SITE_URL:
            return carepay_settings.SITE_URL + path
        if apps.is_installed("django.contrib.sites"):
            from django.contrib.sites.models import Site

            return f"https://{Site.objects.get_current().domain}{path}"
        raise CarepayConfigurationError(
            "carepay cannot build an absolute link outside a request: set "
            "CAREPAY['SITE_URL'] (e.g. 'https://clinic.example.com') or install "
            "django.contrib.sites."
        )


@lru_cache(maxsize=8)
def _load(path: str) -> type[DefaultCarepayAdapter]:
    cls: type[DefaultCarepayAdapter] = import_string(path)
    return cls


def get_adapter() -> DefaultCarepayAdapter:
    """An instance of the configured adapter class."""
    return _load(carepay_settings.ADAPTER)()
