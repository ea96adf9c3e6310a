"""The documentation shows test code only by including it from test files that run
(Sphinx ``literalinclude``), so what a reader copies cannot drift from what passes."""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parents[3] / "docs"
ROOT = DOCS.parent
_FENCE = re.compile(r"^```(?:python|py)\s*$(.*?)^```\s*$", re.M | re.S)
_INCLUDE = re.compile(r"^```\{literalinclude\}\s+(\S+)\s*$(.*?)^```\s*$", re.M | re.S)


def _pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)


def test_no_page_writes_a_test_inline():
    inline = [f"{page.relative_to(ROOT)}: {match.group(1).strip().splitlines()[0]}"
              for page in _pages() for match in _FENCE.finditer(page.read_text())
              if re.search(r"^\s*def test_", match.group(1), re.M)]
    assert inline == [], "include these from a test file instead: " + "; ".join(inline)


def test_the_included_test_files_are_collected_by_the_suite():
    included = {(page.parent / match.group(1)).resolve()
                for page in _pages() for match in _INCLUDE.finditer(page.read_text())}
    tests = sorted(p for p in included if p.is_relative_to(ROOT / "tests"))
    assert tests, "no page includes a test file"
    for path in tests:
        assert path.exists(), path
        assert path.name.startswith("test_"), f"{path} is not collected by pytest"
