"""Money as integer minor units of an ISO 4217 currency; never a float."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from chain.currencies import EXPONENTS
from chain.errors import InvalidDocument

THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")


def exponent(currency: str) -> int:
    if currency not in EXPONENTS:
        raise InvalidDocument(
            f"{currency!r} is not a supported ISO 4217 currency code (e.g. USD, EUR, CNY, JPY)",
            code="unknown_currency",
        )
    return EXPONENTS[currency]


def parse_decimal(text: str | int | Decimal, what: str) -> Decimal:
    """A decimal from ``"1,234.50"``, ``"1234.5"`` or an int; thousands separators allowed."""
    if isinstance(text, bool | float):
        detail = f'{what}: give numbers as strings like "12.50", not {text!r}'
        raise InvalidDocument(detail, code="invalid_number")
    raw = str(text).strip()
    if "," in raw and not THOUSANDS.match(raw):  # "12,50" is not twelve-fifty here, nor 1250: refuse it
        raise InvalidDocument(
            f"{what}: {text!r} is ambiguous; write decimals with a point and group thousands "
            "by three ('1,234.50')",
            code="invalid_number",
        )
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        raise InvalidDocument(f"{what}: {text!r} is not a number", code="invalid_number") from None
    if not value.is_finite():
        raise InvalidDocument(f"{what}: {text!r} is not a number", code="invalid_number")
    return value


def to_minor(text: str | int | Decimal, currency: str, what: str = "amount") -> int:
    """Major units (``"1,234.50"`` USD) to minor units (123450).

    Refuses more decimals than the currency has."""
    value = parse_decimal(text, what) * (Decimal(10) ** exponent(currency))
    if value < 0:
        raise InvalidDocument(f"{what}: {text!r} is negative", code="negative_amount")
    if value != value.to_integral_value():
        raise InvalidDocument(
            f"{what}: {text!r} has more decimals than {currency} allows ({exponent(currency)})",
            code="amount_precision",
        )
    return int(value)


def from_minor(amount: int, currency: str) -> str:
    """Minor units back to a major-unit string: 123450 USD -> ``"1234.50"``."""
    digits = exponent(currency)
    return f"{Decimal(amount).scaleb(-digits):.{digits}f}"


def line_amount(quantity: Decimal, unit_price: int) -> int:
    """quantity × unit price (minor units), rounded half up to a whole minor unit."""
    return int((quantity * unit_price).quantize(Decimal(1), rounding=ROUND_HALF_UP))
