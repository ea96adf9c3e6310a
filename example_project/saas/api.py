"""Riverside Cloud's own small JSON API, beside carepay's: the plans, signing up (the
billing details step) and the customer's accounts (the pending-payment banner).

Paying goes through carepay's API (``/api/billing/``); these views only do what is
Riverside Cloud's business. Same REST framework settings as carepay's views.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django_carepay.api.access import IsAuthenticated
from django_carepay.api.base import CarepayAPIView
from django_carepay.api.schema import document, refusals
from django_carepay.models import Payment
from django_carepay.money import normalize
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from .billing import sign_up
from .forms import SIGNUP_COUNTRIES
from .models import Account, Plan, Subscription


class PlanSerializer(serializers.ModelSerializer):
    monthly_price = serializers.DecimalField(max_digits=12, decimal_places=2,
                                             coerce_to_string=True)

    class Meta:
        model = Plan
        fields = ["slug", "name", "monthly_price", "currency", "credits"]


class SignupInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    plan = serializers.SlugRelatedField(slug_field="slug", queryset=Plan.objects.all())
    country = serializers.ChoiceField(choices=SIGNUP_COUNTRIES)


class AccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    plan = serializers.CharField(source="plan.name")
    status = serializers.CharField()
    credits = serializers.IntegerField()
    country = serializers.CharField()
    invoice = serializers.SerializerMethodField(help_text="The invoice to pay, if any.")
    last_payment = serializers.SerializerMethodField(
        help_text="The latest attempt to pay it: {status, amount, currency, reference}.")

    def _waiting(self, account: Account) -> Subscription | None:
        waiting = [s for s in account.subscriptions.all()
                   if s.status == Subscription.Status.PENDING and s.invoice_id]
        return waiting[0] if waiting else None

    def get_invoice(self, account: Account) -> str | None:
        waiting = self._waiting(account)
        return str(waiting.invoice.public_id) if waiting else None

    def get_last_payment(self, account: Account) -> dict[str, Any] | None:
        waiting = self._waiting(account)
        payments = waiting.invoice.api_payments if waiting else []
        if not payments:
            return None
        last = payments[-1]
        return {"id": str(last.public_id), "status": last.status,
                "amount": str(normalize(last.amount, last.currency)),
                "currency": last.currency, "reference": last.reference,
                "reason": last.decision_notes if last.status == Payment.Status.FAILED else ""}


def _accounts(user: Any) -> Any:
    return (Account.objects.filter(owner=user).select_related("plan")
            .prefetch_related(Prefetch(
                "subscriptions",
                queryset=Subscription.objects.select_related("invoice").prefetch_related(
                    Prefetch("invoice__payments", to_attr="api_payments",
                             queryset=Payment.objects.exclude(status=Payment.Status.CANCELLED)
                             .order_by("created_at", "id"))))))


class PlanList(CarepayAPIView):
    """The plans on sale, with their list price."""

    @document(operation_id="saas_plans", responses={200: PlanSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(PlanSerializer(Plan.objects.all(), many=True).data)


class AccountList(CarepayAPIView):
    """The requester's accounts; sign up for a new one with POST."""

    carepay_permissions = (IsAuthenticated,)

    @document(operation_id="saas_accounts", responses={200: AccountSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return Response(AccountSerializer(_accounts(request.user), many=True).data)

    @document(operation_id="saas_signup", request=SignupInput,
              responses={201: AccountSerializer, **refusals(400, 415, 422)})
    def post(self, request: Request) -> Response:
        return self.once(request, lambda: self._sign_up(request))

    def _sign_up(self, request: Request) -> Response:
        data = SignupInput(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = sign_up(owner=request.user, send_email=True, **data.validated_data)
        account = _accounts(request.user).get(pk=subscription.account_id)
        return Response(AccountSerializer(account).data, status=status.HTTP_201_CREATED)
