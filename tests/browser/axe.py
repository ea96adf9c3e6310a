"""Accessibility scans with axe-core (the npm package, ``npm ci`` at the repository root).

:func:`axe_violations` injects ``node_modules/axe-core/axe.min.js`` into the page and
runs ``axe.run`` with the WCAG 2 A and AA rules; :func:`format_violations` lists them
the way a failing test should: rule, impact, help, and every offending node. The
``axe_check`` fixture (``tests/browser/conftest.py``) puts both together and fails a
test on any serious or critical violation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: Where ``npm ci`` (``make install``) puts axe-core.
AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

#: The rules run: WCAG 2.0, 2.1 and 2.2, levels A and AA.
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")

#: The impacts that fail a test; "minor" and "moderate" ones are reported by axe but
#: left to judgement.
BLOCKING_IMPACTS = frozenset({"serious", "critical"})


def axe_violations(page: Any, *, tags: tuple[str, ...] = WCAG_TAGS) -> list[dict[str, Any]]:
    """Every axe-core violation of ``tags`` on the page as it is now (all impacts)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    result: dict[str, Any] = page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {
                runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
            });
            return {violations: results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map((n) => ({
                    target: n.target.map(String).join(" "), impact: n.impact,
                    summary: n.failureSummary || "",
                })),
            }))};
        }""",
        list(tags),
    )
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def blocking(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The serious and critical ones."""
    return [v for v in violations if v["impact"] in BLOCKING_IMPACTS]


def format_violations(violations: list[dict[str, Any]], where: str) -> str:
    """A readable list: each rule with its help, then each node it failed on and why."""
    lines = [f"axe-core: {len(violations)} serious or critical violation(s) on {where}"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}"
                     f" <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            reason = " ".join(node["summary"].split())
            lines.append(f"    {node['target']}: {reason}")
    return "\n".join(lines)
