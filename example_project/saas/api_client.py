"""A small client of carepay's JSON API (standard library only), and the SaaS seed's
integration flow run against the demo.

    make demo                                  # in one terminal: http://127.0.0.1:8000
    python example_project/saas/api_client.py  # in another
    python example_project/saas/api_client.py --base-url http://127.0.0.1:8766

The flow: a customer in Pakistan signs up for a paid plan (Riverside Cloud's own API),
lists the payment methods for PK, confirms a bank transfer; finance approves it; the
account is then active with its plan's credits. It signs in with HTTP Basic, which the
example project enables for this client only (``REST_FRAMEWORK`` in its settings): a
demo convenience, not how a real app should authenticate.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import uuid
from datetime import date
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import Request, urlopen


class ApiError(Exception):
    """A refusal: ``{"code", "message", "field"}`` with its HTTP status."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {body.get('code')}: {body.get('message')}")
        self.status = status
        self.code = body.get("code")
        self.field = body.get("field")


class CarepayClient:
    """carepay's API (``/api/billing/``) for one user; amounts stay strings."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url.rstrip("/")
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "Accept": "application/json"}

    def request(self, method: str, path: str, body: dict[str, Any] | None = None,
                query: dict[str, str] | None = None) -> Any:
        url = f"{self.base_url}{path}" + (f"?{urlencode(query)}" if query else "")
        headers = dict(self.headers)
        data = None
        if method == "POST":
            # A retry after a lost answer replays the first response, never pays twice.
            headers["Idempotency-Key"] = str(uuid.uuid4())
            headers["Content-Type"] = "application/json"
            data = json.dumps(body or {}).encode()
        try:
            with urlopen(Request(url, data=data, headers=headers, method=method),
                         timeout=30) as response:
                return json.load(response)
        except HTTPError as exc:
            raise ApiError(exc.code, json.load(exc)) from None

    # -- carepay's endpoints -----------------------------------------------------------
    def methods(self, invoice: str, country: str) -> list[dict[str, Any]]:
        return self.request("GET", "/api/billing/methods/",
                            query={"invoice": invoice, "country": country})

    def invoice(self, invoice: str) -> dict[str, Any]:
        return self.request("GET", f"/api/billing/invoices/{invoice}/")

    def confirm_transfer(self, invoice: str, *, method: str, amount: str, reference: str,
                         paid_on: date, notes: str = "") -> dict[str, Any]:
        return self.request("POST", f"/api/billing/invoices/{invoice}/transfers/", {
            "method": method, "amount": amount, "reference": reference,
            "paid_on": paid_on.isoformat(), "notes": notes})

    def approvals(self) -> list[dict[str, Any]]:
        return self.request("GET", "/api/billing/approvals/")["results"]

    def approve(self, payment: str, *, notes: str = "", amount: str | None = None
                ) -> dict[str, Any]:
        body = {"notes": notes, **({"amount": amount} if amount else {})}
        return self.request("POST", f"/api/billing/payments/{payment}/approve/", body)

    def reject(self, payment: str, *, notes: str) -> dict[str, Any]:
        return self.request("POST", f"/api/billing/payments/{payment}/reject/",
                            {"notes": notes})

    # -- Riverside Cloud's own endpoints (saas/api.py) -----------------------------------
    def sign_up(self, *, name: str, plan: str, country: str) -> dict[str, Any]:
        return self.request("POST", "/saas/api/accounts/",
                            {"name": name, "plan": plan, "country": country})

    def accounts(self) -> list[dict[str, Any]]:
        return self.request("GET", "/saas/api/accounts/")


def run_seed_flow(base_url: str, *, customer: str, approver: str, password: str) -> int:
    payer = CarepayClient(base_url, customer, password)
    finance = CarepayClient(base_url, approver, password)

    account = payer.sign_up(name=f"Indus Looms {uuid.uuid4().hex[:6]}", plan="growth",
                            country="PK")
    invoice = payer.invoice(account["invoice"])
    print(f"1. {customer} signed up {account['name']!r} ({account['status']}); invoice "
          f"{invoice['number']}: {invoice['amount_due']} {invoice['currency']} due")

    methods = payer.methods(invoice["id"], "PK")
    print("2. Methods for PK: " + ", ".join(f"{m['method']} ({m['kind']})" for m in methods))
    transfer = next(m for m in methods if m["requires_approval"])

    payment = payer.confirm_transfer(
        invoice["id"], method=transfer["method"], amount=invoice["amount_due"],
        reference=transfer["reference"], paid_on=date.today(), notes="Paid by IBFT")
    print(f"3. Confirmed {payment['amount']} {payment['currency']} by {payment['method']}, "
          f"reference {payment['reference']}: {payment['status']}")

    waiting = [p["id"] for p in finance.approvals()]
    assert payment["id"] in waiting, "the transfer is not in the approvals queue"
    approved = finance.approve(payment["id"], notes="Arrived in the PK account")
    print(f"4. {approver} approved it: {approved['status']}, received "
          f"{approved['amount_received']} {approved['currency']}")

    final = next(a for a in payer.accounts() if a["id"] == account["id"])
    print(f"5. {final['name']}: {final['status']}, {final['credits']:,} credits")
    return 0 if final["status"] == "active" and final["credits"] > 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--customer", default="customer2", help="a seeded customer (PK)")
    parser.add_argument("--approver", default="finance", help="staff who approve transfers")
    parser.add_argument("--password", default="password123", help="the demo's password")
    args = parser.parse_args()
    try:
        return run_seed_flow(args.base_url, customer=args.customer, approver=args.approver,
                             password=args.password)
    except ApiError as exc:
        print(f"Refused: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
