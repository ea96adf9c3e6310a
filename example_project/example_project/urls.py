"""URLs of the example project: the clinic's home page, Riverside Cloud, log-in, billing
and the admin."""

from django.contrib import admin
from django.urls import include, path

from clinic.views import home

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("saas/", include("saas.urls")),
    path("school/", include("school.urls")),
    path("billing/", include("django_carepay.urls")),
    path("admin/", admin.site.urls),
]
