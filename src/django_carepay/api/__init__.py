"""carepay's JSON API (design §15), the ``[api]`` extra: Django REST framework views thin
over :mod:`django_carepay.services`, documented by an OpenAPI 3 schema (drf-spectacular).

Nothing here is imported unless the host includes ``django_carepay.api.urls``, so
carepay works without Django REST framework installed.

- :mod:`.urls`: the endpoints, namespace ``carepay-api``;
- :mod:`.views`: one view per endpoint; :mod:`.base`: what they share;
- :mod:`.inputs` and :mod:`.serializers`: what they accept and answer;
- :mod:`.fields`: amounts as strings (never floats), country codes;
- :mod:`.access`: who may see and do what (the pages' rules);
- :mod:`.errors`: every refusal as ``{"code", "message", "field"}``;
- :mod:`.idempotency`: ``Idempotency-Key``, the first response replayed;
- :mod:`.schema` and :mod:`.examples`: the OpenAPI document.
"""
