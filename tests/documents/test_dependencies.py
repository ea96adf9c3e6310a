"""Without WeasyPrint or its system libraries: a message that says what to install."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.test import override_settings

from django_carepay import documents
from django_carepay.documents import engine
from django_carepay.exceptions import MissingDependency


def without(module_name, error):
    real = engine._import

    def fake_import(name):
        if name == module_name:
            raise error
        return real(name)

    return fake_import


def carepay_check_ids():
    with override_settings(CAREPAY=settings.CAREPAY):
        return [m.id for m in run_checks(tags=["carepay"]) if m.id.startswith("carepay.")]


def test_a_missing_weasyprint_names_the_extra_and_the_debian_packages(monkeypatch, invoice):
    monkeypatch.setattr(engine, "_import",
                        without("weasyprint", ImportError("No module named 'weasyprint'")))

    with pytest.raises(MissingDependency) as raised:
        documents.render_invoice_pdf(invoice)

    assert "django-carepay[pdf]" in str(raised.value)
    assert "libpango-1.0-0 libpangoft2-1.0-0" in str(raised.value)


def test_check_e030_when_weasyprint_is_installed_but_cannot_load(monkeypatch):
    assert "carepay.E030" not in carepay_check_ids()

    monkeypatch.setattr(engine, "_import", without(
        "weasyprint", OSError("cannot load library 'libpango-1.0-0': not found")))

    assert carepay_check_ids() == ["carepay.E030"]


def test_no_e030_when_pdfs_are_off(monkeypatch):
    monkeypatch.setattr(engine, "weasyprint_installed", lambda: False)
    monkeypatch.setattr(engine, "_import", without("weasyprint", ImportError("nope")))

    assert "carepay.E030" not in carepay_check_ids()
