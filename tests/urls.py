from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("billing/", include("django_carepay.urls")),
    path("api/billing/", include("django_carepay.api.urls")),
]

# Logging in through a real form, for the browser tests (tests/browser/).
urlpatterns += [path("accounts/", include("django.contrib.auth.urls"))]
