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
``carepay-api-operations``
    Every operation of the JSON API's OpenAPI document: its method and path, what it
    does, its parameters, its request body's fields and its responses. The document is
    generated when the build starts (:func:`write_openapi_document`) by carepay's own
    schema view, in-process and without the network, into ``OPENAPI_PATH`` (under
    ``docs/_build/``, which git ignores), and the page offers it for download.
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


#: Where the OpenAPI document is written when the build starts (git ignores _build/).
OPENAPI_PATH = Path(__file__).resolve().parent.parent / "_build" / "openapi" / "carepay-api.yaml"

#: The prefix the API is mounted at, as in the example project and the test suite.
API_PREFIX = "api/billing/"


def write_openapi_document(app: Sphinx | None = None) -> Path:
    """Render carepay's OpenAPI document (YAML) with its schema view, as
    ``GET <API_PREFIX>schema/?format=yaml`` serves it, and write it to ``OPENAPI_PATH``.

    A drf-spectacular warning or error fails the build: the document must be as clean as
    ``manage.py spectacular --fail-on-warn`` requires."""
    import sys
    import types

    from django.test import RequestFactory
    from django.test.utils import override_settings
    from django.urls import clear_url_caches, include, path
    from drf_spectacular.drainage import GENERATOR_STATS

    from django_carepay.api.schema import CarepaySchemaView

    urls = types.ModuleType("carepay_docs_api_urls")
    urls.urlpatterns = [path(API_PREFIX, include("django_carepay.api.urls"))]  # type: ignore[attr-defined]
    sys.modules[urls.__name__] = urls
    GENERATOR_STATS.reset()
    with override_settings(ROOT_URLCONF=urls.__name__):
        clear_url_caches()
        try:
            request = RequestFactory().get(f"/{API_PREFIX}schema/", {"format": "yaml"})
            response = CarepaySchemaView.as_view()(request)
            response.render()
        finally:
            clear_url_caches()
    if response.status_code != 200:
        raise RuntimeError(f"The schema view answered {response.status_code}.")
    if GENERATOR_STATS:
        raise RuntimeError(f"drf-spectacular warned while generating the API document: "
                           f"{GENERATOR_STATS}")
    OPENAPI_PATH.parent.mkdir(parents=True, exist_ok=True)
    OPENAPI_PATH.write_bytes(response.content)
    return OPENAPI_PATH


def _deref(document: dict[str, Any], node: Any) -> Any:
    """``node`` with a top-level ``$ref`` (``#/components/...``) followed."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _ref_name(node: Any) -> str:
    if isinstance(node, dict) and "$ref" in node:
        return node["$ref"].rsplit("/", 1)[-1]
    if isinstance(node, dict) and node.get("type") == "array":
        inner = _ref_name(node.get("items"))
        return f"list of {inner}" if inner else "array"
    return node.get("type", "") if isinstance(node, dict) else ""


def _type_of(document: dict[str, Any], prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        target = _deref(document, prop)
        if "enum" in target:
            return "one of " + ", ".join(f"``{v}``" for v in target["enum"] if v is not None)
        return f"``{_ref_name(prop)}``"
    if "allOf" in prop and len(prop["allOf"]) == 1:
        return _type_of(document, prop["allOf"][0])
    if "oneOf" in prop:
        return " or ".join(_type_of(document, p) for p in prop["oneOf"])
    kind = prop.get("type", "object")
    if kind == "array":
        kind = "array of " + _type_of(document, prop.get("items", {}))
    elif prop.get("format"):
        kind = f"{kind} ({prop['format']})"
    if "enum" in prop:
        kind = "one of " + ", ".join(f"``{v}``" for v in prop["enum"] if v is not None)
    if prop.get("nullable"):
        kind += ", nullable"
    return kind


def _text(text: str | None) -> str:
    return _one_line(text).replace("|", "\\|")


class ApiOperationsDirective(_RstDirective):
    METHODS = ("get", "post", "put", "patch", "delete")

    def lines(self) -> list[str]:
        import yaml

        document = yaml.safe_load(OPENAPI_PATH.read_text())
        self.env.note_dependency(str(OPENAPI_PATH))
        out = [".. list-table:: Every operation",
               "   :header-rows: 1", "   :widths: 10 45 45", "",
               "   * - Method", "     - Path", "     - Operation"]
        operations = [(path, method, op) for path, item in document["paths"].items()
                      for method, op in item.items() if method in self.METHODS]
        for path, method, op in operations:
            out += [f"   * - {method.upper()}", f"     - ``{path}``",
                    f"     - :ref:`{op['operationId']} <api-op-{op['operationId']}>`"]
        out.append("")
        for path, method, op in operations:
            out += self._operation(document, path, method, op)
        return out

    def _operation(self, document: dict[str, Any], path: str, method: str,
                   op: dict[str, Any]) -> list[str]:
        title = f"{method.upper()} {path}"
        out = [f".. _api-op-{op['operationId']}:", "", f".. rubric:: {title}", ""]
        about = op.get("summary") or op.get("description") or ""
        if about:
            out += [_one_line(about), ""]
        out += [f"Operation id ``{op['operationId']}``; tags: "
                + ", ".join(op.get("tags", [])) + ".", ""]
        params = op.get("parameters", [])
        if params:
            out += [".. list-table:: Parameters", "   :header-rows: 1",
                    "   :widths: 20 10 25 45", "",
                    "   * - Name", "     - In", "     - Type", "     - Meaning"]
            for param in params:
                param = _deref(document, param)
                required = " (required)" if param.get("required") else ""
                out += [f"   * - ``{param['name']}``{required}", f"     - {param['in']}",
                        f"     - {_type_of(document, param.get('schema', {}))}",
                        f"     - {_text(param.get('description'))}"]
            out.append("")
        body = op.get("requestBody")
        if body:
            content = body.get("content", {})
            schema_ref = next(iter(content.values()), {}).get("schema", {})
            schema = _deref(document, schema_ref)
            required = set(schema.get("required", []))
            out += [f"Request body (``{_ref_name(schema_ref)}``; "
                    + ", ".join(f"``{kind}``" for kind in content) + "):", ""]
            props = schema.get("properties", {})
            if props:
                out += [".. list-table::", "   :header-rows: 1", "   :widths: 22 28 50", "",
                        "   * - Field", "     - Type", "     - Meaning"]
                for name, prop in props.items():
                    flag = " (required)" if name in required else ""
                    meaning = _text(prop.get("description"))
                    if "default" in prop:
                        meaning += f" Default ``{prop['default']!r}``."
                    out += [f"   * - ``{name}``{flag}",
                            f"     - {_type_of(document, prop)}",
                            f"     - {meaning.strip()}"]
                out.append("")
        out += [".. list-table:: Responses", "   :header-rows: 1", "   :widths: 10 30 60", "",
                "   * - Code", "     - Body", "     - When"]
        for code, response in op.get("responses", {}).items():
            response = _deref(document, response)
            content = response.get("content", {})
            body_name = _ref_name(next(iter(content.values()), {}).get("schema", {})) \
                if content else ""
            out += [f"   * - {code}", f"     - ``{body_name}``" if body_name else "     - (none)",
                    f"     - {_text(response.get('description')) or '(success)'}"]
        out.append("")
        return out


def _generate_openapi(app: Sphinx) -> None:
    write_openapi_document(app)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", _generate_openapi)
    app.add_directive("carepay-api-operations", ApiOperationsDirective)
    app.add_directive("carepay-settings", SettingsDirective)
    app.add_directive("carepay-signals", SignalsDirective)
    app.add_directive("carepay-checks", ChecksDirective)
    app.add_directive("carepay-template-blocks", TemplateBlocksDirective)
    app.add_directive("carepay-commands", CommandsDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
