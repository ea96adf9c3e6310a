"""The front door: the demo's sites for visitors, each user's own site once logged in."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from clinic.demo import DEMO_PASSWORD

from .sites import SITES, site_for_user


def home(request: HttpRequest) -> HttpResponse:
    """Visitors see the sites and who to log in as; a signed-in user goes to their own
    site's home (``LOGIN_REDIRECT_URL`` points here, so logging in does too)."""
    if request.user.is_authenticated:
        return redirect(site_for_user(request.user).home_url())
    return render(request, "riverside/front_door.html", {
        "sites": SITES,
        # The demo logins are for a local demo only, never a deployed site.
        "show_accounts": settings.DEBUG,
        "demo_password": DEMO_PASSWORD,
    })
