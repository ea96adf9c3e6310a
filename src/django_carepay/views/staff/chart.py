"""The dashboard's "received per day" bar chart, drawn on the server as SVG.

:func:`daily_chart` turns a :class:`~django_carepay.reports.types.DailyReceived`
series into geometry (bars, axis ticks, labels) that
``carepay/staff/_daily_chart.html`` writes out as an ``<svg role="img">`` with a
title and a description; the page also carries the same figures as a table, the
chart's text alternative. No JavaScript, no library.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ...money import display_money
from ...reports.types import DailyReceived

WIDTH, HEIGHT = 760, 240
LEFT, RIGHT, TOP, BOTTOM = 84, 12, 14, 34
#: At most this many day labels under the bars.
MAX_X_LABELS = 8
MAX_BAR_WIDTH = 36


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: date
    amount: Decimal
    count: int
    label: str  # "3 Nov 2026: £240.00 (3 payments)"


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    currency: str
    title: str
    description: str
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    bars: list[Bar]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    empty: bool

    @property
    def center_x(self) -> float:
        return (self.plot_left + self.plot_right) / 2

    @property
    def center_y(self) -> float:
        return (self.plot_top + self.plot_bottom) / 2


def nice_step(maximum: Decimal, ticks: int = 4) -> Decimal:
    """A round step (1, 2, 2.5 or 5 times a power of ten) so that ``ticks`` steps
    reach at least ``maximum``."""
    if maximum <= 0:
        return Decimal(1)
    raw = maximum / ticks
    power = Decimal(10) ** (raw.adjusted())
    for factor in (1, 2, Decimal("2.5"), 5, 10):
        step = power * factor
        if step >= raw:
            return step
    return power * 10  # pragma: no cover - the loop always returns


def _day(day: date) -> str:
    return formats.date_format(day, _("j M"))


def daily_chart(series: DailyReceived) -> Chart:
    """The bar chart of ``series``: one bar a day, a y axis in round amounts."""
    currency = series.currency
    days = series.days
    peak = max((amount for _d, amount, _n in days), default=Decimal(0))
    step = nice_step(peak)
    # The fewest round steps that reach the peak (Decimal's // truncates, so no -(-a // b)).
    steps = max(1, int((peak / step).to_integral_value(rounding=ROUND_CEILING)))
    top = step * steps
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(days), 1)
    bar_w = min(max(slot * 0.7, 1.0), MAX_BAR_WIDTH)
    bars = []
    for n, (day, amount, count) in enumerate(days):
        if amount <= 0:  # nothing to draw, nothing to say: quiet days cost nothing
            continue
        height = float(amount / top) * plot_h
        bars.append(Bar(
            x=round(LEFT + n * slot + (slot - bar_w) / 2, 2), y=round(TOP + plot_h - height, 2),
            width=round(bar_w, 2), height=round(height, 2), day=day, amount=amount, count=count,
            label=ngettext("%(day)s: %(amount)s (%(count)s payment)",
                           "%(day)s: %(amount)s (%(count)s payments)", count) % {
                "day": formats.date_format(day, _("j M Y")),
                "amount": display_money(amount, currency), "count": count},
        ))
    y_ticks = [Tick(round(TOP + plot_h - plot_h * n / steps, 2),
                    display_money(step * n, currency)) for n in range(steps + 1)]
    every = max(1, -(-len(days) // MAX_X_LABELS))  # ceiling division
    x_ticks = [Tick(round(LEFT + n * slot + slot / 2, 2), _day(day))
               for n, (day, _a, _c) in enumerate(days) if n % every == 0]
    best = max(days, key=lambda d: d[1]) if peak > 0 else None
    title = _("Money received per day in %(currency)s") % {"currency": currency}
    if best is None:
        description = _("No money was received in %(currency)s in this period.") % {
            "currency": currency}
    else:
        description = _("%(total)s received from %(first)s to %(last)s; the busiest day was "
                        "%(day)s with %(amount)s.") % {
            "total": display_money(series.total, currency),
            "first": formats.date_format(days[0][0], _("j M Y")),
            "last": formats.date_format(days[-1][0], _("j M Y")),
            "day": formats.date_format(best[0], _("j M Y")),
            "amount": display_money(best[1], currency)}
    return Chart(currency=currency, title=title, description=description, width=WIDTH,
                 height=HEIGHT, plot_left=LEFT, plot_right=WIDTH - RIGHT, plot_top=TOP,
                 plot_bottom=TOP + plot_h, bars=bars, y_ticks=y_ticks, x_ticks=x_ticks,
                 empty=peak <= 0)
