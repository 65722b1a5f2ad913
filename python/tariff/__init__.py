"""Exact, itemized, explainable prices for every request an LLM API relay handles.

Money and quantities are exact: amounts are ``decimal.Decimal``, usage counts are ints (or
Decimals for fractional units such as seconds); floats are refused.
"""

from tariff._native import (
    Bill,
    Catalog,
    Line,
    PriceError,
    TariffError,
    UnknownModel,
    UsageError,
    classify,
    count,
    estimate,
    meter,
    quote,
    quote_arrow,
    reconcile,
)

__all__ = [
    "Bill",
    "Catalog",
    "Line",
    "PriceError",
    "TariffError",
    "UnknownModel",
    "UsageError",
    "classify",
    "count",
    "estimate",
    "meter",
    "quote",
    "quote_arrow",
    "reconcile",
]
