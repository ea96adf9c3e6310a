"""The pytest plugin is registered by the package, and the helpers need neither pytest
nor configured settings to be imported."""

from __future__ import annotations

import os
import subprocess
import sys


def test_pytest_loads_the_plugin_from_the_entry_point(request):
    plugin = request.config.pluginmanager.get_plugin("django_carepay")
    assert plugin is not None
    assert plugin.__name__ == "django_carepay.testing.plugin"


def test_the_helpers_import_without_pytest_or_settings():
    code = ("import sys; sys.modules['pytest'] = None\n"
            "import django_carepay.testing as t\n"
            "assert 'django_carepay.models' not in sys.modules\n"
            "print(len(t.__all__))")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, check=False)
    assert result.returncode == 0, result.stderr
