"""The backends registry, availability filters and the manual and dummy backends."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_carepay import services
from django_carepay.adapter import DefaultCarepayAdapter
from django_carepay.backends import (
    BasePaymentBackend,
    UpdateKind,
    all_backends,
    available_backends,
    get_backend,
)
from django_carepay.backends.dummy import DummyBackend
from django_carepay.backends.manual import ManualBackend
from django_carepay.exceptions import UnknownBackend
from django_carepay.models import Invoice, Payment

MANUAL = "django_carepay.backends.manual.ManualBackend"
DUMMY = "django_carepay.backends.dummy.DummyBackend"


class TransferBackend(BasePaymentBackend):
    """A payer-submitted method, to test filtering by capability."""

    requires_approval = True


def carepay(**backends):
    """``override_settings`` for a CAREPAY setting with exactly these backends."""
    return override_settings(CAREPAY={**settings.CAREPAY, "BACKENDS": backends})


def aliases(backends):
    return [backend.alias for backend in backends]


class TestRegistry:
    def test_backends_are_built_from_the_setting(self):
        cash = get_backend("cash")

        assert isinstance(cash, ManualBackend)
        assert (cash.alias, cash.label) == ("cash", "Cash")
        assert isinstance(get_backend("online"), DummyBackend)

    def test_one_cached_instance_per_alias(self):
        assert get_backend("cash") is get_backend("cash")
        assert get_backend("cash") is not get_backend("terminal")

    def test_the_cache_is_reset_when_the_setting_changes(self):
        before = get_backend("cash")

        with carepay(cash={"BACKEND": MANUAL, "OPTIONS": {"label": "Petty cash"}}):
            during = get_backend("cash")
            assert during is not before
            assert during.label == "Petty cash"

        after = get_backend("cash")
        assert after is not during
        assert after.label == "Cash"

    def test_unknown_alias_lists_the_configured_ones(self):
        with pytest.raises(UnknownBackend) as excinfo:
            get_backend("paypal")

        assert str(excinfo.value) == (
            "No payment backend is configured as 'paypal' in CAREPAY['BACKENDS'] "
            "(configured: cash, online, terminal)."
        )
        assert isinstance(excinfo.value, KeyError)

    def test_unknown_alias_with_nothing_configured(self):
        with carepay(), pytest.raises(UnknownBackend, match="none are configured"):
            get_backend("cash")

    def test_all_backends_in_setting_order(self):
        assert aliases(all_backends()) == ["cash", "terminal", "online"]

    @pytest.mark.parametrize(("params", "message"), [
        ({}, "has no 'BACKEND'"),
        ({"BACKEND": "nowhere.Backend"}, "could not be imported"),
        ({"BACKEND": "django_carepay.models.Invoice"}, "is not a BasePaymentBackend subclass"),
    ])
    def test_misconfigured_backend(self, params, message):
        with carepay(broken=params), pytest.raises(ImproperlyConfigured, match=message):
            get_backend("broken")


@pytest.mark.django_db
class TestAvailableBackends:
    @pytest.fixture
    def gbp(self):
        return Invoice(currency="GBP", status=Invoice.Status.OPEN, billing_country="GB")

    def test_payers_get_online_methods_only(self, gbp):
        assert aliases(available_backends(gbp)) == ["online"]

    def test_staff_get_methods_they_record(self, gbp):
        assert aliases(available_backends(gbp, staff=True)) == ["cash", "terminal"]

    def test_filtered_by_currency(self):
        eur = Invoice(currency="EUR", status=Invoice.Status.OPEN)

        assert aliases(available_backends(eur, staff=True)) == ["cash"]

    def test_filtered_by_country(self, gbp):
        with carepay(
            uk_card={"BACKEND": DUMMY, "OPTIONS": {"countries": ["gb"]}},
            pk_card={"BACKEND": DUMMY, "OPTIONS": {"countries": ["PK"]}},
            anywhere={"BACKEND": DUMMY},
        ):
            assert aliases(available_backends(gbp)) == ["uk_card", "anywhere"]
            assert aliases(available_backends(gbp, country="pk")) == ["pk_card", "anywhere"]
            no_country = Invoice(currency="GBP", status=Invoice.Status.OPEN)
            assert aliases(available_backends(no_country)) == ["anywhere"]

    def test_filtered_by_capability(self, gbp):
        with carepay(transfer={"BACKEND": f"{__name__}.TransferBackend"},
                     cash={"BACKEND": MANUAL}):
            assert aliases(available_backends(gbp)) == ["transfer"]
            assert aliases(available_backends(gbp, staff=True)) == ["cash"]


class TestCapabilities:
    def test_manual(self):
        cash = get_backend("cash")

        assert (cash.staff_entry, cash.online, cash.requires_approval) == (True, False, False)
        assert (cash.supports_refunds, cash.supports_partial_refunds) == (True, True)
        assert cash.has_webhooks is False

    def test_dummy(self):
        online = get_backend("online")

        assert (online.online, online.staff_entry) == (True, False)
        assert (online.supports_refunds, online.supports_partial_refunds) == (True, True)

    def test_manual_refund_is_recorded_as_asked(self):
        payment = Payment(backend="cash", currency="GBP", amount=Decimal("80"))

        result = get_backend("cash").refund(payment, Decimal("30.00"), idempotency_key="k")

        assert (result.status, result.amount, result.currency) == ("succeeded",
                                                                   Decimal("30.00"), "GBP")
        assert result.provider_reference == ""

    def test_dummy_refund_ids_follow_the_idempotency_key(self):
        payment = Payment(backend="online", currency="GBP", amount=Decimal("80"))
        online = get_backend("online")

        first = online.refund(payment, Decimal("5"), idempotency_key="a")

        assert first == online.refund(payment, Decimal("5"), idempotency_key="a")
        assert first.provider_reference != online.refund(
            payment, Decimal("5"), idempotency_key="b").provider_reference

    @pytest.mark.parametrize(("outcome", "kind", "amount"), [
        ("succeeded", UpdateKind.SUCCEEDED, Decimal("80")),
        ("failed", UpdateKind.FAILED, None),
        ("processing", UpdateKind.PROCESSING, None),
    ])
    def test_dummy_sync_reports_its_configured_outcome(self, outcome, kind, amount):
        payment = Payment(backend="online", currency="GBP", amount=Decimal("80"),
                          provider_reference="dummy_1")

        with carepay(online={"BACKEND": DUMMY, "OPTIONS": {"outcome": outcome}}):
            backend = get_backend("online")
            assert backend.sync(payment) is None  # the payer has not paid yet
            backend.confirm(payment)
            update = backend.sync(payment)

        assert (update.kind, update.amount, update.provider_reference) == (kind, amount,
                                                                           "dummy_1")
        assert update.payment_public_id == str(payment.public_id)


class OnlyStaffEntryForSubjects:
    """An adapter offering payers no online method for invoices with a subject."""

    def is_backend_available(self, invoice, backend, country=None):
        return not (backend.online and invoice.subject_content_type_id)


class NoOnlineForSubjectsAdapter(OnlyStaffEntryForSubjects, DefaultCarepayAdapter):
    pass


@pytest.mark.django_db
def test_the_adapter_has_the_last_word_on_availability(appointment):
    with_subject = services.create_invoice(
        subject=appointment, lines=[{"description": "Visit", "unit_price": "10"}])
    without = services.create_invoice(lines=[{"description": "Visit", "unit_price": "10"}])
    adapter = f"{__name__}.NoOnlineForSubjectsAdapter"

    with override_settings(CAREPAY={**settings.CAREPAY, "ADAPTER": adapter}):
        assert aliases(available_backends(with_subject)) == []
        assert aliases(available_backends(without)) == ["online"]
        # Staff-entry methods go through the same hook, and it allows them here.
        assert aliases(available_backends(with_subject, staff=True)) == ["cash", "terminal"]


class TestHandler:
    def test_the_handler_iterates_the_aliases_in_setting_order(self):
        from django_carepay.backends import backends

        assert list(backends) == ["cash", "terminal", "online"]
        assert backends.all() == all_backends()
        assert backends["cash"] is get_backend("cash")

    def test_an_attribute_name_is_just_an_unknown_alias(self):
        with pytest.raises(UnknownBackend):
            get_backend("__class__")


class TestBackendUrls:
    def names(self, patterns):
        return [p.name for mount in patterns for p in mount.url_patterns]

    def test_the_demo_providers_pay_button_is_mounted_where_one_is_configured(self):
        from django_carepay.backends.handler import backend_urlpatterns

        assert self.names(backend_urlpatterns()) == ["dummy_pay"]
        with carepay(cash={"BACKEND": MANUAL}):
            assert backend_urlpatterns() == []

    def test_a_broken_backend_does_not_take_the_urls_down(self):
        from django_carepay.backends.handler import backend_urlpatterns

        with carepay(broken={"BACKEND": "nowhere.Backend"}, online={"BACKEND": DUMMY}):
            assert self.names(backend_urlpatterns()) == ["dummy_pay"]

    @pytest.mark.django_db
    def test_the_pay_button_of_a_backend_no_longer_a_dummy_is_404(self, client, patient,
                                                                   invoice):
        from django.urls import reverse

        client.force_login(patient)
        payment = services.start_payment(invoice, backend="online")
        url = reverse("carepay:dummy_pay", kwargs={"public_id": payment.public_id,
                                                   "alias": "online"})
        with carepay(online={"BACKEND": MANUAL}):
            assert client.post(url).status_code == 404
        other = reverse("carepay:dummy_pay", kwargs={"public_id": payment.public_id,
                                                     "alias": "cash"})
        assert client.post(other).status_code == 404
        assert client.post(url).status_code == 302


class TestValueTypes:
    def test_the_enums_compare_equal_to_the_strings_they_replace(self):
        from django_carepay.types import ActionKind, RefundStatus

        assert ActionKind.REDIRECT == "redirect"
        assert RefundStatus.FAILED == "failed"
        assert get_backend("cash").refund(Payment(currency="GBP"), Decimal("5"),
                                          idempotency_key="k").status == "succeeded"

    def test_the_backends_package_re_exports_the_value_types(self):
        from django_carepay import backends, types
        from django_carepay.backends import base

        for name in ("ProviderUpdate", "UpdateKind", "PaymentAction", "RefundResult"):
            assert getattr(backends, name) is getattr(types, name)
            assert getattr(base, name) is getattr(types, name)
