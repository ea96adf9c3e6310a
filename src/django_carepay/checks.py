"""System checks: ``manage.py check`` reports configuration mistakes before money moves.

Ids are stable: ``carepay.E001`` unknown/unimportable backend class, ``E002`` a
``BACKENDS`` entry that is not a dict, ``E003`` unknown option, ``E004`` bad option
value, ``E005`` bad ``DEFAULT_CURRENCY``, ``E006`` bad adapter, ``W001`` no way to
build absolute links outside a request, ``E030`` WeasyPrint installed but unable to
load (PDFs are on once the ``[pdf]`` extra is installed); backends add their own
(``E01x``/``W01x`` for Stripe). The go-live checks of ``check --deploy`` (``E040``,
``W040``-``W043``) are in :mod:`django_carepay.checks_deploy`;
``E050``/``W050`` are webhook processing by tasks, ``E051``/``W051`` e-mails sent by
tasks.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .conf import (
    DEFAULTS,
    EMAIL_KINDS,
    EMAIL_SENDING_MODES,
    WEBHOOK_PROCESSING_MODES,
    carepay_settings,
)


@checks.register("carepay")
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from .backends import backends
    from .money import validate_currency

    messages: list[checks.CheckMessage] = []
    try:
        validate_currency(carepay_settings.DEFAULT_CURRENCY)
    except ValueError as exc:
        messages.append(checks.Error(f"CAREPAY['DEFAULT_CURRENCY']: {exc}", id="carepay.E005"))
    try:
        import_string(carepay_settings.ADAPTER)
    except ImportError as exc:
        messages.append(checks.Error(
            f"CAREPAY['ADAPTER'] = {carepay_settings.ADAPTER!r} could not be imported: {exc}",
            id="carepay.E006",
        ))
    if not carepay_settings.SITE_URL and not apps.is_installed("django.contrib.sites"):
        messages.append(checks.Warning(
            "CAREPAY['SITE_URL'] is not set and django.contrib.sites is not installed, so "
            "payment links cannot be e-mailed (issue_invoice(send_email=True) will fail).",
            hint="Set CAREPAY['SITE_URL'] = 'https://your.domain'.", id="carepay.W001",
        ))
    if not isinstance(carepay_settings.BACKENDS, dict):
        return [*messages, checks.Error("CAREPAY['BACKENDS'] must be a dict of aliases.",
                                        id="carepay.E002")]
    for alias in backends:
        if not isinstance(backends.settings[alias], dict):
            messages.append(checks.Error(
                f"CAREPAY['BACKENDS'][{alias!r}] must be a dict with 'BACKEND' and "
                "'OPTIONS'.", id="carepay.E002",
            ))
            continue
        try:
            backend = backends[alias]
        except ImproperlyConfigured as exc:
            messages.append(checks.Error(str(exc), id="carepay.E001"))
            continue
        messages.extend(backend.check(**kwargs))
    return messages


@checks.register("carepay", deploy=True)
def check_deploy(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Deploy-only checks (``manage.py check --deploy``) that backends define."""
    from .backends import backends

    messages: list[checks.CheckMessage] = []
    if not isinstance(carepay_settings.BACKENDS, dict):
        return messages
    for alias in backends:
        try:
            backend = backends[alias]
        except (ImproperlyConfigured, AttributeError, TypeError):
            continue  # reported by check_settings
        messages.extend(backend.check_deploy())
    return messages


@checks.register("carepay")
def check_setting_names(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``carepay.E007``: a key in ``CAREPAY`` carepay does not know (a typo would
    otherwise be silently ignored and its default used)."""
    known = ", ".join(sorted(DEFAULTS))
    return [checks.Error(
        f"CAREPAY[{key!r}] is not a carepay setting.",
        hint=(f"Did you mean {closest!r}? " if closest else "") + f"The settings are: {known}.",
        id="carepay.E007",
    ) for key, closest in carepay_settings.unknown_keys()]


@checks.register("carepay")
def check_pdf(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``carepay.E030``: WeasyPrint is installed (PDFs are on) but it, its system
    libraries or segno cannot be loaded, so every PDF download and attachment fails."""
    from .documents import engine

    if not engine.weasyprint_installed():
        return []
    problem = engine.problem()
    if problem is None:
        return []
    return [checks.Error(problem, hint=engine.INSTALL_HINT, id="carepay.E030")]


@checks.register("carepay")
def check_email_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``carepay.E008``: ``CAREPAY["EMAILS"]`` names a kind of e-mail carepay does not
    send; ``carepay.E009``: ``CAREPAY["REMINDER_SCHEDULE"]`` is not a list of whole days."""
    kinds = ", ".join(EMAIL_KINDS)
    messages: list[checks.CheckMessage] = [checks.Error(
        f"CAREPAY['EMAILS'][{kind!r}] is not a kind of e-mail carepay sends.",
        hint=f"The kinds are: {kinds}.", id="carepay.E008",
    ) for kind in carepay_settings.unknown_email_kinds()]
    try:
        carepay_settings.REMINDER_SCHEDULE  # noqa: B018 (reading it validates it)
    except (TypeError, ValueError):
        messages.append(checks.Error(
            "CAREPAY['REMINDER_SCHEDULE'] must be a list of whole days relative to the "
            "due date, e.g. [-3, 0, 7, 14].", id="carepay.E009"))
    return messages


@checks.register("carepay")
def check_webhook_processing(app_configs: Any = None, **kwargs: Any
                             ) -> list[checks.CheckMessage]:
    """``carepay.E050``: ``CAREPAY["WEBHOOK_PROCESSING"]`` is neither ``"sync"`` nor
    ``"task"``; ``carepay.W050``: it is ``"task"`` but no task backend is configured
    (no tasks framework installed, ``TASKS`` not set, or a backend that never runs
    tasks), so deliveries would be stored and never, or only in the request, applied."""
    return _task_mode_checks("WEBHOOK_PROCESSING", carepay_settings.WEBHOOK_PROCESSING,
                             WEBHOOK_PROCESSING_MODES, ("carepay.E050", "carepay.W050"),
                             "webhook deliveries would be stored and not applied by a worker",
                             "django_carepay.tasks.process_webhook_event")


@checks.register("carepay")
def check_email_sending(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``carepay.E051``: ``CAREPAY["EMAIL_SENDING"]`` is neither ``"sync"`` nor
    ``"task"``; ``carepay.W051``: it is ``"task"`` but no task backend is configured,
    so e-mails would be queued and never sent."""
    return _task_mode_checks("EMAIL_SENDING", carepay_settings.EMAIL_SENDING,
                             EMAIL_SENDING_MODES, ("carepay.E051", "carepay.W051"),
                             "e-mails would not be sent by a worker",
                             "django_carepay.emails.tasks.send_emails")


def _task_mode_checks(setting: str, mode: str, modes: tuple[str, ...], ids: tuple[str, str],
                      consequence: str, task_path: str) -> list[checks.CheckMessage]:
    from django.conf import settings

    from .tasks_framework import INSTALL_HINT, find_framework

    if mode not in modes:
        return [checks.Error(
            f"CAREPAY['{setting}'] = {mode!r} is not a {setting.split('_')[1].lower()} "
            "mode.",
            hint="Use 'sync' (the default) or 'task'.", id=ids[0])]
    if mode != "task":
        return []
    problem = ""
    if find_framework() is None:
        problem = f"no tasks framework is installed ({INSTALL_HINT})"
    elif not getattr(settings, "TASKS", None) \
            or not settings.is_overridden("TASKS"):  # type: ignore[misc]
        problem = "settings.TASKS is not set"
    else:
        default = (getattr(settings, "TASKS", None) or {}).get("default") or {}
        if str(default.get("BACKEND", "")).endswith(".DummyBackend"):
            problem = "the default task backend is the DummyBackend, which never runs tasks"
        else:
            problem = _refused(task_path)
    if not problem:
        return []
    return [checks.Warning(
        f"CAREPAY['{setting}'] is 'task' but {problem}: {consequence}.",
        hint="Configure a task backend in TASKS, e.g. {'default': {'BACKEND': "
             "'django_tasks_db.DatabaseBackend'}} with 'django_tasks_db' in "
             "INSTALLED_APPS, and run its worker (manage.py db_worker).",
        id=ids[1])]


def _refused(task_path: str) -> str:
    """Why the task backend refuses carepay's task ``task_path`` (e.g. its queue is not
    among the backend's ``QUEUES``), or ``""``."""
    try:
        task = import_string(task_path)
        task.get_backend().validate_task(task)
    except Exception as error:
        return f"the task backend refuses {task_path} ({error})"
    return ""
