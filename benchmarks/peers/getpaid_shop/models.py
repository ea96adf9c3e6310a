"""The smallest order django-getpaid pays (GETPAID_ORDER_MODEL)."""

from decimal import Decimal

from django.db import models
from getpaid.abstracts import AbstractOrder


class Order(AbstractOrder):
    total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("80.00"))

    def get_total_amount(self) -> Decimal:
        return self.total

    def get_currency(self) -> str:
        return "GBP"

    def get_description(self) -> str:
        return f"Order {self.pk}"

    def get_absolute_url(self) -> str:
        return "/"
