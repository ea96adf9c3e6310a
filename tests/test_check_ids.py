"""The registry of check ids (what the docs list) and the code that reports them agree."""

from __future__ import annotations

import re
from pathlib import Path

from django_carepay.check_ids import CHECKS, CHECKS_BY_ID

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "django_carepay"
# A check id as a string literal: what a CheckMessage is given, directly or from a table.
REPORTED = re.compile(r"""["'](carepay\.[EW]\d{3})["']""")


def _reported_ids() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if path.name == "check_ids.py":
            continue
        for check_id in REPORTED.findall(path.read_text()):
            found.setdefault(check_id, set()).add(str(path.relative_to(PACKAGE)))
    return found


def test_every_reported_check_is_documented():
    missing = {i: where for i, where in _reported_ids().items() if i not in CHECKS_BY_ID}
    assert not missing, f"add these to django_carepay/check_ids.py: {missing}"


def test_every_documented_check_is_reported():
    assert set(CHECKS_BY_ID) - set(_reported_ids()) == set()


def test_ids_are_unique_sorted_and_levels_match():
    ids = [check.id for check in CHECKS]
    assert len(ids) == len(set(ids))
    assert ids == sorted(ids, key=lambda i: (i[8], i))  # errors, then warnings
    for check in CHECKS:
        assert check.level == {"E": "Error", "W": "Warning"}[check.id[8]]
        assert check.summary and check.fix
