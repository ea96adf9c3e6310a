"""``path("saas/", include("saas.urls"))`` — namespace ``saas``."""

from django.urls import path

from . import views

app_name = "saas"

urlpatterns = [
    path("", views.account_list, name="accounts"),
    path("signup/", views.signup, name="signup"),
]
