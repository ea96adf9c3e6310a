"""Not a peer: the floor of an acknowledging receiver. ``floor`` (verify the
signature, parse the JSON) plus the one thing a receiver that acknowledges a delivery
must have done first: stored the event durably. One autocommitted ``INSERT … ON
CONFLICT DO NOTHING`` of its id, type and body into a table with only its keys, so
the answer waits for one write-ahead-log flush and nothing else.

Its events/s is the most any receiver that stores each event before answering 200
(carepay's task mode, which must also queue the event's task) can reach in this
harness and on this machine's disk. Nothing is credited.
"""

from __future__ import annotations

import peer_floor

APPS: list[str] = []
SETTINGS: dict[str, object] = {}


def receive(request):  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.http import HttpResponse, HttpResponseBadRequest

    delivery = peer_floor.verified(request)
    if delivery is None:
        return HttpResponseBadRequest("refused")
    body, event = delivery
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO floor_event (event_id, type, body) VALUES (%s, %s, %s) "
            "ON CONFLICT (event_id) DO NOTHING", [event["id"], event["type"], body])
    return HttpResponse("ok", content_type="text/plain")


def __getattr__(name: str) -> object:  # urlpatterns, read once Django is set up
    if name == "urlpatterns":
        return peer_floor.urls(receive)
    raise AttributeError(name)


def prepare(n: int) -> list[tuple[str, str, dict[str, str]]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE floor_event (id bigserial PRIMARY KEY, event_id text NOT NULL "
            "UNIQUE, type text NOT NULL, body text NOT NULL, received_at timestamptz "
            "NOT NULL DEFAULT now())")
    return peer_floor.prepare(n)  # the same events as the floor's


def credited() -> int:
    return 0


def double_credits() -> int:
    return 0
