"""Which tasks framework is installed: ``django.tasks`` (Django 6.x) or the
``django-tasks`` backport (Django 5.2, the ``[tasks]`` extra), and where a task's rows
are written. A leaf: the system checks ask it without importing the task modules
(:mod:`django_carepay.tasks`, :mod:`django_carepay.emails.tasks`)."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from django.db import models, router

from .exceptions import MissingDependency

#: Shown when task mode is on and no framework is installed.
INSTALL_HINT = ("pip install 'django-carepay[tasks]' (the django-tasks backport, and "
                "django-tasks-db for the database backend), or use Django 6.")


def find_framework() -> ModuleType | None:
    """``django.tasks`` if Django has it, else the ``django_tasks`` backport, else None."""
    for name in ("django.tasks", "django_tasks"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


def load_framework(setting: str = "WEBHOOK_PROCESSING") -> ModuleType:
    """The tasks framework, or :class:`MissingDependency` naming the ``[tasks]`` extra
    and the carepay ``setting`` that asked for it."""
    framework = find_framework()
    if framework is None:
        raise MissingDependency(
            f"CAREPAY['{setting}'] = 'task' needs Django's tasks framework: "
            + INSTALL_HINT)
    return framework


def queued_in_the_database_of(task: Any, model: type[models.Model]) -> bool:
    """Whether queueing ``task`` writes its row to the database ``model`` is written
    to (django-tasks' database backend): then the row can commit in the same
    transaction as the change that queued it, never one without the other. Not with
    a broker (RQ, Celery), nor the immediate backend (it runs the task at once)."""
    try:
        from django_tasks_db.backend import DatabaseBackend
        from django_tasks_db.models import DBTaskResult
    except ImportError:
        return False
    if not isinstance(task.get_backend(), DatabaseBackend):
        return False

    return bool(router.db_for_write(DBTaskResult) == router.db_for_write(model))
