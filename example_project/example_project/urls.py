"""URLs of the example project: the front door, the clinic, Riverside Cloud, log-in,
billing, carepay's JSON API with its documentation, and the admin."""

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

from riverside.views import home

urlpatterns = [
    # The demo's front door; after logging in, it sends each user to their own site.
    path("", home, name="home"),
    path("clinic/", include("clinic.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    # The language switcher in templates/base.html posts to set_language.
    path("i18n/", include("django.conf.urls.i18n")),
    # The SaaS single-page app's strings (saas/static/saas/app.js): gettext() in
    # JavaScript, from example_project/locale/<language>/LC_MESSAGES/djangojs.po.
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("saas/", include("saas.urls")),
    path("school/", include("school.urls")),
    path("billing/", include("django_carepay.urls")),
    # carepay's JSON API, and its OpenAPI document shown by Swagger UI and Redoc.
    path("api/billing/", include("django_carepay.api.urls")),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="carepay-api:schema"),
         name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="carepay-api:schema"),
         name="api-redoc"),
    path("admin/", admin.site.urls),
]
