"""The test launcher itself: loopback only, its CLI, and the stand-in's confirm endpoint."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.backends.stripe.support import (
    CARD_OK,
    LAUNCHER,
    PUBLISHABLE_KEY,
    stop_localstripe,
)


def listening_addresses(port):
    """The local addresses (hex, as in /proc/net/tcp*) with a socket listening on ``port``."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if fields[3] == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.append(address)
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux's /proc/net")
def test_listens_on_the_loopback_interface_only(localstripe_url):
    port = int(localstripe_url.rsplit(":", 1)[1])

    assert listening_addresses(port) == ["0100007F"]  # 127.0.0.1, and no IPv6 socket


def test_the_cli_takes_a_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, str(LAUNCHER), str(port)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == str(port)
        response = requests.delete(f"http://127.0.0.1:{port}/_config/data", timeout=5)
        assert response.status_code == 200
    finally:
        stop_localstripe(proc)


class TestStandinConfirm:
    """What the stand-in Stripe.js calls from the browser."""

    def confirm(self, localstripe, intent, **changes):
        body = {"key": PUBLISHABLE_KEY, "client_secret": intent.client_secret,
                "card": {"number": CARD_OK, "exp_month": "12", "exp_year": "30",
                         "cvc": "123"}, **changes}
        return requests.post(
            f"{localstripe.url}/_config/standin/payment_intents/{intent.id}/confirm",
            data=json.dumps(body), timeout=5)

    def test_pays_with_the_publishable_key_and_the_client_secret(self, localstripe):
        intent = localstripe.client.v1.payment_intents.create({"amount": 500,
                                                               "currency": "gbp"})

        response = self.confirm(localstripe, intent)

        assert (response.status_code, response.json()["status"]) == (200, "succeeded")

    @pytest.mark.parametrize("change", [{"client_secret": "pi_x_secret_wrong"},
                                        {"key": "sk_test_not_for_browsers"}])
    def test_refuses_a_wrong_secret_or_key(self, localstripe, change):
        intent = localstripe.client.v1.payment_intents.create({"amount": 500,
                                                               "currency": "gbp"})

        assert self.confirm(localstripe, intent, **change).status_code == 401
        assert localstripe.get(f"payment_intents/{intent.id}")["status"] \
            == "requires_payment_method"

    def test_never_charges_a_finished_intent_again(self, localstripe):
        paid = localstripe.client.v1.payment_intents.create({"amount": 500, "currency": "gbp"})
        self.confirm(localstripe, paid)
        cancelled = localstripe.client.v1.payment_intents.create({"amount": 500,
                                                                  "currency": "gbp"})
        localstripe.client.v1.payment_intents.cancel(cancelled.id)

        assert self.confirm(localstripe, paid).status_code == 400
        assert self.confirm(localstripe, cancelled).status_code == 400
        charge = localstripe.get(f"payment_intents/{paid.id}")["latest_charge"]
        assert localstripe.get("charges?limit=100")["data"] == [charge]
