"""HTML in, PDF bytes out: WeasyPrint and segno, loaded only when a PDF is asked for.

Both come with the ``[pdf]`` extra. WeasyPrint also needs Pango from the system; when
either is missing, asking for a PDF raises :class:`MissingDependency` saying what to
install, and ``manage.py check`` reports ``carepay.E030`` for a WeasyPrint that is
installed but cannot load.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from ..exceptions import MissingDependency

#: What to install, in every message about a missing PDF dependency.
INSTALL_HINT = (
    'Install the [pdf] extra (pip install "django-carepay[pdf]") and WeasyPrint\'s '
    "system libraries (Debian/Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0)."
)


def _import(name: str) -> ModuleType:
    return importlib.import_module(name)


def load(name: str) -> ModuleType:
    """Import ``weasyprint`` or ``segno``, or raise :class:`MissingDependency`.

    A WeasyPrint whose system libraries are missing fails with ``OSError`` rather
    than ``ImportError``; both mean the same to the host: install something.
    """
    try:
        return _import(name)
    except (ImportError, OSError) as exc:
        raise MissingDependency(
            f"carepay cannot render PDFs: {name} could not be loaded ({exc}). {INSTALL_HINT}"
        ) from exc


def weasyprint_installed() -> bool:
    """Whether the ``weasyprint`` package is installed (it may still fail to load)."""
    return importlib.util.find_spec("weasyprint") is not None


def problem() -> str | None:
    """Why PDFs cannot be rendered here, or ``None`` when they can."""
    for name in ("weasyprint", "segno"):
        try:
            load(name)
        except MissingDependency as exc:
            return str(exc)
    return None


def html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    """Render an HTML document to PDF bytes (A4 and margins come from its CSS)."""
    weasyprint = load("weasyprint")
    pdf: bytes = weasyprint.HTML(string=html, base_url=base_url).write_pdf()
    return pdf


def qr_svg(data: str, *, scale: int = 2) -> str:
    """``data`` as a QR code: an inline ``<svg>`` element, no XML declaration."""
    segno = load("segno")
    svg: str = segno.make(data, error="m").svg_inline(scale=scale, border=2)
    return svg
