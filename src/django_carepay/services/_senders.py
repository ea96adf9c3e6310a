"""Who hears a signal about an invoice: one send per distinct sender, with its subjects.

An invoice bills for its own ``subject`` (an appointment) or, as a cart, for the
``subject`` of each of its lines (lessons, workshop seats, a course). Every signal is
sent once per distinct model class among them, the invoice's own sender first (its
subject's class, or :class:`~django_carepay.models.Invoice` when it has none, as
before carts), then each line-subject class in the order of the lines, with
``subjects`` = that class's objects. So each host domain reacts to its own items,
inside the same transaction: a receiver that raises rolls back everything.

Cost: nothing when no receiver is connected to the signal, nor for an issued invoice
without line subjects (``Invoice.has_line_subjects``, set at issue when the lines
freeze); otherwise one query for the lines' subjects per invoice instance (cached on
it), and one query per class whose ``subjects`` a receiver actually reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, overload

from django.contrib.contenttypes.models import ContentType
from django.db import models

from ..models import Invoice, InvoiceLine

#: Where the lines' subjects of an invoice instance are cached (see _line_subjects).
_CACHE = "_carepay_line_subjects"


class Subjects(Sequence[models.Model]):
    """The host objects one sender is told about, loaded when first read.

    A read-only sequence (iterate, index, ``len``; equal to a list of the same
    objects); most receivers never read it, so most sends cost no query for it.
    """

    def __init__(self, load: Callable[[], Iterable[models.Model]]) -> None:
        self._load = load
        self._items: list[models.Model] | None = None

    def _all(self) -> list[models.Model]:
        if self._items is None:
            self._items = list(self._load())
        return self._items

    @overload
    def __getitem__(self, index: int) -> models.Model: ...
    @overload
    def __getitem__(self, index: slice) -> list[models.Model]: ...
    def __getitem__(self, index: int | slice) -> models.Model | list[models.Model]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[models.Model]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Subjects):
            other = other._all()
        if isinstance(other, list | tuple):
            return self._all() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable-looking, like a list

    def __repr__(self) -> str:
        return f"Subjects({self._all()!r})"


def _group(rows: Iterable[tuple[int | None, str]]) -> list[tuple[int, list[str]]]:
    grouped: dict[int, list[str]] = {}
    for type_id, object_id in rows:
        if type_id is None:
            continue
        ids = grouped.setdefault(type_id, [])
        if object_id not in ids:
            ids.append(object_id)
    return list(grouped.items())


def remember_lines(invoice: Invoice, lines: Sequence[InvoiceLine]) -> None:
    """``issue_invoice`` freezes ``lines`` (in order): note on the invoice whether any
    has a subject, and cache them for the signals it sends now."""
    invoice.has_line_subjects = any(line.subject_content_type_id for line in lines)
    invoice.__dict__[_CACHE] = _group(
        (line.subject_content_type_id, line.subject_object_id) for line in lines)


def _line_subjects(invoice: Invoice) -> list[tuple[int, list[str]]]:
    """``[(content type id, [object ids…]), …]`` of the invoice's lines with a subject,
    in the order of the lines: none for an issued invoice without line subjects (no
    query), else one query per invoice instance, then cached."""
    cached = invoice.__dict__.get(_CACHE)
    if cached is None:
        if invoice.status != Invoice.Status.DRAFT and not invoice.has_line_subjects:
            return []
        cached = invoice.__dict__[_CACHE] = _group(
            InvoiceLine.objects.filter(invoice_id=invoice.pk)
            .exclude(subject_content_type=None).order_by("position", "pk")
            .values_list("subject_content_type_id", "subject_object_id"))
    return cached


def _objects(model: type[models.Model], ids: Sequence[str]) -> Callable[[], list[models.Model]]:
    def load() -> list[models.Model]:
        found = {str(obj.pk): obj for obj in model._default_manager.filter(pk__in=ids)}
        return [found[i] for i in ids if i in found]
    return load


def senders(invoice: Invoice, *, lines: Sequence[InvoiceLine] | None = None
            ) -> list[tuple[type[models.Model], Subjects]]:
    """``[(sender, subjects), …]``: whom a signal about ``invoice`` is sent to.

    With ``lines`` (a refund of those lines only), only their subjects' classes hear
    it, with their objects; a line without a subject is the invoice's own.
    """
    own = invoice.subject_model
    if lines is not None:
        groups: dict[int, list[str]] = {}
        plain = False
        for line in lines:
            if line.subject_content_type_id is None:
                plain = True
            else:
                groups.setdefault(line.subject_content_type_id, []).append(
                    line.subject_object_id)
        chosen = list(groups.items())
        include_own = plain or not chosen
    else:
        chosen = _line_subjects(invoice)
        include_own = True
    result: dict[type[models.Model], list[Callable[[], Iterable[models.Model | None]]]] = {}
    if include_own:
        # The invoice's own subject through its GenericForeignKey, whose cache a
        # receiver reading invoice.subject shares.
        result[own] = [(lambda: [invoice.subject]) if invoice.subject_content_type_id
                       else list]
    for type_id, ids in chosen:
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:  # the host removed the model; nothing left to tell
            continue
        result.setdefault(model, []).append(_objects(model, ids))

    def combined(loaders: list[Callable[[], Iterable[models.Model | None]]]) -> Subjects:
        def load() -> list[models.Model]:
            seen: list[models.Model] = []
            for loader in loaders:
                for obj in loader():
                    if obj is not None and obj not in seen:
                        seen.append(obj)
            return seen
        return Subjects(load)

    return [(sender, combined(loaders)) for sender, loaders in result.items()]


def send(signal: Any, invoice: Invoice, *, lines: Sequence[InvoiceLine] | None = None,
         **kwargs: Any) -> None:
    """Send ``signal`` about ``invoice`` once per sender (see the module docstring);
    with ``lines``, only to their subjects' classes (a refund of one line)."""
    if not signal.receivers:  # nobody listens: not even the lines are read
        return
    for sender, subjects in senders(invoice, lines=lines):
        signal.send(sender=sender, invoice=invoice, subjects=subjects, **kwargs)
