"""A real Chromium driven by Playwright, for the ``browser`` tests.

Debian's Chromium at /usr/bin/chromium is used (``playwright install`` downloads a
browser, which the test machines cannot). Without it the browser tests are skipped,
except on CI (``CI=true``), which installs it and must not pass by skipping them.
The same goes for axe-core (``npm ci``), which ``axe_check`` runs on a page.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.backends.stripe.support import card_backend, localstripe, localstripe_url

from .axe import AXE_JS, axe_violations, blocking, format_violations

__all__ = ["artifacts", "axe_check", "browser", "card_backend", "localstripe",
           "localstripe_url", "page"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking"]


def _unavailable(reason: str, remedy: str = "install Debian's chromium") -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}, and CI=true: the browser tests must run on CI.")
    pytest.skip(f"{reason}; {remedy} to run the browser tests.")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session."""
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed")
    # Playwright's sync API runs an event loop in this thread, where the tests also
    # use the ORM; Django refuses that unless told it is safe (it is: nothing here
    # is async).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                  args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser tab (own cookies); fails the test on any JavaScript error."""
    context = browser.new_context()
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """A folder for this test's screenshots: under ``$CAREPAY_TEST_ARTIFACTS`` when
    set, else ``test-artifacts/browser/`` at the repository root,
    which git ignores. One folder per test, kept after the run."""
    root = Path(os.environ.get("CAREPAY_TEST_ARTIFACTS")
                or Path(__file__).resolve().parents[2] / "test-artifacts" / "browser")
    folder = root / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def axe_check() -> Callable[..., None]:
    """``axe_check(page)`` scans the page with axe-core (WCAG 2 A and AA) and fails the
    test listing every serious or critical violation: rule, help, offending nodes.
    Without axe-core (``npm ci`` at the repository root, which ``make install`` runs)
    the test is skipped, or failed with ``CI=true``."""
    if not AXE_JS.exists():
        _unavailable(f"{AXE_JS} is missing", "run `npm ci` at the repository root")

    def check(page: Any, *, where: str = "") -> None:
        found = blocking(axe_violations(page))
        if found:
            pytest.fail(format_violations(found, where or page.url), pytrace=False)

    return check
