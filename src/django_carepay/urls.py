"""``path("billing/", include("django_carepay.urls"))`` — namespace ``carepay``."""

from django.urls import path

from .backends.handler import backend_urlpatterns
from .views import documents, payer, staff, webhooks
from .views.staff import dashboard, exports

app_name = "carepay"

urlpatterns = [
    path("", payer.invoice_list, name="invoice_list"),
    path("invoices/<uuid:public_id>/", payer.invoice_detail, name="invoice_detail"),
    path("invoices/<uuid:public_id>/pdf/", documents.invoice_pdf, name="invoice_pdf"),
    path("invoices/<uuid:public_id>/pay/<slug:alias>/", payer.pay, name="pay"),
    path("payments/<uuid:public_id>/return/", payer.payment_return, name="payment_return"),
    path("link/<str:token>/", payer.invoice_link, name="invoice_link"),
    path("payments/<uuid:public_id>/proof/", payer.payment_proof, name="payment_proof"),
    path("payments/<uuid:public_id>/receipt/", documents.receipt_pdf, name="receipt_pdf"),
    path("statement/", documents.statement, name="statement"),
    path("statement/pdf/", documents.statement_pdf, name="statement_pdf"),
    path("webhooks/<slug:alias>/", webhooks.webhook, name="webhook"),
    path("staff/approvals/", staff.approvals, name="approvals"),
    path("staff/payments/<uuid:public_id>/approve/", staff.approve, name="approve_payment"),
    path("staff/payments/<uuid:public_id>/reject/", staff.reject, name="reject_payment"),
    path("staff/dashboard/", dashboard.dashboard, name="dashboard"),
    path("staff/exports/invoices.csv", exports.invoices_csv, name="invoices_csv"),
    path("staff/exports/payments.csv", exports.payments_csv, name="payments_csv"),
    # Each configured backend's own views (e.g. the demo provider's "Pay" button,
    # carepay:dummy_pay), under backends/<alias>/.
    *backend_urlpatterns(),
]
