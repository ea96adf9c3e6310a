"""Sphinx configuration of django-carepay's documentation (``make docs``).

Pages are Markdown (MyST); the reference pages are generated from the code by autodoc
and the small extension in ``_ext/carepay_docs.py`` (signals, system checks, template
blocks, management commands), so they cannot drift from it. Django is set up with the
minimal settings in ``_ext/docs_settings.py`` so that models and commands import.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import django

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path[:0] = [str(ROOT / "src"), str(DOCS / "_ext")]
os.environ["DJANGO_SETTINGS_MODULE"] = "docs_settings"
django.setup()

import django_carepay  # noqa: E402 (after django.setup())

project = "django-carepay"
author = "The django-carepay authors"
copyright = "2026, The django-carepay authors"
release = django_carepay.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "sphinxcontrib.mermaid",
    "carepay_docs",
]

# Every top-level Markdown page is part of the site; README.md and CHANGELOG.md at the
# repository root are not in docs/ and so not built.
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "_ext", "Thumbs.db", ".DS_Store"]
root_doc = "index"

myst_enable_extensions = ["colon_fence", "deflist", "fieldlist"]
myst_heading_anchors = 3
# ```mermaid fences (the state diagrams in architecture.md) are drawn as diagrams.
myst_fence_as_directive = ["mermaid"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented_params"
autodoc_preserve_defaults = True
autodoc_default_options = {"show-inheritance": False}

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "django": ("https://docs.djangoproject.com/en/stable/",
               "https://docs.djangoproject.com/en/stable/_objects/"),
}
# The build never needs the network: without the inventories, references to Python
# and Django simply stay plain text (set CAREPAY_DOCS_INTERSPHINX=1 to link them).
if not os.environ.get("CAREPAY_DOCS_INTERSPHINX"):
    intersphinx_mapping = {}

html_theme = "furo"
html_title = f"django-carepay {release}"
html_static_path: list[str] = []
html_show_sourcelink = False
