"""Rounding money and volumes for publication; computation stays exact until here.

OCPI 2.2.1 does not define how prices are rounded ("number: ... 4 decimals" is its only
precision rule), so the rule is ours and stated once:
- amounts (Price.excl_vat / incl_vat) are rounded half-up to the currency's minor unit
  (ISO 4217: EUR 2 decimals, JPY 0, KWD 3), each from its exact value: a total is the
  rounded exact sum, never the sum of rounded parts;
- volumes (kWh, hours) are rounded half-up to OCPI's 4 decimals.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

# ISO 4217 minor units that differ from 2.
_MINOR_UNITS = {
    "BHD": 3, "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0, "JOD": 3, "JPY": 0,
    "KMF": 0, "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3, "PYG": 0, "RWF": 0, "TND": 3, "UGX": 0,
    "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
}  # fmt: skip
VOLUME_DECIMALS = 4


def minor_units(currency: str) -> int:
    return _MINOR_UNITS.get(currency.upper(), 2)


def to_decimal(value: Fraction, decimals: int) -> Decimal:
    """`value` rounded half-up (away from zero on a tie) to `decimals` places."""
    with localcontext() as ctx:
        ctx.prec = 60
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        return exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def amount(value: Fraction, currency: str) -> Decimal:
    return to_decimal(value, minor_units(currency))


def volume(value: Fraction) -> Decimal:
    return to_decimal(value, VOLUME_DECIMALS)


def minor(value: Decimal, currency: str) -> int:
    """An amount in the currency's minor unit (what payment providers take): 12.38 EUR -> 1238."""
    return int((value * (10 ** minor_units(currency))).to_integral_value(rounding=ROUND_HALF_UP))
