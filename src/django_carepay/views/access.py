"""Who may open a page, and what they see when they may not.

Staff pages are wrapped in :func:`staff_view`: an anonymous visitor who asks for a page
is sent to log in; anyone else without the permission gets carepay's styled 403 inside
the layout, with a way back — and nothing runs. Payer pages raise ``Http404`` for what
is not theirs; :func:`payer_view` renders that as carepay's styled 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from .. import permissions

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise
else:
    _StrOrPromise = str

View = Callable[..., HttpResponse]


def _home_url(request: HttpRequest) -> str:
    """The first console page this user may open, else their own invoices."""
    nav = staff_nav(request)
    return nav[0]["url"] if nav else reverse("carepay:invoice_list")


def _back_url(request: HttpRequest) -> str:
    referer = request.headers.get("referer", "")
    if referer and url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return referer
    return ""


def forbidden(request: HttpRequest, message: _StrOrPromise | None = None) -> HttpResponse:
    """carepay's 403 page, inside the layout, with a way back."""
    return render(request, "carepay/403.html", {
        "message": message, "back_url": _back_url(request), "home_url": _home_url(request),
    }, status=403)


def not_found(request: HttpRequest, message: _StrOrPromise | None = None) -> HttpResponse:
    """carepay's 404 page, inside the layout."""
    return render(request, "carepay/404.html", {
        "message": message, "home_url": reverse("carepay:invoice_list"),
    }, status=404)


def staff_view(check: Callable[[Any], bool],
               message: _StrOrPromise = "") -> Callable[[View], View]:
    """Run the view only for users ``check`` accepts (a ``permissions.can_*`` rule).

    Anonymous GETs go to the log-in page and come back; everything else the rule
    refuses is a 403 before the view runs, so a refused POST changes nothing.
    """
    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not check(request.user):
                if not request.user.is_authenticated and request.method in ("GET", "HEAD"):
                    return redirect_to_login(request.get_full_path())
                return forbidden(request, message or None)
            try:
                return view(request, *args, **kwargs)
            except PermissionDenied as exc:
                return forbidden(request, str(exc) or None)
        return wrapper
    return decorate


def payer_view(view: View) -> View:
    """Render ``Http404`` raised by a payer page as carepay's styled 404."""
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Http404:
            return not_found(request)
    return wrapper


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: _StrOrPromise
    check: Callable[[Any], bool]


#: The staff console's navigation, in order; each entry shows only to users its
#: rule accepts. Pages add themselves here.
STAFF_NAV: list[NavItem] = [
    NavItem("carepay:staff_invoices", _("Invoices"), permissions.can_view_invoices),
    NavItem("carepay:staff_invoice_create", _("New invoice"), permissions.can_add_invoice),
    NavItem("carepay:approvals", _("Approvals"), permissions.can_approve),
]


def staff_nav(request: HttpRequest) -> list[dict[str, Any]]:
    """The console's navigation for this user, the current page marked."""
    items = []
    for item in STAFF_NAV:
        if item.check(request.user):
            url = reverse(item.url_name)
            items.append({"url": url, "label": item.label,
                          "current": request.path == url})
    return items


def render_staff(request: HttpRequest, template: str, context: dict[str, Any],
                 status: int | None = None) -> HttpResponse:
    """Render a console page (a template extending ``carepay/staff/base.html``)."""
    return render(request, template, {**context, "carepay_staff_nav": staff_nav(request)},
                  status=status)
