"""URLs of the example project: the front door, the clinic, Riverside Cloud, log-in,
billing and the admin."""

from django.contrib import admin
from django.urls import include, path

from riverside.views import home

urlpatterns = [
    # The demo's front door; after logging in, it sends each user to their own site.
    path("", home, name="home"),
    path("clinic/", include("clinic.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("saas/", include("saas.urls")),
    path("billing/", include("django_carepay.urls")),
    path("admin/", admin.site.urls),
]
