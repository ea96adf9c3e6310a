"""``path("api/billing/", include("django_carepay.api.urls"))`` — namespace ``carepay-api``.

Needs the ``[api]`` extra (Django REST framework, drf-spectacular). Authentication,
permission defaults and throttling come from the host's ``REST_FRAMEWORK`` setting.
"""

from django.urls import path

from . import views
from .schema import CarepaySchemaView

app_name = "carepay-api"

urlpatterns = [
    path("methods/", views.MethodList.as_view(), name="methods"),
    path("invoices/", views.InvoiceList.as_view(), name="invoices"),
    path("invoices/<uuid:public_id>/", views.InvoiceDetail.as_view(), name="invoice"),
    path("invoices/<uuid:public_id>/payments/", views.PaymentStart.as_view(),
         name="invoice_payments"),
    path("invoices/<uuid:public_id>/transfers/", views.TransferSubmit.as_view(),
         name="invoice_transfers"),
    path("payments/<uuid:public_id>/", views.PaymentDetail.as_view(), name="payment"),
    path("payments/<uuid:public_id>/approve/", views.PaymentApprove.as_view(),
         name="payment_approve"),
    path("payments/<uuid:public_id>/reject/", views.PaymentReject.as_view(),
         name="payment_reject"),
    path("payments/<uuid:public_id>/refund/", views.PaymentRefund.as_view(),
         name="payment_refund"),
    path("approvals/", views.ApprovalQueue.as_view(), name="approvals"),
    path("schema/", CarepaySchemaView.as_view(), name="schema"),
]
