"""Submissions that are refused say why and store nothing: no payment row, no file
left in MEDIA_ROOT, the invoice untouched. Through the page and through the service."""

from __future__ import annotations

from datetime import timedelta

import pytest

from django_carepay import services, signals
from django_carepay.exceptions import (
    BackendNotAvailable,
    CarepayError,
    InvalidAmount,
    InvalidState,
)
from django_carepay.proofs import InvalidProof
from tests import factories
from tests.backends.bank_transfer.support import (
    GIF,
    PDF,
    TRANSFER,
    HostFailure,
    configure_backends,
    confirmation,
    host_fails,
    media_files,
    pay_url,
    pdf_proof,
    submit,
    today,
    upload,
)
from tests.testapp.models import Appointment

pytestmark = pytest.mark.django_db

NOT_A_PROOF = "The proof of payment must be a PDF, PNG or JPEG file."


def too_large() -> bytes:
    """A 600 KB PDF: over the 512 KB limit the ``small_proof_limit`` fixture sets."""
    return PDF + b"0" * (600 * 1024 - len(PDF))


@pytest.fixture
def small_proof_limit(settings):
    settings.CAREPAY = {**settings.CAREPAY, "MAX_PROOF_SIZE": 512 * 1024}


@pytest.fixture
def refused(patient_client, nothing_changes, media):
    """``refused(invoice, data)``: post the form; assert it was refused with nothing
    stored; return the response."""

    def post(invoice, data, *, status=400):
        with nothing_changes(invoice):
            response = patient_client.post(pay_url(invoice), data)
        assert response.status_code == status
        assert media_files(media) == {}
        return response

    return post


class TestThePageRefuses:
    def test_an_amount_above_the_amount_due(self, refused, invoice):
        response = refused(invoice, confirmation(invoice, amount="80.01",
                                                 proof=pdf_proof()))

        # The service's refusal names the field: it shows next to the amount.
        assert response.context["form"].errors == {"amount": [
            f"£80.01 is more than the £80.00 due on Invoice {invoice.number}; "
            "enter at most 80.00."]}
        assert "enter at most 80.00" in response.content.decode()

    def test_an_amount_above_what_is_left_after_a_part_payment(self, refused, invoice):
        factories.pay_cash(invoice, "30.00")

        response = refused(invoice, confirmation(invoice, amount="60"))

        assert "£60.00 is more than the £50.00 due" in response.content.decode()

    def test_no_amount(self, refused, invoice):
        response = refused(invoice, confirmation(invoice, amount="0"))

        assert response.context["form"].errors == {"amount": [
            "Amount must be greater than zero."]}

    @pytest.mark.parametrize("reference", ["", "   "])
    def test_an_empty_reference(self, refused, invoice, reference):
        response = refused(invoice, confirmation(invoice, reference=reference))

        assert response.context["form"].errors == {"reference": ["This field is required."]}

    def test_a_date_in_the_future(self, refused, invoice):
        tomorrow = today() + timedelta(days=1)

        response = refused(invoice, confirmation(invoice, paid_on=tomorrow.isoformat()))

        assert response.context["form"].errors == {
            "paid_on": [f"The date paid ({tomorrow:%d %b %Y}) is in the future."]}

    def test_an_oversized_proof(self, refused, invoice, small_proof_limit):
        response = refused(invoice, confirmation(
            invoice, proof=upload("statement.pdf", too_large(), "application/pdf")))

        assert response.context["form"].errors == {
            "proof": ["The proof of payment is 600.0 KB; the limit is 512.0 KB."]}

    @pytest.mark.parametrize(("name", "content"), [
        ("screenshot.png", b"this is not an image, just text"),
        ("transfer.gif", GIF),
    ])
    def test_a_proof_that_is_not_a_pdf_png_or_jpeg(self, refused, invoice, name, content):
        response = refused(invoice, confirmation(invoice, proof=upload(name, content,
                                                                       "image/png")))

        assert response.context["form"].errors == {"proof": [NOT_A_PROOF]}
        assert NOT_A_PROOF in response.content.decode()

    def test_an_empty_proof(self, refused, invoice):
        response = refused(invoice, confirmation(invoice, proof=upload("empty.pdf", b"")))

        assert response.context["form"].errors == {"proof": ["The submitted file is empty."]}

    def test_a_paid_invoice(self, refused, patient_client, invoice):
        factories.pay_cash(invoice)

        response = refused(invoice, confirmation(invoice, proof=pdf_proof()), status=409)

        assert f"Invoice {invoice.number} has nothing left to pay." in \
            response.content.decode()
        assert patient_client.get(pay_url(invoice)).status_code == 409

    def test_a_void_invoice(self, refused, invoice):
        services.void_invoice(invoice, reason="Booked by mistake")

        response = refused(invoice, confirmation(invoice, proof=pdf_proof()), status=409)

        assert "has nothing left to pay" in response.content.decode()

    def test_a_currency_the_method_does_not_take(self, refused, patient):
        invoice = factories.make_invoice(customer=patient, currency="EUR")

        refused(invoice, confirmation(invoice, amount="80"), status=404)


class TestTheServiceRefuses:
    @pytest.fixture(autouse=True)
    def nothing_stored(self, invoice, nothing_changes, media):
        with nothing_changes(invoice):
            yield
        assert media_files(media) == {}

    def test_an_amount_above_the_amount_due(self, invoice):
        with pytest.raises(InvalidAmount, match=(
                rf"^£80\.01 is more than the £80\.00 due on Invoice {invoice.number}; "
                r"enter at most 80\.00\.$")):
            submit(invoice, amount="80.01", proof=pdf_proof())

    @pytest.mark.parametrize("reference", ["", "  "])
    def test_an_empty_reference(self, invoice, reference):
        with pytest.raises(CarepayError,
                           match=r"^Enter the reference you quoted with your payment\.$"):
            submit(invoice, reference=reference, proof=pdf_proof())

    def test_a_date_in_the_future(self, invoice):
        tomorrow = today() + timedelta(days=1)

        with pytest.raises(CarepayError, match=(
                rf"^The date paid \({tomorrow:%d %b %Y}\) is in the future\.$")):
            submit(invoice, paid_on=tomorrow, proof=pdf_proof())

    def test_an_oversized_proof(self, invoice, small_proof_limit):
        with pytest.raises(InvalidProof,
                           match=r"^The proof of payment is 600\.0 KB; the limit is 512\.0 KB\.$"):
            submit(invoice, proof=upload("statement.pdf", too_large()))

    @pytest.mark.parametrize(("name", "content"), [
        ("screenshot.png", b"this is not an image, just text"),
        ("transfer.gif", GIF),
    ])
    def test_a_proof_that_is_not_a_pdf_png_or_jpeg(self, invoice, name, content):
        with pytest.raises(InvalidProof, match=f"^{NOT_A_PROOF}$"):
            submit(invoice, proof=upload(name, content))

    def test_a_method_staff_record_by_hand(self, invoice):
        with pytest.raises(BackendNotAvailable, match=(
                r"^Payment method 'cash' \(Cash\) does not take submitted payments\.$")):
            submit(invoice, backend="cash")


class TestTheServiceRefusesAClosedInvoice:
    @pytest.fixture(autouse=True)
    def no_file_left(self, media):
        yield
        assert media_files(media) == {}

    def test_a_paid_invoice(self, invoice, nothing_changes):
        factories.pay_cash(invoice)

        with nothing_changes(invoice), pytest.raises(
                InvalidState, match=f"Invoice {invoice.number} is paid; payments can only "
                                    "be taken on open or overdue invoices."):
            submit(invoice, proof=pdf_proof())

    def test_a_void_invoice(self, invoice, nothing_changes):
        services.void_invoice(invoice)

        with nothing_changes(invoice), pytest.raises(InvalidState, match="is void"):
            submit(invoice, proof=pdf_proof())


class TestAvailability:
    """The service checks the method serves the invoice's currency and country."""

    @pytest.fixture(autouse=True)
    def pakistan_transfer(self, settings):
        configure_backends(settings, {"transfer_pk": {"BACKEND": TRANSFER, "OPTIONS": {
            "label": "Bank transfer (Pakistan)", "countries": ["PK"],
            "currencies": ["PKR", "GBP"]}}})

    def test_a_currency_the_method_does_not_take(self, patient, nothing_changes, media):
        invoice = factories.make_invoice(customer=patient, currency="EUR")

        with nothing_changes(invoice), pytest.raises(BackendNotAvailable, match=(
                rf"^Payment method 'transfer' \(Bank transfer\) is not available for "
                rf"Invoice {invoice.number} \(EUR\)\.$")):
            submit(invoice, proof=pdf_proof())
        assert media_files(media) == {}

    def test_a_country_the_method_does_not_serve(self, patient, nothing_changes, media):
        invoice = factories.make_invoice(customer=patient, billing={"country": "GB"})

        with nothing_changes(invoice), pytest.raises(BackendNotAvailable, match=(
                r"^Payment method 'transfer_pk' \(Bank transfer \(Pakistan\)\) is not "
                rf"available for Invoice {invoice.number} \(GBP, GB\)\.$")):
            submit(invoice, backend="transfer_pk", proof=pdf_proof())
        assert media_files(media) == {}

    def test_the_payers_country_may_be_given(self, patient):
        invoice = factories.make_invoice(customer=patient, billing={"country": "GB"})

        payment = submit(invoice, backend="transfer_pk", country="PK")

        assert payment.backend == "transfer_pk"

    def test_the_page_of_a_method_not_offered_is_404(self, patient_client, patient,
                                                     nothing_changes):
        gb = factories.make_invoice(customer=patient, billing={"country": "GB"})
        pk = factories.make_invoice(customer=patient, billing={"country": "PK"})

        with nothing_changes(gb):
            response = patient_client.post(pay_url(gb, "transfer_pk"), confirmation(gb))
        assert response.status_code == 404
        assert patient_client.get(pay_url(pk, "transfer_pk")).status_code == 200


class TestAHostReceiverThatRaises:
    """Nothing is stored, and the upload already written is deleted again."""

    @pytest.fixture
    def uploads_seen(self, receive, media):
        """The host fails in ``payment_submitted``, after noting which files existed
        then (the proof is written before the signal, so there is one to clean up)."""
        seen: list[dict[str, bytes]] = []

        def look_then_fail(**kwargs):
            seen.append(media_files(media))
            host_fails()

        receive(signals.payment_submitted, sender=Appointment, action=look_then_fail)
        return seen

    def test_through_the_service(self, invoice, uploads_seen, nothing_changes, media):
        with nothing_changes(invoice), pytest.raises(HostFailure):
            submit(invoice, proof=pdf_proof())

        assert [list(files.values()) for files in uploads_seen] == [[PDF]]
        assert media_files(media) == {}

    def test_through_the_page(self, patient_client, invoice, uploads_seen, nothing_changes,
                              media, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks() as callbacks, nothing_changes(invoice), \
                pytest.raises(HostFailure):
            patient_client.post(pay_url(invoice), confirmation(invoice, proof=pdf_proof()))

        assert [list(files.values()) for files in uploads_seen] == [[PDF]]
        assert media_files(media) == {}
        assert callbacks == []  # so staff are not e-mailed either
