"""Steps the browser tests share: logging in as the ``patient`` fixture, paying with the
Payment Element stand-in."""

from __future__ import annotations

import re
from typing import Any


def log_in(page: Any, live_server: Any, path: str = "/billing/") -> None:
    """Open ``path`` (which asks to log in), log in as ada, land back on ``path``."""
    page.goto(f"{live_server.url}{path}")
    page.wait_for_url(re.compile(rf"/accounts/login/\?next={re.escape(path)}$"))
    page.fill("#id_username", "ada")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"**{path}")


def pay_with(page: Any, number: str) -> None:
    """Type a card into the stand-in Payment Element and press Pay."""
    page.fill("[name=standin-number]", number)
    page.fill("[name=standin-exp_month]", "12")
    page.fill("[name=standin-exp_year]", "30")
    page.fill("[name=standin-cvc]", "123")
    page.click("#submit")
