"""Bug 7 and the payer's error page: provider calls made under the invoice lock are
bounded, and an unreachable Stripe is told to the payer in plain words."""

from __future__ import annotations

import logging
import socket
import threading

import pytest
from django.urls import reverse

from django_carepay import services
from django_carepay.backends import get_backend
from django_carepay.exceptions import ProviderError
from django_carepay.models import Payment
from tests.backends.stripe.support import ALIAS, carepay_with_card

pytestmark = pytest.mark.django_db

UNREACHABLE = "We could not reach the card processor; try again in a minute."


class SilentServer:
    """A loopback server that accepts a connection and never answers; it hangs up
    itself after ``give_up`` seconds, and records who closed the connection first."""

    def __init__(self, give_up: float = 15.0) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.give_up = give_up
        self.client_hung_up = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(self.give_up)
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        conn.settimeout(self.give_up)
        with conn:
            try:
                while conn.recv(65536):  # read the request, answer nothing
                    pass
                self.client_hung_up.set()  # b"": the client closed first
            except OSError:
                pass  # our own deadline: we hang up

    def close(self) -> None:
        self.sock.close()
        self.thread.join(timeout=self.give_up + 5)


@pytest.fixture
def silent_server():
    server = SilentServer()
    yield server
    server.close()


def test_the_client_has_bounded_connect_and_read_timeouts(settings, localstripe):
    settings.CAREPAY = carepay_with_card(localstripe.url)
    default = get_backend(ALIAS).client._requestor._client._timeout
    settings.CAREPAY = carepay_with_card(localstripe.url, connect_timeout=2, timeout=7)
    configured = get_backend(ALIAS).client._requestor._client._timeout

    assert default == (3, 10)
    assert configured == (2, 7)


def test_a_provider_that_never_answers_is_given_up_on(settings, invoice, silent_server,
                                                      caplog):
    settings.CAREPAY = carepay_with_card(silent_server.url, timeout=0.5)

    with pytest.raises(ProviderError) as raised:
        services.start_payment(invoice, backend=ALIAS)

    assert silent_server.client_hung_up.wait(timeout=5)  # we hung up, not the server
    assert str(raised.value) == UNREACHABLE
    assert not Payment.objects.filter(invoice=invoice).exists()


def test_an_unreachable_stripe_shows_a_plain_message_and_logs_the_detail(
        client, patient, invoice, settings, caplog):
    settings.CAREPAY = carepay_with_card("http://127.0.0.1:9")  # discard port: refused
    client.force_login(patient)

    with caplog.at_level(logging.WARNING, logger="django_carepay.stripe"):
        response = client.get(reverse("carepay:pay", args=[invoice.public_id, ALIAS]))

    html = response.content.decode()
    assert response.status_code == 409
    assert UNREACHABLE in html
    assert "127.0.0.1" not in html and "Network error" not in html  # no raw SDK text
    assert "127.0.0.1" in caplog.text  # the detail is for the logs
    assert not Payment.objects.filter(invoice=invoice).exists()
