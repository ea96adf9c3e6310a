"""Reference pages generated from the code when the docs are built.

Directives (they emit reStructuredText, so use them inside ``{eval-rst}`` blocks on
Markdown pages):

``carepay-settings``
    Every key of ``CAREPAY`` (:data:`django_carepay.conf.DEFAULTS`) with its default
    and the docstring of its :class:`~django_carepay.conf.CarepaySettings` property.
``carepay-signals``
    Every signal of :mod:`django_carepay.signals` with the ``#:`` comment above its
    definition (what it means and its keyword arguments).
``carepay-checks``
    Every system check id from the registry :mod:`django_carepay.check_ids`.
``carepay-template-blocks``
    Every template carepay ships: what it extends and the blocks it defines.
``carepay-commands``
    Every management command carepay ships, with its ``--help`` as argparse prints it.
"""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path
from typing import Any

from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.pycode import ModuleAnalyzer
from sphinx.util.docutils import SphinxDirective


class _RstDirective(SphinxDirective):
    """A directive whose output is reStructuredText built by :meth:`lines`."""

    has_content = False

    def lines(self) -> list[str]:
        raise NotImplementedError

    def run(self) -> list[Any]:
        from docutils import nodes

        container = nodes.container()
        self.state.nested_parse(StringList(self.lines(), source="<carepay_docs>"),
                                self.content_offset, container)
        return container.children


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


_RST_SPECIAL = re.compile(r"([\\*`_|])")


def _cell(text: str, indent: str = "     ") -> list[str]:
    """A list-table cell of plain text (a template's comment: nothing in it is markup)."""
    body = _RST_SPECIAL.sub(r"\\\1", textwrap.dedent(text or "")).strip().splitlines() \
        or [""]
    return [f"{indent}{line}" if line.strip() else "" for line in body]


class SettingsDirective(_RstDirective):
    def lines(self) -> list[str]:
        from django_carepay.conf import DEFAULTS, CarepaySettings

        out = [".. list-table::", "   :header-rows: 1", "   :widths: 25 20 55", "",
               "   * - Key", "     - Default", "     - Meaning"]
        for key, default in DEFAULTS.items():
            prop = getattr(CarepaySettings, key)
            out += [f"   * - ``{key}``", f"     - ``{default!r}``",
                    "     - " + _one_line(prop.__doc__)]
        return out


class SignalsDirective(_RstDirective):
    def lines(self) -> list[str]:
        from django_carepay import signals

        analyzer = ModuleAnalyzer.for_module(signals.__name__)
        docs = {name: "\n".join(lines).strip()
                for (_scope, name), lines in analyzer.find_attr_docs().items()}
        undocumented = sorted(set(signals.__all__) - set(docs))
        if undocumented:
            raise ValueError(f"django_carepay.signals {undocumented} have no #: comment "
                             "above their definition: say what each means and its arguments.")
        out: list[str] = []
        for name, doc in docs.items():  # in the order of the source
            if name not in signals.__all__:
                continue
            out += [f".. data:: django_carepay.signals.{name}", "",
                    *("   " + line for line in doc.splitlines()), ""]
        return out


class ChecksDirective(_RstDirective):
    def lines(self) -> list[str]:
        from django_carepay.check_ids import CHECKS

        out = [".. list-table::", "   :header-rows: 1", "   :widths: 14 10 46 30", "",
               "   * - Id", "     - Level", "     - What it means", "     - Fix"]
        for check in CHECKS:
            level = check.level + (" (``--deploy``)" if check.deploy else "")
            out += [f"   * - ``{check.id}``", f"     - {level}",
                    f"     - {check.summary}", f"     - {check.fix}"]
        return out


_EXTENDS = re.compile(r"""{%-?\s*extends\s+["']([^"']+)["']""")
_BLOCK = re.compile(r"{%-?\s*block\s+(\w+)")
_COMMENT = re.compile(r"{%\s*comment\s*%}(.*?){%\s*endcomment\s*%}", re.S)


class TemplateBlocksDirective(_RstDirective):
    def lines(self) -> list[str]:
        import django_carepay

        root = Path(django_carepay.__file__).parent / "templates"
        out = [".. list-table::", "   :header-rows: 1", "   :widths: 32 24 44", "",
               "   * - Template", "     - Extends", "     - Blocks it defines"]
        for path in sorted(root.rglob("*.html")):
            name = path.relative_to(root).as_posix()
            if not name.startswith("carepay/"):
                continue  # the admin's own templates are documented by Django
            text = path.read_text()
            extends = _EXTENDS.search(text)
            blocks = list(dict.fromkeys(_BLOCK.findall(text)))
            about = _COMMENT.search(text)
            out += [f"   * - ``{name}``",
                    f"     - ``{extends.group(1)}``" if extends else "     -",
                    "     - " + (", ".join(f"``{b}``" for b in blocks) or "(none)")]
            if about:
                out += ["", *_cell(about.group(1), "       ")]
        return out


class CommandsDirective(_RstDirective):
    def lines(self) -> list[str]:
        from django.core.management import find_commands, load_command_class

        import django_carepay

        folder = str(Path(django_carepay.__file__).parent / "management")
        out: list[str] = []
        previous = os.environ.get("COLUMNS")
        os.environ["COLUMNS"] = "88"  # argparse wraps to the terminal: make it stable
        try:
            for name in sorted(find_commands(folder)):
                command = load_command_class("django_carepay", name)
                text = command.create_parser("manage.py", name).format_help()
                out += [f".. rubric:: {name}", "", ".. code-block:: text", "",
                        *("   " + line if line else "" for line in text.splitlines()), ""]
        finally:
            if previous is None:
                os.environ.pop("COLUMNS", None)
            else:
                os.environ["COLUMNS"] = previous
        return out


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("carepay-settings", SettingsDirective)
    app.add_directive("carepay-signals", SignalsDirective)
    app.add_directive("carepay-checks", ChecksDirective)
    app.add_directive("carepay-template-blocks", TemplateBlocksDirective)
    app.add_directive("carepay-commands", CommandsDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
