"""The smallest payment model django-payments needs (PAYMENT_MODEL); no migrations:
the harness's test database creates its table (run_syncdb)."""

from decimal import Decimal

from payments import PurchasedItem
from payments.models import BasePayment


class Payment(BasePayment):
    def get_failure_url(self) -> str:
        return "/"

    def get_success_url(self) -> str:
        return "/"

    def get_purchased_items(self):  # type: ignore[no-untyped-def]
        yield PurchasedItem(name="Consultation", sku="C1", quantity=1,
                            price=Decimal("80.00"), currency="GBP")
