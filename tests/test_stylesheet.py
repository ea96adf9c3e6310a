"""carepay.css parses: a brace left open (easy to do when merging two sections) makes
the browser drop every rule after it, silently."""

import re
from pathlib import Path

import django_carepay

CSS = Path(django_carepay.__file__).parent / "static" / "carepay" / "carepay.css"


def test_braces_balance_and_every_rule_is_scoped_under_carepay():
    text = re.sub(r"/\*.*?\*/", "", CSS.read_text(), flags=re.S)
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0, "a '}' closes nothing"
    assert depth == 0, "a '{' is never closed"
    selectors = re.findall(r"([^{};]+)\{", text)
    loose = [s.strip() for s in selectors
             if not s.strip().startswith("@")
             and not all(part.strip().startswith((".carepay", ".cp-visually-hidden", "from",
                                                   "to", "0%", "100%"))
                         for part in s.split(","))]
    assert loose == [], "rules outside .carepay would restyle the host's pages"
