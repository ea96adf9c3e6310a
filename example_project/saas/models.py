"""Riverside Cloud's own domain: plans, customer accounts and their subscriptions."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import get_territory_currencies
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Plan(models.Model):
    """What a customer can sign up for: a monthly price and the credits it grants.

    ``monthly_price`` in ``currency`` is the list price; :class:`PlanPrice` rows give
    the price in other currencies, so customers are billed in their own currency where
    the plan has a price in it (and can then use their country's payment methods).
    """

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    monthly_price = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, help_text="ISO 4217 code of the list price.")
    credits = models.PositiveIntegerField(help_text="Credits granted when the plan starts.")
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on the sign-up form.")

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["position", "monthly_price"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_free(self) -> bool:
        return self.monthly_price == 0

    def price_for(self, country: str) -> tuple[Decimal, str]:
        """``(monthly price, currency)`` for a customer in ``country`` (ISO 3166 code):
        the price in the country's currency when the plan has one, else the list price."""
        local = get_territory_currencies(country.upper(), tender=True) if country else []
        for price in self.prices.all():
            if price.currency in local:
                return price.monthly_price, price.currency
        return self.monthly_price, self.currency


class PlanPrice(models.Model):
    """A plan's monthly price in one more currency."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="prices")
    currency = models.CharField(max_length=3)
    monthly_price = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("plan price")
        verbose_name_plural = _("plan prices")
        constraints = [
            models.UniqueConstraint(fields=["plan", "currency"],
                                    name="saas_one_price_per_currency"),
        ]

    def __str__(self) -> str:
        return f"{self.plan}: {self.monthly_price} {self.currency}"


class Account(models.Model):
    """A customer's tenant: one company or team, owned by the user who signed it up.

    A paid sign-up waits in ``pending_payment`` until its invoice is paid; carepay's
    signals then make it ``active`` and grant its plan's credits (:mod:`saas.receivers`).
    """

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("Pending payment")
        ACTIVE = "active", _("Active")

    name = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="saas_accounts",
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="accounts")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT, db_index=True,
    )
    credits = models.PositiveIntegerField(default=0)
    country = models.CharField(max_length=2, help_text="ISO 3166 code of the billing country.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class Subscription(models.Model):
    """An account's subscription to a plan, started when its invoice is paid.

    ``invoice`` is the carepay invoice that pays for it (none on a free plan); one
    subscription per invoice is what makes the activation happen once however many
    times carepay announces the payment.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACTIVE = "active", _("Active")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="subscriptions")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True,
    )
    invoice = models.OneToOneField(
        "carepay.Invoice", on_delete=models.PROTECT, null=True, blank=True,
        related_name="saas_subscription",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.account}: {self.plan}"
