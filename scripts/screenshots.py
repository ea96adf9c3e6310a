"""Screenshots of the running demo for the README: ``docs/images/*.png``.

Start the demo (``make demo``, or ``PORT=8774 make demo``), then::

    .venv/bin/python scripts/screenshots.py [--url http://127.0.0.1:8000] [--out docs/images]
                                            [--only site-clinic site-saas ...]

It logs in as each demo role through the log-in form and saves the main pages at
1280 px wide, and the payer's invoice page at 390 px (a phone). Pages are found by their
URL names in the example project's URLconf, so one whose URL does not exist yet (a
console page still being built) is skipped and said so. Needs Playwright (the ``test``
dependency group) and Debian's Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking"]
PASSWORD = "password123"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def setup_django() -> None:
    """The example project's URLconf, to turn URL names into paths."""
    sys.path.insert(0, str(ROOT / "example_project"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
    import django

    django.setup()


def path_of(name: str, *args: Any) -> str | None:
    """The path of URL ``name``, or ``None`` while the example project has no such page."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def link_pattern(name: str) -> re.Pattern[str] | None:
    """A regular expression matching the paths of URL ``name`` for any public id."""
    sample = uuid.UUID(int=0)
    path = path_of(name, sample)
    if path is None:
        return None
    return re.compile(re.escape(path).replace(re.escape(str(sample)), "[0-9a-f-]{36}") + "$")


def first_link(page: Any, pattern: re.Pattern[str] | None) -> str | None:
    """The first link on the page whose path matches ``pattern``."""
    if pattern is None:
        return None
    hrefs: list[str] = page.eval_on_selector_all(
        "main a[href]", "links => links.map(a => new URL(a.href).pathname)")
    return next((href for href in hrefs if pattern.search(href)), None)


@dataclass(frozen=True)
class Shot:
    """One screenshot: who, which page (a function finding its path), how wide."""

    name: str
    username: str
    find: Callable[[Any], str | None]
    viewport: dict[str, int]
    full_page: bool = True


def fixed(name: str) -> Callable[[Any], str | None]:
    return lambda page: path_of(name)


def invoice_page(page: Any) -> str | None:
    """An invoice of the payer's that still has something to pay: the first "Pay" link
    on their list leads to it, else the first invoice listed."""
    listing = path_of("carepay:invoice_list")
    if listing is None:
        return None
    page.goto(page.base_url + listing)
    return first_link(page, link_pattern("carepay:invoice_detail"))


def pay_page(page: Any) -> str | None:
    """A way to pay offered on that invoice: a bank transfer (it shows the most) when
    there is one, else the first."""
    detail = invoice_page(page)
    if detail is None:
        return None
    page.goto(page.base_url + detail)
    sample = uuid.UUID(int=0)
    pay = path_of("carepay:pay", sample, "method")
    if pay is None:
        return None
    pattern = re.compile(re.escape(pay).replace(re.escape(str(sample)), "[0-9a-f-]{36}")
                         .replace("method", "[-\\w]+") + "$")
    transfer = re.compile(r"/pay/[-\w]*(transfer|sepa)[-\w]*/$")
    return first_link(page, transfer) or first_link(page, pattern)


def console_invoice(page: Any) -> str | None:
    listing = path_of("carepay:staff_invoices")
    if listing is None:
        return None
    page.goto(page.base_url + listing)
    return first_link(page, link_pattern("carepay:staff_invoice"))


SHOTS = [
    Shot("site-clinic", "patient1", fixed("clinic:home"), DESKTOP),
    Shot("site-saas", "customer1", fixed("saas:accounts"), DESKTOP),
    Shot("site-school", "student1", fixed("school:cart"), DESKTOP),
    Shot("portal-list", "patient1", fixed("carepay:invoice_list"), DESKTOP),
    Shot("portal-invoice", "patient1", invoice_page, DESKTOP),
    # A Riverside Cloud customer's bank transfer page shows more than the demo card.
    Shot("portal-pay", "customer3", pay_page, DESKTOP),
    Shot("portal-phone", "patient1", invoice_page, PHONE),
    Shot("portal-list-phone", "patient1", fixed("carepay:invoice_list"), PHONE),
    Shot("console-invoices", "finance", fixed("carepay:staff_invoices"), DESKTOP),
    Shot("console-invoice", "finance", console_invoice, DESKTOP),
    Shot("console-approvals", "finance", fixed("carepay:approvals"), DESKTOP),
    Shot("console-dashboard", "finance", fixed("carepay:dashboard"), DESKTOP),
]


def log_in(browser: Any, base_url: str, username: str, viewport: dict[str, int]) -> Any:
    context = browser.new_context(viewport=viewport, device_scale_factor=1)
    page = context.new_page()
    page.base_url = base_url
    page.goto(base_url + (path_of("login") or "/accounts/login/"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    if "/accounts/login/" in page.url:
        raise SystemExit(f"Could not log in as {username}; is the demo seeded "
                         "(manage.py seed_demo)?")
    return page


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000",
                        help="the running demo (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--only", nargs="*", metavar="NAME",
                        help="only these screenshots (names without .png)")
    options = parser.parse_args()
    base_url = options.url.rstrip("/")
    setup_django()
    from playwright.sync_api import sync_playwright

    options.out.mkdir(parents=True, exist_ok=True)
    shots = [s for s in SHOTS if not options.only or s.name in options.only]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for shot in shots:
            page = log_in(browser, base_url, shot.username, shot.viewport)
            path = shot.find(page)
            if path is None:
                print(f"skipped {shot.name}.png: no such page in the example project yet")
                page.context.close()
                continue
            page.goto(base_url + path)
            target = options.out / f"{shot.name}.png"
            page.screenshot(path=str(target), full_page=shot.full_page)
            print(f"saved {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}"
                  f" ({shot.username}, {path}, {shot.viewport['width']} px)")
            page.context.close()
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
