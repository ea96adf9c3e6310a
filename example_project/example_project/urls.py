"""URLs of the example project: the clinic's home page, Riverside Cloud, log-in, billing,
carepay's JSON API with its documentation, and the admin."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

from clinic.views import home

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("saas/", include("saas.urls")),
    path("billing/", include("django_carepay.urls")),
    # carepay's JSON API, and its OpenAPI document shown by Swagger UI and Redoc.
    path("api/billing/", include("django_carepay.api.urls")),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="carepay-api:schema"),
         name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="carepay-api:schema"),
         name="api-redoc"),
    path("admin/", admin.site.urls),
]
