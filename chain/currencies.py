"""ISO 4217 currencies as the contracts see them: a 3-byte code and the minor-unit exponent.

Amounts on chain are integers in minor units (cents for USD, yen for JPY, fils
for KWD); ``exponent`` says how many decimals a major unit has.
"""

from __future__ import annotations

from chain.errors import InvalidInput

# code -> minor-unit exponent (ISO 4217 amendment 177).
EXPONENTS: dict[str, int] = {
    "AED": 2,
    "AUD": 2,
    "BHD": 3,
    "BRL": 2,
    "CAD": 2,
    "CHF": 2,
    "CNY": 2,
    "CZK": 2,
    "DKK": 2,
    "EUR": 2,
    "GBP": 2,
    "HKD": 2,
    "IDR": 2,
    "INR": 2,
    "JOD": 3,
    "JPY": 0,
    "KRW": 0,
    "KWD": 3,
    "MXN": 2,
    "MYR": 2,
    "NOK": 2,
    "NZD": 2,
    "OMR": 3,
    "PHP": 2,
    "PLN": 2,
    "SAR": 2,
    "SEK": 2,
    "SGD": 2,
    "THB": 2,
    "TND": 3,
    "TRY": 2,
    "TWD": 2,
    "USD": 2,
    "VND": 0,
    "ZAR": 2,
}


def currency_exponent(code: str) -> int:
    try:
        return EXPONENTS[code]
    except KeyError:
        raise InvalidInput(
            f"{code!r} is not a supported ISO 4217 currency; use one of {', '.join(sorted(EXPONENTS))}",
            code="unknown_currency",
        ) from None


def currency_bytes(code: str) -> bytes:
    """The ``Currency`` (bytes3) value of an ISO 4217 code."""
    currency_exponent(code)
    return code.encode("ascii")


def currency_code(raw: bytes) -> str:
    return raw.rstrip(b"\0").decode("ascii")
