"""Money as :class:`~decimal.Decimal`, never float.

What an amount *means* comes from ISO 4217 itself: a currency's minor unit (GBP 2,
JPY 0, KWD 3, HUF 2) is read from :data:`ISO_4217_MINOR_UNITS`, a table frozen in
this module and checked against the maintained ``iso4217`` data package by the test
suite, so no dependency upgrade can change what stored money means. (Babel's CLDR
"digits" are *display* digits — CLDR shows HUF, IDR and COP without decimals — and
are not used for money.) Babel only formats amounts for display.

Amounts are quantized to their currency's minor unit on the way in (refusing, never
rounding, what a person typed); amounts read back are never rounded. Conversion to a
provider's integer minor units follows Stripe's rules, which differ from ISO 4217 for
a few currencies.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

from babel.core import Locale, UnknownLocaleError
from babel.numbers import parse_pattern
from django.utils.translation import gettext

from .exceptions import CarepayError, InvalidAmount, InvalidCurrency

#: Decimal places carepay stores amounts with (enough for KWD, BHD, ...).
STORAGE_PLACES = 3
#: Amounts must be below this: 14 digits stored, 3 of them after the point.
MAX_AMOUNT = Decimal(10) ** 11

#: ISO 4217 list one (active currencies): code → minor unit (decimal places), as
#: published by the ISO 4217 maintenance agency on 2026-01-01 (``iso4217``
#: 1.16.20260101). Funds and units without a minor unit (XAU, XDR, XXX…) are not
#: money carepay bills in and are left out.
ISO_4217_MINOR_UNITS: Mapping[str, int] = MappingProxyType({
    "AED": 2, "AFN": 2, "ALL": 2, "AMD": 2, "AOA": 2, "ARS": 2, "AUD": 2, "AWG": 2,
    "AZN": 2, "BAM": 2, "BBD": 2, "BDT": 2, "BHD": 3, "BIF": 0, "BMD": 2, "BND": 2,
    "BOB": 2, "BOV": 2, "BRL": 2, "BSD": 2, "BTN": 2, "BWP": 2, "BYN": 2, "BZD": 2,
    "CAD": 2, "CDF": 2, "CHE": 2, "CHF": 2, "CHW": 2, "CLF": 4, "CLP": 0, "CNY": 2,
    "COP": 2, "COU": 2, "CRC": 2, "CUP": 2, "CVE": 2, "CZK": 2, "DJF": 0, "DKK": 2,
    "DOP": 2, "DZD": 2, "EGP": 2, "ERN": 2, "ETB": 2, "EUR": 2, "FJD": 2, "FKP": 2,
    "GBP": 2, "GEL": 2, "GHS": 2, "GIP": 2, "GMD": 2, "GNF": 0, "GTQ": 2, "GYD": 2,
    "HKD": 2, "HNL": 2, "HTG": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2, "IQD": 3,
    "IRR": 2, "ISK": 0, "JMD": 2, "JOD": 3, "JPY": 0, "KES": 2, "KGS": 2, "KHR": 2,
    "KMF": 0, "KPW": 2, "KRW": 0, "KWD": 3, "KYD": 2, "KZT": 2, "LAK": 2, "LBP": 2,
    "LKR": 2, "LRD": 2, "LSL": 2, "LYD": 3, "MAD": 2, "MDL": 2, "MGA": 2, "MKD": 2,
    "MMK": 2, "MNT": 2, "MOP": 2, "MRU": 2, "MUR": 2, "MVR": 2, "MWK": 2, "MXN": 2,
    "MXV": 2, "MYR": 2, "MZN": 2, "NAD": 2, "NGN": 2, "NIO": 2, "NOK": 2, "NPR": 2,
    "NZD": 2, "OMR": 3, "PAB": 2, "PEN": 2, "PGK": 2, "PHP": 2, "PKR": 2, "PLN": 2,
    "PYG": 0, "QAR": 2, "RON": 2, "RSD": 2, "RUB": 2, "RWF": 0, "SAR": 2, "SBD": 2,
    "SCR": 2, "SDG": 2, "SEK": 2, "SGD": 2, "SHP": 2, "SLE": 2, "SOS": 2, "SRD": 2,
    "SSP": 2, "STN": 2, "SVC": 2, "SYP": 2, "SZL": 2, "THB": 2, "TJS": 2, "TMT": 2,
    "TND": 3, "TOP": 2, "TRY": 2, "TTD": 2, "TWD": 2, "TZS": 2, "UAH": 2, "UGX": 0,
    "USD": 2, "USN": 2, "UYI": 0, "UYU": 2, "UYW": 4, "UZS": 2, "VED": 2, "VES": 2,
    "VND": 0, "VUV": 0, "WST": 2, "XAD": 2, "XAF": 0, "XCD": 2, "XCG": 2, "XOF": 0,
    "XPF": 0, "YER": 2, "ZAR": 2, "ZMW": 2, "ZWG": 2,
    # Withdrawn since, kept so invoices already issued in them still read.
    "ANG": 2, "CUC": 2, "HRK": 2, "SLL": 2, "ZWL": 2,
})

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


def validate_currency(currency: str) -> str:
    """Return ``currency`` upper-cased, or raise :class:`InvalidCurrency`."""
    code = (currency or "").strip().upper() if isinstance(currency, str) else ""
    exponent = ISO_4217_MINOR_UNITS.get(code)
    if exponent is None:
        raise InvalidCurrency(
            gettext(
                "%(currency)r is not an ISO 4217 currency code; use a three-letter code such "
                "as 'GBP', 'EUR' or 'USD'."
            ) % {"currency": currency}
        )
    if exponent > STORAGE_PLACES:
        raise InvalidCurrency(
            f"{code} has {exponent} decimal places; carepay stores amounts with no more "
            f"than {STORAGE_PLACES} decimal places."
        )
    return code


def currency_exponent(currency: str) -> int:
    """The number of decimal places of ``currency``'s minor unit (GBP 2, JPY 0, KWD 3),
    from ISO 4217."""
    return ISO_4217_MINOR_UNITS[validate_currency(currency)]


def round_to_currency(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded half-up to ``currency``'s minor unit (``80.125`` → ``80.13``).

    For *computed* amounts only (line totals, tax). Amounts read back from the
    database are never rounded: see :func:`normalize`.
    """
    return amount.quantize(Decimal(1).scaleb(-currency_exponent(currency)), ROUND_HALF_UP)


def normalize(amount: Decimal, currency: str) -> Decimal:
    """``amount`` written with ``currency``'s decimal places when that loses nothing
    (``80.000`` GBP → ``80.00``), else unchanged (``1000.505`` HUF stays as it is).

    For amounts read back from the database, which stores three places for every
    currency: they are shown and compared as the currency writes them, and a stored
    amount finer than the currency (which the services never write) is never
    silently rounded away.
    """
    exact = amount.quantize(Decimal(1).scaleb(-currency_exponent(currency)))
    return exact if exact == amount else amount


#: A typed amount: digits with an optional decimal point, nothing else (no exponent,
#: no thousands separators, no underscores). ``\d`` is any script's decimal digit.
_TYPED_AMOUNT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
#: Decimal separators people type besides ".": the Arabic decimal separator.
_DECIMAL_SEPARATORS = str.maketrans({"\u066b": "."})


def _normalized(text: str) -> str:
    """``text`` in NFKC (fullwidth digits read as digits), once nothing in it is a
    numeric character that is not a digit: NFKC would read the superscript in "1²" as
    a 2, and a circled ⑧ as an 8, making an amount of what is not one."""
    if any(unicodedata.category(ch) == "No" for ch in text):
        raise InvalidAmount(gettext(
            "%(text)r is not a number; write it like 80.00."
        ) % {"text": text})
    return unicodedata.normalize("NFKC", text)


def parse_amount(text: str) -> Decimal:
    """Read an amount a person typed, the one rule for every amount field.

    Digits of any script are read as the same numbers (fullwidth, Arabic-Indic and
    Devanagari twelves are all 12), with ``.`` (or the Arabic decimal separator,
    U+066B) as the decimal point. Exponents (``1e3``), underscores (``1_000``) and thousands
    separators are refused, so what staff see is what is recorded.
    """
    cleaned = _normalized(text).strip().translate(_DECIMAL_SEPARATORS)
    if cleaned.lstrip("+-").lower() in ("nan", "snan", "inf", "infinity"):
        raise InvalidAmount(gettext("%(text)r is not a finite amount.") % {"text": text})
    if not _TYPED_AMOUNT.fullmatch(cleaned):
        raise InvalidAmount(gettext(
            "%(text)r is not a number; write it like 80.00."
        ) % {"text": text})
    ascii_digits = "".join(
        str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in cleaned)
    return Decimal(ascii_digits)


#: One to three digits, a point, three digits: "1.500".
_POINT_THEN_THREE = re.compile(r"\d{1,3}\.\d{3}")


def parse_localized_amount(text: str) -> Decimal:
    """Read an amount a person typed into a form, in the active language's way of
    writing numbers, refusing what could be read two ways.

    The decimal and thousands separators are Django's formats for the active language
    (``get_format("DECIMAL_SEPARATOR")``, ``"THOUSAND_SEPARATOR"``): in German
    ``95,00`` is 95.00 and ``1.234,50`` is 1234.50; in English ``1,234.50`` is 1234.50.
    Thousands separators must group by three. An input with a single thousands
    separator followed by three digits and no decimal separator (``1.234`` in German,
    ``1,234`` in English) means 1234 to some readers and 1.234 to others: it is refused
    (``code="ambiguous"``), never guessed. A point with other than three digits after it
    is read as the decimal point wherever the point is not the decimal separator
    (``95.00`` in German is 95.00, as the JSON API and English write it), as Django's
    own ``sanitize_separators`` does. The rest is :func:`parse_amount`'s rule (digits
    of any script, no exponent).

    Django's ``sanitize_separators`` is not used as it is: it drops thousands
    separators only with ``USE_THOUSAND_SEPARATOR`` on, so it refuses ``1.234,50`` on a
    default project, and with it on it reads ``1.234`` as 1234 without a word.

    For forms only: the JSON API and the services keep :func:`parse_amount`, where an
    amount is always written ``95.00``.
    """
    from django.utils.formats import get_format

    decimal = unicodedata.normalize("NFKC", str(get_format("DECIMAL_SEPARATOR")))
    thousands = unicodedata.normalize("NFKC", str(get_format("THOUSAND_SEPARATOR")))
    cleaned = _normalized(text).strip()
    sign, body = (cleaned[0], cleaned[1:]) if cleaned[:1] in ("+", "-") else ("", cleaned)
    whole: str = body
    fraction: str | None = None
    if decimal and decimal in body:
        whole, fraction = body.split(decimal, 1)
    if decimal != "." and fraction is None and _POINT_THEN_THREE.fullmatch(whole):
        # "1.500" where the point is not the decimal separator: 1500 to readers who group
        # thousands with it (German's rule, and common in French, Spanish and Russian
        # writing even where the locale's separator is a space), 1.5 to English ones.
        raise InvalidAmount(gettext(
            "%(text)r could mean two different amounts; write it without a thousands "
            "separator, like %(example)s."
        ) % {"text": text, "example": f"1234{decimal}50"}, code="ambiguous")
    if fraction is not None and (decimal in fraction or (thousands and thousands in fraction)):
        raise InvalidAmount(gettext(
            "%(text)r is not a number; write it like %(example)s."
        ) % {"text": text, "example": f"1234{decimal}50"})
    if thousands and thousands in whole:
        groups = whole.split(thousands)
        grouped = 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])
        if not grouped:
            if thousands == "." and fraction is None and len(groups) == 2:
                # "95.00" where the point groups thousands: the point as the API writes it.
                return parse_amount(sign + whole)
            raise InvalidAmount(gettext(
                "%(text)r is not a number; write it like %(example)s."
            ) % {"text": text, "example": f"1234{decimal}50"})
        if fraction is None and len(groups) == 2 and thousands in ".,":
            raise InvalidAmount(gettext(
                "%(text)r could mean two different amounts; write it without a thousands "
                "separator, like %(example)s."
            ) % {"text": text, "example": f"1234{decimal}50"}, code="ambiguous")
        whole = "".join(groups)
    return parse_amount(sign + whole + ("" if fraction is None else "." + fraction))


def format_amount(amount: object, currency: str) -> str:
    """``amount`` as a person would type it back into a form in the active language:
    the currency's decimals and the language's decimal separator, no symbol and no
    thousands separators (``80.00`` in English, ``80,00`` in German), so that
    :func:`parse_localized_amount` reads it as the same amount."""
    from django.utils.formats import get_format

    value = normalize(to_decimal(amount), validate_currency(currency))
    return f"{value:f}".replace(".", str(get_format("DECIMAL_SEPARATOR")))


def to_decimal(value: object) -> Decimal:
    """Convert ``value`` to Decimal, refusing floats (they are not exact) and bools.

    Strings are read by :func:`parse_amount`.
    """
    if isinstance(value, bool | float):
        raise InvalidAmount(
            f"Amount {value!r} is a {type(value).__name__}; pass a Decimal, an int or a "
            "string such as '80.00' (floats cannot hold money exactly)."
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        result = parse_amount(value)
    else:
        raise InvalidAmount(gettext("%(value)r is not a number.") % {"value": value})
    if not result.is_finite():
        raise InvalidAmount(gettext("%(value)r is not a finite amount.") % {"value": value})
    return result


def check_range(value: Decimal) -> Decimal:
    """Refuse an amount too large to store (the database would refuse it later)."""
    if abs(value) >= MAX_AMOUNT:
        raise InvalidAmount(gettext(
            "%(value)s is too large; amounts must be below %(max)s."
        ) % {"value": value, "max": f"{MAX_AMOUNT:,}"})
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
            gettext(
                "%(value)s has more decimal places than %(currency)s allows (%(places)s); use "
                "e.g. %(example)s."
            ) % {"value": value, "currency": currency.upper(), "places": exponent,
                "example": quantized}
        )
    if not allow_negative and quantized < 0:
        raise InvalidAmount(gettext("Amount must be positive, got %(value)s.") % {"value": value})
    if not allow_zero and quantized == 0:
        raise InvalidAmount(gettext("Amount must be greater than zero."))
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
    return normalize(Decimal(minor).scaleb(-_stripe_places(code)), code)


def format_money(amount: object, currency: str, locale: str | None = None) -> str:
    """Format ``amount`` for display, e.g. ``£80.00``, ``¥500`` or ``HUF1,000.50``.

    The locale (Babel, CLDR) gives the symbol, separators and pattern; the number of
    decimals is the currency's ISO 4217 minor unit, not CLDR's display digits (which
    would show 1000.50 HUF as "HUF1,001"). An amount finer than the minor unit is
    shown in full, never rounded.
    """
    from django.utils.translation import get_language, to_locale

    if amount is None or amount == "":
        return ""
    code = validate_currency(currency)
    value = normalize(to_decimal(amount), code)
    try:
        loc = Locale.parse(locale or to_locale(get_language() or "en-us"))
    except (UnknownLocaleError, ValueError):
        loc = Locale.parse("en_US")
    pattern = parse_pattern(loc.currency_formats["standard"].pattern)
    places = max(currency_exponent(code), -int(value.as_tuple().exponent))
    pattern.frac_prec = (places, places)
    return pattern.apply(value, loc, currency=code, currency_digits=False)


def display_money(amount: object, currency: str) -> str:
    """:func:`format_money` for pages that must not break on one odd row: blank for no
    amount or no currency, the plain amount and code for a currency not known."""
    if amount is None or amount == "" or not currency:
        return ""
    try:
        return format_money(amount, currency)
    except CarepayError:
        return f"{amount} {currency}"
