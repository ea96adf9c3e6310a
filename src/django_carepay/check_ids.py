"""Every system check carepay can report: id, level, what it means, how to fix it.

The checks themselves live beside what they check (:mod:`django_carepay.checks`, each
backend's ``check()``) and build their messages from the configuration; this registry
is what the documentation's list of checks is generated from, and a test keeps it and
the code in step (every ``carepay.*`` id the code reports is here, and nothing else).
Ids are stable: a host may silence one with ``SILENCED_SYSTEM_CHECKS``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class CheckInfo:
    """One check id: ``level`` is ``"Error"`` or ``"Warning"``; ``deploy`` checks run
    only under ``manage.py check --deploy``."""

    id: str
    level: str
    summary: str
    fix: str
    deploy: bool = False


def _error(id: str, summary: str, fix: str, *, deploy: bool = False) -> CheckInfo:
    return CheckInfo(id=f"carepay.{id}", level="Error", summary=summary, fix=fix,
                     deploy=deploy)


def _warning(id: str, summary: str, fix: str, *, deploy: bool = False) -> CheckInfo:
    return CheckInfo(id=f"carepay.{id}", level="Warning", summary=summary, fix=fix,
                     deploy=deploy)


CHECKS: tuple[CheckInfo, ...] = (
    _error("E001", "A backend cannot be built: its ``BACKEND`` is missing, cannot be "
           "imported, or is not a payment backend class.",
           "Give the dotted path of a ``BasePaymentBackend`` subclass, e.g. "
           "``django_carepay.backends.manual.ManualBackend``, and install its extra."),
    _error("E002", "``CAREPAY['BACKENDS']``, or one entry of it, is not a dict.",
           "``{alias: {'BACKEND': dotted path, 'OPTIONS': {...}}}``."),
    _error("E003", "A backend's ``OPTIONS`` has a key that backend does not know (a typo "
           "would otherwise be ignored).", "Use the options the hint lists."),
    _error("E004", "A backend option has a bad value: ``currencies``/``countries`` not a "
           "list of codes, an unknown currency code, or the demo provider's ``outcome`` "
           "not one of ``succeeded``, ``failed``, ``processing``.",
           "Lists of ISO codes, e.g. ``['GBP']``; see the message."),
    _error("E005", "``CAREPAY['DEFAULT_CURRENCY']`` is not an ISO 4217 currency code.",
           "e.g. ``'GBP'``, ``'EUR'``."),
    _error("E006", "``CAREPAY['ADAPTER']`` cannot be imported.",
           "The dotted path of your ``DefaultCarepayAdapter`` subclass."),
    _error("E007", "``CAREPAY`` has a key carepay does not know.",
           "Use the setting the hint suggests (the settings reference lists them)."),
    _error("E008", "``CAREPAY['EMAILS']`` names a kind of e-mail carepay does not send.",
           "Use the kinds the hint lists."),
    _error("E009", "``CAREPAY['REMINDER_SCHEDULE']`` is not a list of whole days.",
           "e.g. ``[-3, 0, 7, 14]``."),
    _error("E010", "A Stripe backend is configured but the ``stripe`` package is missing.",
           "``pip install 'django-carepay[stripe]'``."),
    _error("E011", "A Stripe backend's ``secret_key`` is missing or empty.",
           "Set it from the environment (Stripe dashboard, Developers → API keys)."),
    _error("E012", "A Stripe backend's ``publishable_key`` is missing or empty.",
           "Set it from the environment (Stripe dashboard, Developers → API keys)."),
    _error("E013", "A Stripe backend's ``webhook_secret`` is missing or empty, so no "
           "delivery could be verified.",
           "The endpoint's signing secret (``whsec_…``, Developers → Webhooks)."),
    _error("E014", "A Stripe backend's secret and publishable keys are of different modes "
           "(one test, one live).", "Use both test keys or both live keys."),
    _error("E015", "A Stripe backend's ``webhook_secret`` list is empty or holds "
           "something other than ``whsec_…`` strings.",
           "One secret per Stripe webhook endpoint posting to this URL (the platform's "
           "and the Connect endpoint's), e.g. ``['whsec_…', 'whsec_…']``."),
    _error("E020", "A bank transfer backend's ``instructions`` is not a valid Django "
           "template.", "Fix the template syntax the message quotes."),
    _error("E021", "A bank transfer backend's ``account`` is not a mapping of label to "
           "value.", "e.g. ``{'Sort code': '12-34-56', 'Account number': '12345678'}``."),
    _error("E022", "A bank transfer backend's ``reference_format`` cannot be formatted.",
           "A ``str.format`` pattern using ``{number}`` and ``{public_id}``."),
    _error("E023", "A bank transfer backend's ``iban`` is not a valid IBAN (checked when "
           "the ``[iban]`` extra is installed).", "Correct the IBAN."),
    _error("E024", "A bank transfer backend's ``bic`` is not a valid BIC (checked when "
           "the ``[iban]`` extra is installed).", "Correct the BIC."),
    _error("E030", "WeasyPrint is installed (so PDFs are on) but it, its system libraries "
           "(Pango) or segno cannot be loaded: every PDF would fail.",
           "Install the libraries the hint names, or uninstall the ``[pdf]`` extra."),
    _error("E040", "The demo provider (``DummyBackend``) is configured: it marks invoices "
           "paid with no money moving.", "Configure a real provider for this alias, e.g. "
           "``StripeBackend``.", deploy=True),
    _error("E050", "``CAREPAY['WEBHOOK_PROCESSING']`` is neither ``'sync'`` nor ``'task'``.",
           "Use ``'sync'`` (the default) or ``'task'``."),
    _error("E051", "``CAREPAY['EMAIL_SENDING']`` is neither ``'sync'`` nor ``'task'``.",
           "Use ``'sync'`` (the default) or ``'task'``."),
    _warning("W001", "``CAREPAY['SITE_URL']`` is not set and ``django.contrib.sites`` is "
             "not installed, so links cannot be built outside a request (e-mailed "
             "invoices, PDFs' pay links).", "Set ``CAREPAY['SITE_URL']``."),
    _warning("W010", "A Stripe backend uses a test key while ``DEBUG`` is False: no real "
             "money will be taken.", "Use live keys in production.", deploy=True),
    _warning("W011", "A Stripe backend uses a live key while ``DEBUG`` is True.",
             "Use test keys in development."),
    _warning("W012", "A Stripe backend's ``api_base`` points somewhere other than Stripe "
             "(a test server left configured).", "Remove ``api_base`` (it is for tests "
             "against a local Stripe-compatible server).", deploy=True),
    _warning("W013", "Stripe aliases mix test and live keys.", "Give every Stripe alias the "
             "same account's live keys (``sk_live_…``) in production.", deploy=True),
    _warning("W040", "``CAREPAY['SITE_URL']`` is not HTTPS: e-mailed payment links and "
             "Stripe's return addresses would not use HTTPS.",
             "Set ``CAREPAY['SITE_URL'] = 'https://your.domain'``.", deploy=True),
    _warning("W041", "``EMAIL_BACKEND`` prints, keeps in memory, drops or files e-mails: "
             "invoices, receipts and staff notices would reach nobody.",
             "Use an SMTP (or your provider's) e-mail backend with its host and "
             "credentials.", deploy=True),
    _warning("W042", "E-mails come from a placeholder address (``webmaster@localhost``, "
             "``example.com``).", "Set ``DEFAULT_FROM_EMAIL`` (or "
             "``CAREPAY['FROM_EMAIL']``) to your billing address.", deploy=True),
    _warning("W043", "WeasyPrint is not installed: no invoice, receipt or statement PDFs.",
             "Install the ``[pdf]`` extra and its system libraries (Pango).", deploy=True),
    _warning("W050", "``CAREPAY['WEBHOOK_PROCESSING']`` is ``'task'`` but no task backend "
             "is configured: no tasks framework installed, ``TASKS`` not set, the "
             "``DummyBackend`` (which never runs tasks), or a backend that refuses "
             "carepay's task (e.g. its queue is not among ``QUEUES``).",
             "Install the ``[tasks]`` extra (Django 5.2), set ``TASKS`` (e.g. "
             "``django_tasks_db.DatabaseBackend``) and run its worker."),
    _warning("W051", "``CAREPAY['EMAIL_SENDING']`` is ``'task'`` but no task backend is "
             "configured (or it refuses carepay's task, e.g. its queue), so e-mails "
             "would not be sent by a worker.",
             "Install the ``[tasks]`` extra (Django 5.2), set ``TASKS`` (e.g. "
             "``django_tasks_db.DatabaseBackend``) and run its worker."),
)

#: :data:`CHECKS` by id.
CHECKS_BY_ID: dict[str, CheckInfo] = {check.id: check for check in CHECKS}
