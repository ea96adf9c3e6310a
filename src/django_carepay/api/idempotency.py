"""``Idempotency-Key`` on the JSON API's POSTs: the first response, replayed.

A POST carrying the header runs once per client and key: the record is inserted
(unique on ``(scope, key)``) *before* the request runs, in the same transaction as its
effects and its stored response. A second request with the same key waits on that
unique index until the first commits, then replays the stored status and body
(header ``Idempotent-Replayed: true``) and changes nothing; if the first rolled back
(a server error), the second runs as if it were the first. The same key with another
request (method, path or body) is refused with 422 ``idempotency_key_reused``.

Not stored, so a retry with the same key runs again: server errors, and refusals that
say "try again" (``invoice_busy``, ``provider_unavailable``). Keys live 24 hours
(:data:`~django_carepay.models.idempotency.IDEMPOTENCY_KEY_LIFETIME`); an expired one
is replaced, and ``carepay_prune_idempotency_keys`` deletes them.

The scope is the user (``user:<pk>``), or for a payer without an account who opened
a payment link, the session (``session:<key>``). A request with neither cannot be
told apart from anyone else's and runs without idempotency (it can see no invoice).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import QueryDict
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from ..models import IdempotencyRecord
from .errors import RETRYABLE_CODES, error_response

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255


def scope_of(request: Request) -> str | None:
    """Whose key it is: the user, else the session of a payment link; None if neither."""
    user = request.user
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    session = getattr(request._request, "session", None)
    key = getattr(session, "session_key", None)
    return f"session:{key}" if key else None


def _canonical(value: Any) -> Any:
    """``value`` (parsed JSON or a form with files) in one JSON-able form: the same
    request gives the same form whatever its key order or multipart boundary."""
    if isinstance(value, QueryDict):
        return {str(k): [_canonical(v) for v in value.getlist(k)] for k in sorted(value)}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda i: str(i[0]))}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": digest.hexdigest(), "size": value.size}
    return value


def fingerprint(request: Request) -> str:
    """SHA-256 of the method, the path with its query string, and the parsed body."""
    body = json.dumps(_canonical(request.data), sort_keys=True, default=str,
                      ensure_ascii=True)
    text = f"{request.method}\n{request._request.get_full_path()}\n{body}"
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _valid_key(key: str) -> str:
    if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise exceptions.ValidationError({HEADER: [exceptions.ErrorDetail(
            f"Send a key of 1 to {MAX_KEY_LENGTH} printable ASCII characters, e.g. a UUID.",
            code="invalid")]})
    return key


def _replay(record: IdempotencyRecord) -> Response:
    return Response(record.response_body, status=record.status_code,
                    headers={REPLAYED_HEADER: "true"})


def _claim(scope: str, key: str, digest: str) -> IdempotencyRecord | Response:
    """Insert the record for ``(scope, key)``, or answer from the one already there."""
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(scope=scope, key=key,
                                                        fingerprint=digest)
        except IntegrityError:
            # Another request holds or held this key; the insert waited for it to end.
            existing = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
        if existing is None:
            continue  # expired and deleted meanwhile: claim it again
        if existing.is_expired:
            IdempotencyRecord.objects.filter(pk=existing.pk).delete()
            continue
        if existing.fingerprint != digest:
            return error_response(
                "idempotency_key_reused",
                "This Idempotency-Key was already used for a different request in the "
                "last 24 hours; send a new key for a new request.",
                field=HEADER, status_code=status.HTTP_422_UNPROCESSABLE_ENTITY)
        if existing.status_code is None:  # not reachable: stored in the same transaction
            break
        return _replay(existing)
    return error_response("idempotency_key_in_use",
                          "A request with this Idempotency-Key is still running; retry.",
                          field=HEADER, status_code=status.HTTP_409_CONFLICT)


def _stored_body(response: Response) -> Any:
    return json.loads(JSONRenderer().render(response.data) or b"null")


def idempotent(request: Request, respond: Callable[[], Response]) -> Response:
    """``respond()`` once per client and ``Idempotency-Key`` (without the header: just
    ``respond()``). ``respond`` turns refusals into responses itself; an exception it
    raises rolls the record back with everything else."""
    raw = request.headers.get(HEADER)
    scope = scope_of(request)
    if raw is None or scope is None:
        return respond()
    key = _valid_key(raw)
    digest = fingerprint(request)
    with transaction.atomic():
        claimed = _claim(scope, key, digest)
        if isinstance(claimed, Response):
            return claimed
        response = respond()
        code = response.data.get("code") if isinstance(response.data, dict) else None
        if response.status_code >= 500 or code in RETRYABLE_CODES:
            transaction.set_rollback(True)  # nothing to replay: the retry runs again
            return response
        # Under ATOMIC_REQUESTS, DRF marks the transaction for rollback on any error
        # response; services roll their own changes back (savepoints) when they refuse,
        # so what is left to commit here is the record of that refusal.
        transaction.set_rollback(False)
        claimed.status_code = response.status_code
        claimed.response_body = _stored_body(response)
        claimed.save(update_fields=["status_code", "response_body"])
    return response
