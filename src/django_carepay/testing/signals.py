"""Record carepay's signals, to assert what a host's code made carepay announce."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.dispatch import Signal

from .. import signals as carepay_signals


def _all_signals() -> dict[str, Signal]:
    return {name: getattr(carepay_signals, name) for name in carepay_signals.__all__}


@dataclass(frozen=True)
class SignalCall:
    """One signal sent: its name in :mod:`django_carepay.signals`, the signal, the
    ``sender`` and the keyword arguments (``call["invoice"]`` reads one)."""

    name: str
    signal: Signal
    sender: Any
    kwargs: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.kwargs[key]


@dataclass
class CapturedSignals:
    """The signals sent while :func:`capture_signals` was active, oldest first."""

    calls: list[SignalCall] = field(default_factory=list)

    def __iter__(self) -> Iterator[SignalCall]:
        return iter(self.calls)

    def __len__(self) -> int:
        return len(self.calls)

    def names(self) -> list[str]:
        """The names of the signals sent, in order, e.g. ``["payment_succeeded",
        "invoice_paid"]``."""
        return [call.name for call in self.calls]

    def of(self, signal: str | Signal) -> list[SignalCall]:
        """The calls of one signal, by name or by the signal itself."""
        return [call for call in self.calls if signal in (call.name, call.signal)]

    def one(self, signal: str | Signal) -> SignalCall:
        """The only call of ``signal``; ``AssertionError`` unless it was sent exactly
        once."""
        calls = self.of(signal)
        assert len(calls) == 1, (
            f"expected {signal!r} once, it was sent {len(calls)} time(s); sent: {self.names()}")
        return calls[0]

    def clear(self) -> None:
        """Forget what was recorded so far (e.g. after arranging a test)."""
        self.calls.clear()


@contextmanager
def capture_signals(*signals: str | Signal, sender: Any = None) -> Iterator[CapturedSignals]:
    """Record carepay's signals sent inside the ``with`` block::

        with capture_signals() as sent:
            services.record_payment(invoice, backend="cash", by=clerk)
        assert sent.names() == ["payment_succeeded", "invoice_paid"]
        assert sent.one("invoice_paid")["payment"].backend == "cash"

    Every signal of :mod:`django_carepay.signals` by default, or only those named
    (``capture_signals("invoice_paid")``); ``sender`` records only that sender's (e.g.
    ``Appointment``). Receivers are connected for the block only and see the signals
    where the host's receivers do: inside the service's transaction, after the host's
    own receivers connected earlier.
    """
    available = _all_signals()
    chosen: dict[str, Signal] = {}
    for item in signals or tuple(available):
        if isinstance(item, Signal):
            name = next((n for n, s in available.items() if s is item), None)
            if name is None:
                raise ValueError(f"{item!r} is not one of django_carepay.signals.")
            chosen[name] = item
        elif item in available:
            chosen[item] = available[item]
        else:
            raise ValueError(f"django_carepay.signals has no signal {item!r}; it has: "
                             f"{', '.join(sorted(available))}.")
    captured = CapturedSignals()
    connected: list[tuple[Signal, Callable[..., None]]] = []

    def recorder(name: str, signal: Signal) -> Callable[..., None]:
        def receive(sender: Any, **kwargs: Any) -> None:
            kwargs.pop("signal", None)
            captured.calls.append(SignalCall(name=name, signal=signal, sender=sender,
                                             kwargs=kwargs))
        return receive

    try:
        for name, signal in chosen.items():
            receiver = recorder(name, signal)
            signal.connect(receiver, sender=sender, weak=False)
            connected.append((signal, receiver))
        yield captured
    finally:
        for signal, receiver in connected:
            signal.disconnect(receiver, sender=sender)
