"""django-fsm's optimistic guard, with each model's state fields listed once."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from django_fsm import ConcurrentTransitionMixin, FSMFieldMixin


class ConcurrentStates(ConcurrentTransitionMixin):
    """:class:`~django_fsm.ConcurrentTransitionMixin` (an UPDATE only matches the row
    still in the states it was read in), unchanged but for :attr:`state_fields`: the
    mixin filters every field of the model for its state fields at each instantiation
    and each save; a model's fields never change, so they are found once per class."""

    @property
    def state_fields(self) -> Iterable[FSMFieldMixin]:
        return _state_fields(type(self))


@functools.cache
def _state_fields(model: Any) -> tuple[FSMFieldMixin, ...]:
    return tuple(f for f in model._meta.fields if isinstance(f, FSMFieldMixin))
