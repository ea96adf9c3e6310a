"""The JSON API's endpoints (design §15): thin over :mod:`django_carepay.services`.

Each view validates its input with a serializer, finds what the requester may see
(:mod:`.access`), calls one service, and answers with a serializer; a service's
refusal becomes ``{"code", "message", "field"}`` (:mod:`.errors`).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from .. import invoice_lists, services
from ..backends import BasePaymentBackend, available_backends, get_backend
from ..exceptions import BackendNotAvailable
from ..models import Invoice, Payment
from ..types import ActionKind
from . import access, examples
from .base import CarepayAPIView, InvoicePages
from .inputs import (
    ApproveInput,
    InvoiceListQuery,
    MethodsQuery,
    PaymentStartInput,
    RefundInput,
    RejectInput,
    TransferInput,
)
from .schema import OpenApiResponse, document, refusals
from .serializers import (
    ApprovalSerializer,
    InvoiceDetailSerializer,
    InvoiceSerializer,
    MethodSerializer,
    PaymentSerializer,
    PaymentStartSerializer,
    RefundResultSerializer,
)


def _payer(request: Request) -> Any:
    return request.user if request.user and request.user.is_authenticated else None


def _valid(serializer_class: type, data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _method_for(invoice: Invoice, alias: str, country: str | None = None
                ) -> BasePaymentBackend:
    """The payer's chosen method, if they may use it for ``invoice`` (as on the pages:
    currency, country, capability and the adapter's policy); else a 400."""
    backend = get_backend(alias)
    if backend not in available_backends(invoice, country):
        where = f"{invoice.currency}" + (f", {country}" if country else "")
        raise BackendNotAvailable(
            f"Payment method {alias!r} ({backend.label}) is not available for invoice "
            f"{invoice.number} ({where}); GET methods/ lists those that are.")
    return backend


def _url(request: Request, name: str, *args: Any) -> str | None:
    """An absolute URL of carepay's pages, or None where the host did not include them."""
    try:
        return request.build_absolute_uri(reverse(name, args=args))
    except NoReverseMatch:
        return None


class InvoiceList(CarepayAPIView):
    """The requester's issued invoices, newest first, 25 a page."""

    carepay_permissions = (access.IsAuthenticated,)
    serializer_class = InvoiceSerializer
    pagination_class = InvoicePages

    def get_queryset(self) -> QuerySet[Invoice]:
        # The portal's filters and search (invoice_lists): ?status= means the same here.
        query = _valid(InvoiceListQuery, self.request.query_params)
        tab = invoice_lists.status_filter(query["status"])
        found = invoice_lists.search(invoice_lists.payer_invoices(self.request.user),
                                     invoice_lists.search_terms(query["q"]))
        return found.filter(tab.condition).order_by(*tab.ordering)

    @document(operation_id="invoices_list", parameters=[InvoiceListQuery],
                   responses={200: InvoiceSerializer(many=True), **refusals(400, 404)},
                   examples=[examples.INVOICE_PAGE])
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class InvoiceDetail(CarepayAPIView):
    """One invoice with its lines and payments: its payer, or staff who may view invoices."""

    @document(operation_id="invoices_retrieve",
                   responses={200: InvoiceDetailSerializer, **refusals(404)})
    def get(self, request: Request, public_id: Any) -> Response:
        invoice = access.viewable_invoice(request, public_id)
        return Response(InvoiceDetailSerializer(invoice, context={"request": request}).data)


class MethodList(CarepayAPIView):
    """The methods a payer may use for an invoice, in the payer's country."""

    @document(operation_id="methods_list", parameters=[MethodsQuery],
                   responses={200: MethodSerializer(many=True), **refusals(400, 404)},
                   examples=[examples.METHODS])
    def get(self, request: Request) -> Response:
        query = _valid(MethodsQuery, request.query_params)
        invoice = access.payer_invoice(request, query["invoice"])
        methods = available_backends(invoice, query["country"]) if invoice.is_payable else []
        return Response(MethodSerializer(methods, many=True,
                                         context={"invoice": invoice}).data)


class PaymentStart(CarepayAPIView):
    """Start (or resume) paying an invoice online; the amount is the amount due."""

    @document(operation_id="invoices_payments_create", request=PaymentStartInput,
                   responses={200: PaymentStartSerializer, **refusals(400, 404, 409, 415, 422)})
    def post(self, request: Request, public_id: Any) -> Response:
        return self.once(request, lambda: self._start(request, public_id))

    def _start(self, request: Request, public_id: Any) -> Response:
        invoice = access.payer_invoice(request, public_id)
        data = _valid(PaymentStartInput, request.data)
        _method_for(invoice, data["method"])
        started = services.begin_payment(invoice, backend=data["method"],
                                         request=request._request)
        payment, action = started.payment, started.action
        answer: dict[str, Any] = {"next_action": "none", "client_secret": None,
                                  "publishable_key": None, "redirect_url": None}
        if action is not None and action.kind == ActionKind.REDIRECT:
            answer.update(next_action="redirect", redirect_url=action.url)
        elif action is not None and action.context.get("client_secret"):
            answer.update(next_action="confirm",
                          client_secret=str(action.context["client_secret"]),
                          publishable_key=str(action.context.get("publishable_key") or ""))
        elif action is not None:  # a step carepay's own pay page renders
            answer.update(next_action="redirect", redirect_url=_url(
                request, "carepay:pay", invoice.public_id, payment.backend))
        answer["return_url"] = _url(request, "carepay:payment_return", payment.public_id)
        answer["payment"] = payment
        return Response(PaymentStartSerializer(answer, context={"request": request}).data)



class TransferSubmit(CarepayAPIView):
    """Report a bank transfer (JSON, or multipart/form-data with a proof); it waits
    for staff approval."""

    @document(operation_id="invoices_transfers_create",
                   request={"application/json": TransferInput,
                            "multipart/form-data": TransferInput},
                   responses={201: PaymentSerializer, **refusals(400, 404, 409, 415, 422)},
                   examples=[examples.TRANSFER, examples.TRANSFER_SUBMITTED])
    def post(self, request: Request, public_id: Any) -> Response:
        return self.once(request, lambda: self._submit(request, public_id))

    def _submit(self, request: Request, public_id: Any) -> Response:
        invoice = access.payer_invoice(request, public_id)
        data = _valid(TransferInput, request.data)
        _method_for(invoice, data["method"], data["country"])
        payment = services.submit_transfer(
            invoice, backend=data["method"], amount=data.get("amount"),
            reference=data["reference"], notes=data["notes"], paid_on=data["paid_on"],
            proof=data["proof"], country=data["country"], by=_payer(request))
        return Response(PaymentSerializer(payment, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class PaymentDetail(CarepayAPIView):
    """A payment's status, amounts and the staff's decision."""

    @document(operation_id="payments_retrieve",
                   responses={200: PaymentSerializer, **refusals(404)})
    def get(self, request: Request, public_id: Any) -> Response:
        payment = access.viewable_payment(request, public_id)
        return Response(PaymentSerializer(payment, context={"request": request}).data)


class PaymentApprove(CarepayAPIView):
    """Approve a submitted transfer: the money is in (``carepay.approve_payment``)."""

    carepay_permissions = (access.CanApprovePayments,)

    @document(operation_id="payments_approve", request=ApproveInput,
                   responses={200: PaymentSerializer, **refusals(400, 404, 409, 415, 422)},
                   examples=[examples.APPROVE])
    def post(self, request: Request, public_id: Any) -> Response:
        return self.once(request, lambda: self._approve(request, public_id))

    def _approve(self, request: Request, public_id: Any) -> Response:
        payment = access.staff_payment(public_id)
        data = _valid(ApproveInput, request.data)
        approved = services.approve_payment(
            payment, by=request.user, notes=data["notes"], amount=data.get("amount"),
            allow_overpayment=data["allow_overpayment"])
        return Response(PaymentSerializer(approved, context={"request": request}).data)


class PaymentReject(CarepayAPIView):
    """Reject a submitted transfer with a reason the payer is told."""

    carepay_permissions = (access.CanApprovePayments,)

    @document(operation_id="payments_reject", request=RejectInput,
                   responses={200: PaymentSerializer, **refusals(400, 404, 409, 415, 422)})
    def post(self, request: Request, public_id: Any) -> Response:
        return self.once(request, lambda: self._reject(request, public_id))

    def _reject(self, request: Request, public_id: Any) -> Response:
        payment = access.staff_payment(public_id)
        data = _valid(RejectInput, request.data)
        rejected = services.reject_payment(payment, by=request.user, notes=data["notes"])
        return Response(PaymentSerializer(rejected, context={"request": request}).data)


class PaymentRefund(CarepayAPIView):
    """Hand money back, all that is refundable or part (``carepay.refund_payment``)."""

    carepay_permissions = (access.CanRefundPayments,)

    @document(operation_id="payments_refund", request=RefundInput,
                   responses={201: RefundResultSerializer,
                              200: OpenApiResponse(RefundResultSerializer, description=(
                                  "Nothing was refunded now (already_recorded): the "
                                  "provider answered with a refund already recorded.")),
                              **refusals(400, 404, 409, 415, 422)},
                   examples=[examples.REFUND])
    def post(self, request: Request, public_id: Any) -> Response:
        return self.once(request, lambda: self._refund(request, public_id))

    def _refund(self, request: Request, public_id: Any) -> Response:
        payment = access.staff_payment(public_id)
        data = _valid(RefundInput, request.data)
        refund = services.refund_payment(payment, amount=data.get("amount"), by=request.user,
                                         reason=data["reason"])
        # A replayed refund moved nothing now (Transaction.replayed): 200, not Created.
        return Response(RefundResultSerializer(
            {"refund": refund, "payment": payment, "already_recorded": refund.replayed},
            context={"request": request}).data,
            status=status.HTTP_200_OK if refund.replayed else status.HTTP_201_CREATED)


class ApprovalQueue(CarepayAPIView):
    """Payments awaiting approval, oldest first (``carepay.approve_payment``)."""

    carepay_permissions = (access.CanApprovePayments,)
    serializer_class = ApprovalSerializer
    pagination_class = InvoicePages

    def get_queryset(self) -> QuerySet[Payment]:
        return Payment.objects.awaiting_approval().select_related("invoice", "recorded_by")

    @document(operation_id="approvals_list",
                   responses={200: ApprovalSerializer(many=True), **refusals(404)})
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

