"""The first response to each ``Idempotency-Key`` a client sent to the JSON API."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: How long a key's first response is kept and replayed.
IDEMPOTENCY_KEY_LIFETIME = timedelta(hours=24)


class IdempotencyRecordQuerySet(models.QuerySet["IdempotencyRecord"]):
    """Selectors for stored responses."""

    def expired(self, now: datetime | None = None) -> IdempotencyRecordQuerySet:
        """Records older than :data:`IDEMPOTENCY_KEY_LIFETIME`: ignored, and safe to
        delete (``carepay_prune_idempotency_keys``)."""
        return self.filter(created_at__lt=(now or timezone.now()) - IDEMPOTENCY_KEY_LIFETIME)


class IdempotencyRecord(models.Model):
    """A POST made with an ``Idempotency-Key`` header, and the response it got.

    ``(scope, key)`` is unique: ``scope`` is the client the key belongs to
    (``user:<pk>``, or ``session:<key>`` for a payer who opened a payment link without
    an account), so two clients may use the same key. The row is inserted before the
    request runs, in the request's transaction; a second request with the same key
    waits on the unique index until the first commits, then replays its response.
    ``fingerprint`` is the SHA-256 of the method, path and body: the same key with
    another request is refused, never replayed.
    """

    scope = models.CharField(_("scope"), max_length=80)
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    response_body = models.JSONField(_("response body"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    objects = IdempotencyRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"],
                                    name="carepay_idempotency_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"

    @property
    def is_expired(self) -> bool:
        return self.created_at < timezone.now() - IDEMPOTENCY_KEY_LIFETIME
