"""Converting order money into the base currency with dated exchange rates."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from custsync.errors import ConfigError


@dataclass(frozen=True, slots=True)
class FxRate:
    currency: str
    base_currency: str
    valid_from: date
    rate: Decimal  # base units per one unit of ``currency``


@dataclass(slots=True)
class FxTable:
    """Rates per currency; the rate for a day is the latest one valid on or before it."""

    base_currency: str
    _dates: dict[str, list[date]] = field(default_factory=dict)
    _rates: dict[str, list[Decimal]] = field(default_factory=dict)

    @classmethod
    def from_rates(cls, base_currency: str, rates: Iterable[FxRate]) -> FxTable:
        table = cls(base_currency)
        for rate in sorted(rates, key=lambda r: (r.currency, r.valid_from)):
            if rate.base_currency != base_currency:
                continue
            table._dates.setdefault(rate.currency, []).append(rate.valid_from)
            table._rates.setdefault(rate.currency, []).append(rate.rate)
        return table

    def schedule(self) -> dict[str, list[tuple[date, Decimal]]]:
        """Currency → its rates as (valid from, rate), oldest first."""
        return {c: list(zip(self._dates[c], self._rates[c], strict=True)) for c in self._dates}

    def convert(self, amount: Decimal, currency: str, on: date) -> Decimal:
        if currency == self.base_currency:
            return amount
        dates = self._dates.get(currency, [])
        index = bisect.bisect_right(dates, on) - 1
        if index < 0:
            raise ConfigError(
                f"no exchange rate from {currency} to {self.base_currency} valid on "
                f"{on.isoformat()}; add one with `custsync fx set {currency} RATE --from DATE`"
            )
        return amount * self._rates[currency][index]
