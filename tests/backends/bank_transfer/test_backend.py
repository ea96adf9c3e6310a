"""The bank transfer backend: its options, the payer's instructions, which methods a
payer may choose (currency and country), and its system checks (E020-E022)."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.test import override_settings
from django.urls import reverse

from django_carepay.backends import available_backends, get_backend
from django_carepay.backends.bank_transfer import BankTransferBackend
from tests import factories
from tests.backends.bank_transfer.support import CLINIC_TRANSFER, TRANSFER, configure_backends

DUMMY = "django_carepay.backends.dummy.DummyBackend"
MANUAL = "django_carepay.backends.manual.ManualBackend"


def bank_transfer(label: str, *, countries: tuple[str, ...] = (),
                  currencies: tuple[str, ...] = (), **options: Any) -> dict[str, Any]:
    return {"BACKEND": TRANSFER, "OPTIONS": {
        "label": label, "countries": list(countries), "currencies": list(currencies),
        "instructions": f"Pay {{{{ amount_due }}}} by {label}, quoting {{{{ reference }}}}.",
        **options,
    }}


#: A multi-tenant SaaS selling plans worldwide: global methods, and transfers and
#: wallets that only make sense in one country and currency.
SAAS_BACKENDS: dict[str, dict[str, Any]] = {
    "card": {"BACKEND": DUMMY, "OPTIONS": {"label": "Card"}},
    "paypal": {"BACKEND": DUMMY, "OPTIONS": {"label": "PayPal",
                                             "currencies": ["USD", "EUR", "GBP"]}},
    # Staff record these by hand; a payer never chooses them.
    "cash": {"BACKEND": MANUAL, "OPTIONS": {"label": "Cash at the office"}},
    "cheque": {"BACKEND": MANUAL, "OPTIONS": {"label": "Cheque", "currencies": ["GBP"]}},
    "swift": bank_transfer("International wire (SWIFT)", currencies=("USD", "EUR", "GBP"),
                           account={"Bank": "Barclays", "SWIFT/BIC": "BARCGB22"}),
    "transfer_gb": bank_transfer("UK bank transfer", countries=("GB",), currencies=("GBP",),
                                 account={"Sort code": "20-00-00",
                                          "Account number": "12345678"}),
    "sepa": bank_transfer("SEPA transfer", countries=("DE", "FR", "NL", "IE", "ES"),
                          currencies=("EUR",), account={"IBAN": "DE89370400440532013000"}),
    "transfer_pk": bank_transfer("Bank transfer (Pakistan)", countries=("PK",),
                                 currencies=("PKR", "USD"),
                                 account={"IBAN": "PK36SCBL0000001123456702"}),
    "jazzcash": bank_transfer("JazzCash", countries=("PK",), currencies=("PKR",),
                              account={"Mobile account": "0300-1234567"}),
    "easypaisa": bank_transfer("Easypaisa", countries=("PK",), currencies=("PKR",),
                               account={"Mobile account": "0345-7654321"}),
    "upi": bank_transfer("UPI", countries=("IN",), currencies=("INR",),
                         account={"UPI id": "acme@icici"}),
    "ach": bank_transfer("ACH transfer", countries=("US",), currencies=("USD",),
                         account={"Routing number": "021000021"}),
    "transfer_ae": bank_transfer("Bank transfer (UAE)", countries=("AE",),
                                 currencies=("AED", "USD"),
                                 account={"IBAN": "AE070331234567890123456"}),
    "pix": bank_transfer("Pix", countries=("BR",), currencies=("BRL",),
                         account={"Chave Pix": "acme@example.com"}),
}

GLOBAL = ["card", "paypal", "swift"]


def plan_invoice(currency: str, country: str = "", **kwargs: Any):
    """An issued invoice for a month of the Pro plan."""
    return factories.make_invoice(
        currency=currency, billing={"country": country},
        lines=[{"description": "Pro plan, one month", "unit_price": "100"}], **kwargs,
    )


def aliases(backends) -> list[str]:
    return [backend.alias for backend in backends]


def check_messages(**backends: dict[str, Any]):
    """carepay's system-check messages with exactly ``backends`` configured."""
    with override_settings(CAREPAY={**settings.CAREPAY, "BACKENDS": backends}):
        return [m for m in run_checks(tags=["carepay"]) if m.id.startswith("carepay.")]


def with_options(**options: Any) -> dict[str, Any]:
    return {"BACKEND": TRANSFER,
            "OPTIONS": {**CLINIC_TRANSFER["OPTIONS"], **options}}


pytestmark = pytest.mark.django_db


class TestOptions:
    def test_the_configured_options(self, transfer):
        assert transfer.label == "Bank transfer"
        assert transfer.currencies == {"GBP"}
        assert transfer.countries == set()
        assert list(transfer.account.items()) == [
            ("Account name", "Riverside Surgery"), ("Sort code", "20-00-00"),
            ("Account number", "12345678"),
        ]

    def test_capabilities(self, transfer):
        assert transfer.requires_approval
        assert not transfer.online
        assert not transfer.staff_entry
        assert not transfer.has_webhooks
        assert transfer.supports_refunds and transfer.supports_partial_refunds

    def test_several_instances_each_with_their_own_options(self, settings):
        configure_backends(settings, SAAS_BACKENDS, replace=True)

        pk, jazz = get_backend("transfer_pk"), get_backend("jazzcash")

        assert isinstance(pk, BankTransferBackend) and isinstance(jazz, BankTransferBackend)
        assert (pk.label, pk.countries, pk.currencies) == (
            "Bank transfer (Pakistan)", {"PK"}, {"PKR", "USD"})
        assert (jazz.label, jazz.currencies) == ("JazzCash", {"PKR"})
        assert pk.account == {"IBAN": "PK36SCBL0000001123456702"}
        assert jazz.account == {"Mobile account": "0300-1234567"}

    def test_no_account_details(self, settings):
        configure_backends(settings, {"wire": {"BACKEND": TRANSFER}})

        assert get_backend("wire").account == {}


class TestReference:
    def test_the_configured_format(self, transfer, invoice):
        assert transfer.payment_reference(invoice) == f"RS-{invoice.number}"

    def test_the_invoice_number_by_default(self, settings, invoice):
        configure_backends(settings, {"wire": {"BACKEND": TRANSFER}})

        assert get_backend("wire").payment_reference(invoice) == invoice.number

    def test_the_public_id(self, settings, invoice):
        configure_backends(settings, {"wire": with_options(reference_format="{public_id}")})

        assert get_backend("wire").payment_reference(invoice) == str(invoice.public_id)


class TestInstructions:
    def test_rendered_with_the_invoice_amount_due_and_reference(self, transfer, invoice):
        assert transfer.render_instructions(invoice) == (
            f"Transfer £80.00 for invoice {invoice.number} and quote RS-{invoice.number}."
        )

    def test_the_amount_due_is_what_is_left_to_pay(self, transfer, invoice):
        factories.pay_cash(invoice, "30.00")

        assert "Transfer £50.00 for invoice" in transfer.render_instructions(invoice)

    def test_default_instructions(self, settings, invoice):
        configure_backends(settings, {"wire": {"BACKEND": TRANSFER}})

        assert get_backend("wire").render_instructions(invoice).startswith(
            f"Please transfer £80.00 to the account below and quote the reference "
            f"{invoice.number} so we can match your payment."
        )

    def test_account_details_are_available_to_the_template(self, settings, invoice):
        configure_backends(settings, {"wire": with_options(
            instructions="Pay into {{ account.IBAN }}.", account={"IBAN": "GB33BUKB2020"})})

        assert get_backend("wire").render_instructions(invoice) == "Pay into GB33BUKB2020."

    def test_values_are_autoescaped(self, settings, patient):
        configure_backends(settings, {"wire": with_options(
            instructions="Dear {{ invoice.billing_name }}, pay {{ account.Payee }}.",
            account={"Payee": "<b>Acme</b>"})})
        invoice = factories.make_invoice(
            customer=patient, billing={"name": '<script>alert("x")</script>'})

        rendered = get_backend("wire").render_instructions(invoice)

        assert rendered == ("Dear &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;, "
                            "pay &lt;b&gt;Acme&lt;/b&gt;.")

    def test_the_instructions_own_markup_is_kept(self, settings, invoice):
        # The template itself is a setting the site's owner wrote, so its markup is
        # trusted; only the values put into it are escaped.
        configure_backends(settings, {"wire": with_options(
            instructions="<strong>Quote {{ reference }}</strong>")})

        assert get_backend("wire").render_instructions(invoice) == (
            f"<strong>Quote RS-{invoice.number}</strong>")

    def test_html_in_the_options_is_escaped_on_the_pay_page(self, settings, client, patient):
        configure_backends(settings, {"wire": with_options(
            label="<i>Wire</i>", account={"<u>Bank</u>": "<script>steal()</script>"},
            reference_format="<b>{number}</b>")})
        invoice = factories.make_invoice(customer=patient)
        client.force_login(patient)

        page = client.get(reverse("carepay:pay", args=[invoice.public_id, "wire"])
                          ).content.decode()

        assert "<script>steal()" not in page and "<i>Wire" not in page
        assert "<u>Bank" not in page and f"<b>{invoice.number}" not in page
        assert "&lt;script&gt;steal()&lt;/script&gt;" in page
        assert "&lt;i&gt;Wire&lt;/i&gt;" in page
        assert "&lt;u&gt;Bank&lt;/u&gt;" in page
        assert f"&lt;b&gt;{invoice.number}&lt;/b&gt;" in page


class TestAvailableBackends:
    """What a payer of the SaaS may choose, by invoice currency and payer country."""

    @pytest.fixture(autouse=True)
    def saas(self, settings):
        configure_backends(settings, SAAS_BACKENDS, replace=True)

    @pytest.mark.parametrize(("currency", "country", "expected"), [
        ("USD", "PK", [*GLOBAL, "transfer_pk"]),
        ("PKR", "PK", ["card", "transfer_pk", "jazzcash", "easypaisa"]),
        ("PKR", "GB", ["card"]),
        ("GBP", "GB", [*GLOBAL, "transfer_gb"]),
        ("GBP", "PK", GLOBAL),
        ("EUR", "FR", [*GLOBAL, "sepa"]),
        ("EUR", "GB", GLOBAL),
        ("USD", "US", [*GLOBAL, "ach"]),
        ("USD", "AE", [*GLOBAL, "transfer_ae"]),
        ("AED", "AE", ["card", "transfer_ae"]),
        ("INR", "IN", ["card", "upi"]),
        ("BRL", "BR", ["card", "pix"]),
        ("JPY", "JP", ["card"]),
    ])
    def test_by_currency_and_country(self, currency, country, expected):
        invoice = plan_invoice(currency)

        assert aliases(available_backends(invoice, country=country)) == expected

    def test_the_billing_country_when_no_country_is_given(self):
        invoice = plan_invoice("USD", "PK")

        assert aliases(available_backends(invoice)) == [*GLOBAL, "transfer_pk"]

    def test_a_given_country_overrides_the_billing_country(self):
        invoice = plan_invoice("USD", "PK")

        assert aliases(available_backends(invoice, country="US")) == [*GLOBAL, "ach"]

    def test_country_codes_are_case_insensitive(self):
        invoice = plan_invoice("PKR")

        assert aliases(available_backends(invoice, country="pk")) == [
            "card", "transfer_pk", "jazzcash", "easypaisa"]

    def test_without_any_country_only_global_methods(self):
        invoice = plan_invoice("USD")

        assert aliases(available_backends(invoice)) == GLOBAL

    def test_staff_entry_methods_are_never_offered_to_payers(self):
        offered = {alias for currency, country in [("GBP", "GB"), ("USD", "PK")]
                   for alias in aliases(available_backends(plan_invoice(currency), country))}

        assert offered.isdisjoint({"cash", "cheque"})

    def test_the_invoice_page_offers_the_payers_methods(self, client, patient):
        pk_invoice = plan_invoice("USD", "PK", customer=patient)
        gb_invoice = plan_invoice("USD", "GB", customer=patient)
        client.force_login(patient)

        pk_page = client.get(reverse("carepay:invoice_detail", args=[pk_invoice.public_id]))
        gb_page = client.get(reverse("carepay:invoice_detail", args=[gb_invoice.public_id]))

        pk_transfer = reverse("carepay:pay", args=[pk_invoice.public_id, "transfer_pk"])
        assert pk_transfer in pk_page.content.decode()
        assert "Bank transfer (Pakistan)" in pk_page.content.decode()
        assert "Bank transfer (Pakistan)" not in gb_page.content.decode()

    def test_a_method_not_offered_cannot_be_opened(self, client, patient):
        invoice = plan_invoice("USD", "GB", customer=patient)
        client.force_login(patient)

        for alias in ("transfer_pk", "jazzcash", "cash"):
            url = reverse("carepay:pay", args=[invoice.public_id, alias])
            assert client.get(url).status_code == 404

    def test_the_saas_configuration_passes_the_system_checks(self):
        assert check_messages(**SAAS_BACKENDS) == []


class TestChecks:
    def test_the_clinic_transfer_passes(self):
        assert check_messages(transfer=CLINIC_TRANSFER) == []

    def test_e020_instructions_that_are_not_a_valid_template(self):
        [message] = check_messages(transfer=with_options(
            instructions="Pay {{ amount_due }} {% if %}"))

        assert message.id == "carepay.E020"
        assert message.msg.startswith(
            "CAREPAY['BACKENDS']['transfer']['OPTIONS']['instructions'] is not a valid "
            "template:")

    def test_e020_the_projects_template_tags_are_not_available(self):
        [message] = check_messages(transfer=with_options(
            instructions="{% load carepay %}{{ amount_due }}"))

        assert message.id == "carepay.E020"
        assert "'carepay' is not a registered tag library" in message.msg

    @pytest.mark.parametrize("account", [
        [("IBAN", "GB33BUKB20201555555555")], "GB33BUKB20201555555555", None,
    ])
    def test_e021_account_that_is_not_a_mapping(self, account):
        [message] = check_messages(transfer=with_options(account=account))

        assert message.id == "carepay.E021"
        assert message.msg.startswith(
            "CAREPAY['BACKENDS']['transfer']['OPTIONS']['account'] must be a mapping of "
            "label to value")

    @pytest.mark.parametrize(("pattern", "problem"), [
        ("{invoice}", "KeyError('invoice')"),
        ("{0}", "IndexError"),
        ("REF-{number", "ValueError"),
    ])
    def test_e022_reference_format_that_cannot_be_filled(self, pattern, problem):
        [message] = check_messages(transfer=with_options(reference_format=pattern))

        assert message.id == "carepay.E022"
        assert f"['reference_format'] {pattern!r} is not valid: {problem}" in message.msg
        assert message.msg.endswith("use {number} and {public_id}.")

    def test_a_format_using_the_uuid_passes(self):
        backend = with_options(reference_format="REF-{public_id.hex}")

        assert check_messages(transfer=backend) == []

    def test_e022_a_format_that_fails_for_real_invoices(self, settings, invoice):
        configure_backends(settings, {"transfer": with_options(
            reference_format="REF-{public_id:.8}")})
        with pytest.raises(TypeError):
            get_backend("transfer").payment_reference(invoice)

        assert [m.id for m in check_messages(**settings.CAREPAY["BACKENDS"])] == [
            "carepay.E022"]


class TestBankCodeChecks:
    """E023 an invalid ``iban``, E024 an invalid ``bic``, checked with schwifty."""

    def test_valid_codes_pass(self):
        pytest.importorskip("schwifty")
        assert check_messages(transfer=with_options(
            iban="DE89 3704 0044 0532 0130 00", bic="COBADEFFXXX")) == []

    def test_e023_an_iban_with_a_bad_checksum(self):
        pytest.importorskip("schwifty")
        [message] = check_messages(transfer=with_options(iban="DE89370400440532013001"))

        assert message.id == "carepay.E023"
        assert message.msg.startswith(
            "CAREPAY['BACKENDS']['transfer']['OPTIONS']['iban'] 'DE89370400440532013001' "
            "is not a valid IBAN:")

    def test_e024_a_malformed_bic(self):
        pytest.importorskip("schwifty")
        [message] = check_messages(transfer=with_options(bic="COBA"))

        assert message.id == "carepay.E024"
        assert "['bic'] 'COBA' is not a valid BIC:" in message.msg

    def test_without_schwifty_the_codes_are_not_checked(self, monkeypatch):
        import importlib.util
        real = importlib.util.find_spec
        monkeypatch.setattr(importlib.util, "find_spec",
                            lambda name, *a: None if name == "schwifty" else real(name, *a))

        assert check_messages(transfer=with_options(iban="not an iban", bic="?")) == []

    def test_the_payer_sees_the_iban_options_with_the_account(self):
        backend = BankTransferBackend("sepa", {"OPTIONS": {
            "account": {"Bank": "Commerzbank"}, "iban": "de89 3704 0044 0532 0130 00",
            "bic": "cobadeffxxx", "beneficiary": "Riverside Praxis GmbH"}})

        assert dict(backend.account) == {
            "Bank": "Commerzbank", "Beneficiary": "Riverside Praxis GmbH",
            "IBAN": "DE89370400440532013000", "BIC": "COBADEFFXXX"}

    def test_an_iban_already_in_the_account_is_not_repeated(self):
        backend = BankTransferBackend("sepa", {"OPTIONS": {
            "account": {"IBAN": "DE89 3704 0044 0532 0130 00"},
            "iban": "DE89370400440532013000"}})

        assert dict(backend.account) == {"IBAN": "DE89 3704 0044 0532 0130 00"}
