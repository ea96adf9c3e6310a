"""``carepay_replay_webhooks`` and the admin's "Reprocess": stored deliveries applied
again through the services. A processed delivery changes nothing; a failed one that
now succeeds is applied once."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from django_carepay import services, signals
from django_carepay.models import AuditEntry, Invoice, Transaction, WebhookEvent
from tests import factories
from tests.backends.stripe.support import ALIAS, deliver, ledger, make_event
from tests.testapp.models import Appointment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("card_backend")]


class Outage:
    """A host receiver that raises while ``down`` (its database, say, was away)."""

    def __init__(self) -> None:
        self.down = True

    def __call__(self, **kwargs):
        if self.down:
            raise RuntimeError("the host's booking database is away")


@pytest.fixture
def succeeded(localstripe, invoice):
    payment = services.start_payment(invoice, backend=ALIAS)
    localstripe.pay(payment.provider_reference)
    intent = localstripe.get(f"payment_intents/{payment.provider_reference}")
    return payment, make_event("payment_intent.succeeded", intent)


def replay(*args: str) -> str:
    out = StringIO()
    call_command("carepay_replay_webhooks", *args, stdout=out)
    return out.getvalue()


def test_replaying_a_processed_delivery_changes_nothing(client, succeeded, invoice):
    _payment, event = succeeded
    assert deliver(client, event).content == b"processed"
    before = factories.database_state()

    by_event = replay("--event", event["id"])
    since = replay("--since", "2000-01-01")
    failed = replay("--failed")

    assert factories.database_state() == before
    assert f"unchanged {ALIAS} payment_intent.succeeded {event['id']}" in by_event
    assert "unchanged" in since
    assert "0 delivery(ies) replayed" in failed
    assert ledger(invoice) == [("charge", Decimal("80.00"), succeeded[0].provider_reference)]


def test_a_failed_delivery_that_now_succeeds_is_applied_once(server_client, succeeded,
                                                             invoice, receive):
    payment, event = succeeded
    outage = Outage()
    paid = receive(signals.invoice_paid, sender=Appointment, action=outage)
    assert deliver(server_client, event).status_code == 500
    stored = WebhookEvent.objects.get(event_id=event["id"])
    assert stored.status == WebhookEvent.Status.FAILED
    assert "booking database is away" in stored.error

    outage.down = False
    first = replay("--failed")
    again = replay("--failed")
    by_event = replay("--event", event["id"])

    assert f"processed {ALIAS} payment_intent.succeeded {event['id']}" in first
    assert "0 delivery(ies) replayed" in again
    assert "unchanged" in by_event
    assert ledger(invoice) == [("charge", Decimal("80.00"), payment.provider_reference)]
    assert Transaction.objects.count() == 1
    assert factories.reload(invoice).status == Invoice.Status.PAID
    assert WebhookEvent.objects.get(event_id=event["id"]).status == "processed"
    assert paid.count == 2  # the failed attempt (rolled back) and the replay
    replayed = AuditEntry.objects.get(action=AuditEntry.Action.WEBHOOK_REPLAYED)
    assert (replayed.actor, replayed.detail["status"]) == ("system", "processed")


def test_a_delivery_that_still_fails_exits_1_and_stays_failed(server_client, succeeded,
                                                              invoice, receive):
    _payment, event = succeeded
    receive(signals.invoice_paid, sender=Appointment, action=Outage())
    deliver(server_client, event)

    with pytest.raises(CommandError) as raised:
        replay("--failed")

    assert raised.value.returncode == 1
    assert ledger(invoice) == []
    assert WebhookEvent.objects.get(event_id=event["id"]).status == "failed"


def test_a_received_delivery_whose_task_was_lost_is_replayed_once_stale(succeeded,
                                                                         invoice):
    _payment, event = succeeded
    _stored, _ = services.store_webhook(ALIAS, event_id=event["id"],
                                       event_type=event["type"], payload=event)

    fresh = replay("--failed")  # received a moment ago: its task may still run
    stale = replay("--failed", "--stale-minutes", "0")

    assert "0 delivery(ies) replayed" in fresh
    assert "processed" in stale
    assert len(ledger(invoice)) == 1


def test_dry_run_and_unknown_event(succeeded):
    _payment, event = succeeded
    services.store_webhook(ALIAS, event_id=event["id"], event_type=event["type"],
                           payload=event)

    listed = replay("--since", "2000-01-01T00:00", "--dry-run")

    assert f"would apply {ALIAS} payment_intent.succeeded {event['id']}" in listed
    assert WebhookEvent.objects.get().status == "received"
    with pytest.raises(CommandError, match="No stored webhook delivery"):
        replay("--event", "evt_nothing")
    with pytest.raises(CommandError, match="not a YYYY-MM-DD"):
        replay("--since", "yesterday")


def test_the_admin_action_reprocesses_and_leaves_processed_ones_alone(
        admin_client, server_client, succeeded, invoice, receive, localstripe):
    _payment, event = succeeded
    outage = Outage()
    receive(signals.invoice_paid, sender=Appointment, action=outage)
    deliver(server_client, event)
    other = factories.make_invoice()
    other_payment = services.start_payment(other, backend=ALIAS)
    localstripe.pay(other_payment.provider_reference)
    outage.down = False
    processed = make_event("payment_intent.succeeded", localstripe.get(
        f"payment_intents/{other_payment.provider_reference}"))
    deliver(server_client, processed)

    response = admin_client.post("/admin/carepay/webhookevent/", {
        "action": "reprocess", "_selected_action": list(
            WebhookEvent.objects.values_list("pk", flat=True))}, follow=True)

    assert response.status_code == 200
    assert "1 delivery(ies) applied; 1 already processed, unchanged." in response.text
    assert Transaction.objects.filter(invoice=invoice).count() == 1
    assert Transaction.objects.filter(invoice=other).count() == 1
    entry = AuditEntry.objects.get(action=AuditEntry.Action.WEBHOOK_REPLAYED)
    assert entry.actor == "admin"


def test_reprocess_needs_the_change_permission(client, django_user_model, succeeded):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_webhookevent"))
    client.force_login(viewer)
    page = client.get("/admin/carepay/webhookevent/")
    assert page.status_code == 200
    assert "reprocess" not in page.text

    viewer.user_permissions.add(Permission.objects.get(codename="change_webhookevent"))
    viewer = django_user_model.objects.get(pk=viewer.pk)
    client.force_login(viewer)
    services.store_webhook(ALIAS, event_id="evt_x", event_type="ping", payload={
        "id": "evt_x", "type": "ping", "data": {"object": {}}})
    assert "reprocess" in client.get("/admin/carepay/webhookevent/").text
