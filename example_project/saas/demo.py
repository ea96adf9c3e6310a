"""Riverside Cloud's demo data: its plans and customers, shared by ``manage.py seed_saas``
and the tests."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from clinic.demo import DemoAccount

from .models import Plan, PlanPrice


@dataclass(frozen=True, kw_only=True)
class PlanSpec:
    """A plan as the demo sells it: list price in GBP, prices in other currencies."""

    slug: str
    name: str
    monthly_price: Decimal
    credits: int
    currency: str = "GBP"
    prices: dict[str, Decimal] = field(default_factory=dict)


PLANS = [
    PlanSpec(slug="free", name="Free", monthly_price=Decimal("0.00"), credits=1_000),
    PlanSpec(slug="starter", name="Starter", monthly_price=Decimal("25.00"), credits=10_000,
             prices={"USD": Decimal("29.00"), "EUR": Decimal("29.00"),
                     "PKR": Decimal("8000.00")}),
    PlanSpec(slug="growth", name="Growth", monthly_price=Decimal("79.00"), credits=50_000,
             prices={"USD": Decimal("99.00"), "EUR": Decimal("95.00"),
                     "PKR": Decimal("27500.00")}),
]

CUSTOMERS = [
    DemoAccount(username="customer1", first_name="Hannah", last_name="Hollis",
                role=_("Riverside Cloud customer (United Kingdom)")),
    DemoAccount(username="customer2", first_name="Bilal", last_name="Qureshi",
                role=_("Riverside Cloud customer (Pakistan)")),
    DemoAccount(username="customer3", first_name="Lena", last_name="Weber",
                role=_("Riverside Cloud customer (Germany)")),
]


def ensure_plans() -> dict[str, Plan]:
    """Create the demo's plans and prices where missing (existing ones are kept as they
    are); return every plan by slug."""
    for position, spec in enumerate(PLANS):
        plan, _ = Plan.objects.get_or_create(slug=spec.slug, defaults={
            "name": spec.name, "monthly_price": spec.monthly_price, "currency": spec.currency,
            "credits": spec.credits, "position": position,
        })
        for currency, amount in spec.prices.items():
            PlanPrice.objects.get_or_create(plan=plan, currency=currency,
                                            defaults={"monthly_price": amount})
    return {plan.slug: plan for plan in Plan.objects.all()}


def receipt_png() -> bytes:
    """A tiny valid PNG (one white pixel): a stand-in for a photographed bank receipt."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # one pixel, 8-bit RGB
    pixels = zlib.compress(b"\x00\xff\xff\xff")  # filter byte, then one RGB pixel
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))
