"""Gapless invoice numbering: one counter row per (prefix, year)."""

from __future__ import annotations

from django.db import IntegrityError, models, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _


class InvoiceSequence(models.Model):
    """The last number handed out for one series (``prefix``) in one ``year``.

    :meth:`next_value` increments the row with an ``UPDATE … SET last_value =
    last_value + 1`` *before* reading it: the UPDATE takes the row lock on PostgreSQL
    and MariaDB and the write lock on SQLite, so two transactions can never read the
    same value, and a rolled-back issue gives its number back (no gaps).
    """

    prefix = models.CharField(_("prefix"), max_length=32)
    year = models.PositiveSmallIntegerField(_("year"))
    last_value = models.PositiveIntegerField(_("last value"), default=0)

    class Meta:
        verbose_name = _("invoice sequence")
        verbose_name_plural = _("invoice sequences")
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="carepay_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix} {self.year}: {self.last_value}"

    @classmethod
    def next_value(cls, prefix: str, year: int) -> int:
        """Take the next number of the series; call inside the issuing transaction."""
        series = cls.objects.filter(prefix=prefix, year=year)
        if not series.update(last_value=F("last_value") + 1):
            try:
                # First invoice of the year: create the row (savepoint, in case a
                # concurrent transaction created it first), then increment it.
                with transaction.atomic():
                    cls.objects.create(prefix=prefix, year=year, last_value=0)
            except IntegrityError:
                pass
            series.update(last_value=F("last_value") + 1)
        return series.values_list("last_value", flat=True).get()
