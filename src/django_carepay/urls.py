"""``path("billing/", include("django_carepay.urls"))`` — namespace ``carepay``."""

from django.urls import path

from .views import payer, webhooks

app_name = "carepay"

urlpatterns = [
    path("", payer.invoice_list, name="invoice_list"),
    path("invoices/<uuid:public_id>/", payer.invoice_detail, name="invoice_detail"),
    path("invoices/<uuid:public_id>/pay/<slug:alias>/", payer.pay, name="pay"),
    path("payments/<uuid:public_id>/return/", payer.payment_return, name="payment_return"),
    path("link/<str:token>/", payer.invoice_link, name="invoice_link"),
    path("webhooks/<slug:alias>/", webhooks.webhook, name="webhook"),
]
