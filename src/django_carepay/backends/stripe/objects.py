"""Reading Stripe objects (from the SDK or a webhook body): plain dicts, ids, strings.

Pure: a field of the wrong type is :class:`InvalidProviderData`, never guessed at.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...exceptions import InvalidProviderData


def plain(obj: Any) -> dict[str, Any]:
    """A Stripe object (from the SDK or a webhook body) as a plain dict."""
    if obj is None:
        return {}
    if hasattr(type(obj), "to_dict"):
        return dict(obj.to_dict())
    return dict(obj)


def object_id(value: Any, field: str = "id") -> str:
    """An id from a field Stripe returns either as an id or as an expanded object."""
    if not value:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) or hasattr(type(value), "to_dict"):
        return text(plain(value), "id", f"{field}.id")
    raise InvalidProviderData(f"{field} must be an id or an object, got {value!r:.60}.")


def text(obj: Mapping[str, Any], key: str, field: str = "") -> str:
    """``obj[key]``, which Stripe sends as a string or null ("" when absent)."""
    value = obj.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidProviderData(f"{field or key} must be a string, got {value!r:.60}.")
    return value


def mapping(obj: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """``obj[key]``, which Stripe sends as an object or null ({} when absent)."""
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidProviderData(f"{key} must be an object, got {value!r:.60}.")
    return value
