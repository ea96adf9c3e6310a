"""Money as :class:`~decimal.Decimal`, never float.

Amounts are quantized to their currency's minor unit (the ISO 4217 exponent, from
Babel's CLDR data) on the way in, and converted to a provider's integer minor units
with Stripe's rules, which differ from ISO 4217 for a few currencies.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.core import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision, list_currencies

from .exceptions import InvalidAmount, InvalidCurrency

#: Decimal places carepay stores amounts with (enough for KWD, BHD, ...).
STORAGE_PLACES = 3
#: Amounts must be below this: 14 digits stored, 3 of them after the point.
MAX_AMOUNT = Decimal(10) ** 11

# https://docs.stripe.com/currencies#zero-decimal
STRIPE_ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA",
     "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
)
# https://docs.stripe.com/currencies#three-decimal: sent in thousandths, but the
# last digit must be 0 (amounts are rounded to the nearest ten).
STRIPE_THREE_DECIMAL = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])
# https://docs.stripe.com/currencies#special-cases: ISK has no minor unit in ISO 4217
# but Stripe takes it two-decimal (always ending in 00); HUF and TWD are two-decimal
# for charges. All three therefore fall under the two-decimal rule below.


@lru_cache(maxsize=1)
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def validate_currency(currency: str) -> str:
    """Return ``currency`` upper-cased, or raise :class:`InvalidCurrency`."""
    code = (currency or "").strip().upper()
    if len(code) != 3 or code not in _known_currencies():
        raise InvalidCurrency(
            f"{currency!r} is not an ISO 4217 currency code; use a three-letter code "
            "such as 'GBP', 'EUR' or 'USD'."
        )
    if get_currency_precision(code) > STORAGE_PLACES:
        raise InvalidCurrency(
            f"{code} has more than {STORAGE_PLACES} decimal places, more than carepay "
            "stores."
        )
    return code


@lru_cache(maxsize=512)
def currency_exponent(currency: str) -> int:
    """The number of decimal places of ``currency``'s minor unit (GBP 2, JPY 0, KWD 3)."""
    return int(get_currency_precision(validate_currency(currency)))


def round_to_currency(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded half-up to ``currency``'s minor unit (``80.000`` → ``80.00``).

    For computed amounts (line totals, tax) and for amounts read back from the
    database, which stores three places for every currency.
    """
    return amount.quantize(Decimal(1).scaleb(-currency_exponent(currency)), ROUND_HALF_UP)


def to_decimal(value: object) -> Decimal:
    """Convert ``value`` to Decimal, refusing floats (they are not exact)."""
    if isinstance(value, bool | float):
        raise InvalidAmount(
            f"Amount {value!r} is a {type(value).__name__}; pass a Decimal, an int or a "
            "string such as '80.00' (floats cannot hold money exactly)."
        )
    if isinstance(value, Decimal):
        result = value
    else:
        try:
            result = Decimal(str(value).strip())
        except (InvalidOperation, ValueError):
            raise InvalidAmount(f"{value!r} is not a number.") from None
    if not result.is_finite():
        raise InvalidAmount(f"{value!r} is not a finite amount.")
    return result


def check_range(value: Decimal) -> Decimal:
    """Refuse an amount too large to store (the database would refuse it later)."""
    if abs(value) >= MAX_AMOUNT:
        raise InvalidAmount(f"{value} is too large; amounts must be below {MAX_AMOUNT:,}.")
    return value


def quantize(amount: object, currency: str, *, allow_zero: bool = False,
             allow_negative: bool = False) -> Decimal:
    """Validate ``amount`` for ``currency`` and return it at the currency's exponent.

    Refuses amounts with more decimal places than the currency has (``10.005`` GBP),
    rather than rounding them silently: a staff typo must not move money.
    """
    value = to_decimal(amount)
    check_range(value)
    exponent = currency_exponent(currency)
    step = Decimal(1).scaleb(-exponent)
    quantized = value.quantize(step)
    if quantized != value:
        raise InvalidAmount(
            f"{value} has more decimal places than {currency.upper()} allows "
            f"({exponent}); use e.g. {quantized}."
        )
    if not allow_negative and quantized < 0:
        raise InvalidAmount(f"Amount must be positive, got {value}.")
    if not allow_zero and quantized == 0:
        raise InvalidAmount("Amount must be greater than zero.")
    return quantized


def _stripe_places(code: str) -> int:
    if code in STRIPE_ZERO_DECIMAL:
        return 0
    if code in STRIPE_THREE_DECIMAL:
        return 3
    return 2


def to_minor_units(amount: object, currency: str) -> int:
    """Convert ``amount`` to the integer a Stripe-style API expects.

    >>> to_minor_units(Decimal("80.00"), "GBP")
    8000
    >>> to_minor_units(Decimal("500"), "JPY")
    500
    >>> to_minor_units(Decimal("1.234"), "KWD")
    1230
    """
    code = validate_currency(currency)
    value = to_decimal(amount)
    places = _stripe_places(code)
    minor = value.scaleb(places)
    if minor != minor.to_integral_value():
        raise InvalidAmount(
            f"{value} {code} has more decimal places than the provider accepts ({places})."
        )
    result = int(minor)
    if code in STRIPE_THREE_DECIMAL:
        # Stripe requires the last digit of three-decimal amounts to be zero.
        result = int((Decimal(result) / 10).quantize(Decimal(1), ROUND_HALF_UP)) * 10
    return result


def from_minor_units(minor: int, currency: str) -> Decimal:
    """Convert a provider's integer minor units back into a Decimal amount."""
    code = validate_currency(currency)
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise InvalidAmount(f"Minor units must be an int, got {minor!r}.")
    value = Decimal(minor).scaleb(-_stripe_places(code))
    exact = value.quantize(Decimal(1).scaleb(-currency_exponent(code)))
    return exact if exact == value else value


def format_money(amount: object, currency: str, locale: str | None = None) -> str:
    """Format ``amount`` for display, e.g. ``£80.00`` or ``¥500``."""
    from django.utils.translation import get_language, to_locale

    if amount is None or amount == "":
        return ""
    value = to_decimal(amount)
    loc = locale or to_locale(get_language() or "en-us")
    try:
        Locale.parse(loc)
    except (UnknownLocaleError, ValueError):
        loc = "en_US"
    return format_currency(value, validate_currency(currency), locale=loc)
