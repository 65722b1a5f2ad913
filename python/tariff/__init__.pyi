from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from os import PathLike
from typing import Any, Optional, Union

_Time = Union[str, datetime, date]
_Usage = Union[Mapping[str, Any], str]
_Fx = Union[Sequence[Mapping[str, Any]], str]

class TariffError(ValueError):
    """Any input tariff cannot price: the base of the errors below."""

class UsageError(TariffError):
    """A usage record (or request option) that cannot be priced as given."""

class PriceError(TariffError):
    """A request the catalog cannot price: no price in force, tier, region or unit."""

class UnknownModel(PriceError):
    """No model has this id, alias or pattern."""

    suggestions: list[str]

class Line:
    """One line of a bill: a quantity of one unit at one price."""

    @property
    def item(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def unit_price(self) -> Decimal: ...
    @property
    def per(self) -> int: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def priced_as(self) -> Optional[str]: ...
    def to_dict(self) -> dict[str, Any]: ...

class Bill:
    """The price of one request: exact, itemized, with its provenance."""

    @property
    def total(self) -> Decimal: ...
    @property
    def currency(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def provider(self) -> str: ...
    @property
    def at(self) -> str: ...
    @property
    def estimated(self) -> bool: ...
    @property
    def lines(self) -> list[Line]: ...
    def to_dict(self) -> dict[str, Any]:
        """The bill as `tariff quote --json` prints it (amounts as decimal strings)."""
    def to_json(self) -> str: ...

class Catalog:
    """The built-in price tables, plus table files or directories (as the CLI's --prices)."""

    def __init__(self, prices: Optional[Sequence[Union[str, PathLike[str]]]] = None) -> None: ...
    def quote(
        self,
        model: str,
        usage: _Usage,
        *,
        at: Optional[_Time] = None,
        service_tier: Optional[str] = None,
        region: Optional[str] = None,
        options: Optional[Mapping[str, Union[str, bool, int]]] = None,
        currency: Optional[str] = None,
        fx: Optional[_Fx] = None,
    ) -> Bill: ...
    def models(self) -> list[str]: ...
    def model(self, id: str) -> dict[str, Any]: ...

def quote(
    model: str,
    usage: _Usage,
    *,
    at: Optional[_Time] = None,
    service_tier: Optional[str] = None,
    region: Optional[str] = None,
    options: Optional[Mapping[str, Union[str, bool, int]]] = None,
    currency: Optional[str] = None,
    fx: Optional[_Fx] = None,
) -> Bill:
    """Prices one usage record (canonical bucket names) on the built-in tables."""

_Body = Union[bytes, str, Mapping[str, Any], Sequence[Any]]

def meter(api: str, response: _Body, request: Optional[_Body] = None) -> dict[str, Any]:
    """The usage record (canonical buckets) of a provider response, as `tariff quote --api` reads it."""

def estimate(api: str, model: str, request: _Body, *, at: Optional[_Time] = None) -> dict[str, Any]:
    """The most a request can cost: `tariff estimate --json` ({estimate, bill, quota, price_error})."""

def count(text: str, *, model: Optional[str] = None, encoding: Optional[str] = None) -> int:
    """The exact token count of `text` (releases the GIL)."""

def classify(status: int, body: Union[str, bytes]) -> dict[str, Any]:
    """Whose fault a failed request was and what to do with its hold (`tariff classify --json`)."""

def reconcile(
    paths: Sequence[Union[str, PathLike[str]]],
    *,
    format: Optional[str] = None,
    by: Sequence[str] = ("model",),
    threads: Optional[int] = None,
    rejects: Optional[Union[str, PathLike[str]]] = None,
) -> dict[str, Any]:
    """Re-prices logs at the prices in force when they ran: `tariff reconcile --json` (releases the GIL)."""

def quote_arrow(data: Any, *, catalog: Optional[Catalog] = None) -> Any:
    """Prices every row of a pyarrow Table or RecordBatch (anything with __arrow_c_stream__ or
    __arrow_c_array__): columns `model`, `at` (timestamp with a time zone, or RFC 3339 text),
    integer bucket columns (missing = 0), optional `service_tier` and `region`; a string
    column may be dictionary-encoded (pandas `category`, polars `Categorical`). Returns the rows
    with `cost` (decimal128(38, 18)), `currency` and `error` (null when priced) added; a bad
    row never fails the batch, and its `error` is `quote`'s message, except that only the
    first 1,000 distinct unknown model names of a call get suggestions (each costs a
    comparison with every catalog name); later ones say so instead. Releases the GIL."""
