"""``path("saas/", include("saas.urls"))`` — namespace ``saas``."""

from django.urls import path

from . import api, views

app_name = "saas"

urlpatterns = [
    path("", views.account_list, name="accounts"),
    path("signup/", views.signup, name="signup"),
    # The same sign-up as a single page on carepay's JSON API (saas/app.js), and the
    # small JSON API of Riverside Cloud's own it uses (saas/api.py).
    path("app/", views.app, name="app"),
    path("api/plans/", api.PlanList.as_view(), name="api_plans"),
    path("api/accounts/", api.AccountList.as_view(), name="api_accounts"),
]
