"""The one-statement UPDATE keeps the state guard for a proxy model's instance too, as
``save()`` does (django-fsm's
``ConcurrentTransitionMixin`` filters on the concrete model's state fields)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models

from django_carepay.models import Payment
from django_carepay.services import _batch


@pytest.fixture
def payment_proxy():
    class ReviewPaymentProxy(Payment):
        class Meta:
            proxy = True
            app_label = "testapp"

    yield ReviewPaymentProxy
    apps.all_models["testapp"].pop("reviewpaymentproxy", None)
    apps.clear_cache()


@pytest.mark.django_db
def test_a_proxy_instance_is_guarded_by_the_state_it_was_read_in(payment_proxy):
    obj: models.Model = payment_proxy(pk=1, status=Payment.Status.PENDING)
    obj._update_initial_state()
    query_sql, params = _batch._update_sql(obj, ["status"])
    where = query_sql.split(" WHERE ", 1)[1]
    assert '"status"' in where, query_sql
    assert params == [Payment.Status.PENDING, 1, Payment.Status.PENDING]
