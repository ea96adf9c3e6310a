"""Which tasks framework is installed: ``django.tasks`` (Django 6.x) or the
``django-tasks`` backport (Django 5.2, the ``[tasks]`` extra). A leaf: the system
checks ask it without importing :mod:`django_carepay.tasks`."""

from __future__ import annotations

import importlib
from types import ModuleType

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


def load_framework() -> ModuleType:
    """The tasks framework, or :class:`MissingDependency` naming the ``[tasks]`` extra."""
    framework = find_framework()
    if framework is None:
        raise MissingDependency(
            "CAREPAY['WEBHOOK_PROCESSING'] = 'task' needs Django's tasks framework: "
            + INSTALL_HINT)
    return framework
