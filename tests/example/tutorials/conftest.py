"""The tutorials' tests run as a host project's would: with that project's settings.

Here the host is the example project, so every test in this folder gets its
``CAREPAY`` (the demo provider for the card and Checkout backends, whatever the
environment says) and a media folder of its own. In your project these are simply
your settings; the test files next to this one are included verbatim in the
tutorials (``docs/tutorials/``), so what a reader copies is what runs here.
"""

from __future__ import annotations

import pytest

from tests.example.support import example_carepay

DUMMY = "django_carepay.backends.dummy.DummyBackend"


@pytest.fixture(autouse=True)
def _example_project_settings(settings, tmp_path):
    config = example_carepay()
    config["BACKENDS"]["checkout"] = {"BACKEND": DUMMY,
                                      "OPTIONS": {"label": "Stripe Checkout (demo)"}}
    settings.CAREPAY = config
    settings.MEDIA_ROOT = str(tmp_path)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
