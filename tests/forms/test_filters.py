"""The console's filter forms: what a period means when only part of it is given."""

from __future__ import annotations

from datetime import date

import pytest

from django_carepay.forms.filters import DashboardPeriodForm, DateRangeForm, PaymentFilterForm
from django_carepay.reports import Period

TODAY = date(2026, 11, 20)
DEFAULT = Period(date(2026, 11, 1), TODAY)


@pytest.mark.parametrize(("query", "period"), [
    ({}, DEFAULT),
    ({"from": "2026-10-03", "to": "2026-10-09"}, Period(date(2026, 10, 3), date(2026, 10, 9))),
    ({"from": "2026-10-03"}, Period(date(2026, 10, 3), TODAY)),
    ({"from": "2026-12-24"}, Period(date(2026, 12, 24), date(2026, 12, 24))),
    ({"to": "2026-10-09"}, Period(date(2026, 10, 1), date(2026, 10, 9))),
    ({"from": "nonsense"}, DEFAULT),
])
def test_the_period_from_partial_dates(query, period):
    assert DashboardPeriodForm(query, today=TODAY, default=DEFAULT).period == period


def test_a_dashboard_period_is_at_most_two_years():
    form = DashboardPeriodForm({"from": "2020-01-01", "to": "2026-01-01"}, today=TODAY,
                               default=DEFAULT)
    assert not form.is_valid() and "at most 732 days" in str(form.errors["to"])
    assert form.period == DEFAULT
    assert DateRangeForm({"from": "2020-01-01", "to": "2026-01-01"}).is_valid()  # exports


def test_an_invalid_field_points_at_its_errors():
    form = DashboardPeriodForm({"from": "2026-13-01"}, today=TODAY, default=DEFAULT)
    assert not form.is_valid()
    assert 'aria-describedby="id_from-errors"' in str(form["from"])
    assert 'aria-invalid="true"' in str(form["from"])


def test_date_bounds_are_the_site_days(settings):
    form = PaymentFilterForm({"from": "2026-07-01", "to": "2026-07-01"})
    first, after = form.date_bounds()
    assert (first.isoformat(), after.isoformat()) == (
        "2026-07-01T00:00:00+01:00", "2026-07-02T00:00:00+01:00")  # London summer time
    assert form.range_slug() == "2026-07-01_2026-07-01"
