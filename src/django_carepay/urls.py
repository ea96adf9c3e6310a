"""``path("billing/", include("django_carepay.urls"))`` — namespace ``carepay``."""

from django.urls import path

from .backends.handler import backend_urlpatterns
from .views import documents, payer, staff, webhooks
from .views.staff import actions as staff_actions
from .views.staff import create as staff_create
from .views.staff import invoices as staff_invoices

#: An invoice's page in the staff console, and the actions posted from it.
STAFF_INVOICE = "staff/invoices/<uuid:public_id>/"
STAFF_PAYMENT = STAFF_INVOICE + "payments/<uuid:payment_id>/"

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
    path("staff/invoices/", staff_invoices.invoice_list, name="staff_invoices"),
    path("staff/invoices/new/", staff_create.invoice_create, name="staff_invoice_create"),
    path(STAFF_INVOICE, staff_invoices.invoice_detail, name="staff_invoice"),
    path(STAFF_INVOICE + "issue/", staff_actions.issue, name="staff_invoice_issue"),
    path(STAFF_INVOICE + "send/", staff_actions.send, name="staff_invoice_send"),
    path(STAFF_INVOICE + "record-payment/", staff_actions.record_payment,
         name="staff_invoice_record_payment"),
    path(STAFF_INVOICE + "void/", staff_actions.void, name="staff_invoice_void"),
    path(STAFF_INVOICE + "write-off/", staff_actions.write_off, name="staff_invoice_write_off"),
    path(STAFF_INVOICE + "lines/", staff_actions.add_line, name="staff_invoice_add_line"),
    path(STAFF_INVOICE + "lines/<int:line_id>/", staff_actions.edit_line,
         name="staff_invoice_edit_line"),
    path(STAFF_INVOICE + "lines/<int:line_id>/remove/", staff_actions.remove_line,
         name="staff_invoice_remove_line"),
    path(STAFF_PAYMENT + "refund/", staff_actions.refund, name="staff_payment_refund"),
    path(STAFF_PAYMENT + "approve/", staff_actions.approve, name="staff_payment_approve"),
    path(STAFF_PAYMENT + "reject/", staff_actions.reject, name="staff_payment_reject"),
    # Each configured backend's own views (e.g. the demo provider's "Pay" button,
    # carepay:dummy_pay), under backends/<alias>/.
    *backend_urlpatterns(),
]
