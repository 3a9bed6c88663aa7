"""Money as Decimal amounts with exactly their currency's ISO 4217 minor digits."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

import iso4217


@cache
def minor_digits(currency: str) -> int:
    """The ISO 4217 exponent: 0 for JPY, 2 for EUR, 3 for KWD."""
    exponent = iso4217.Currency(currency).exponent
    if exponent is None:
        raise ValueError(f"{currency} has no minor unit")
    return exponent


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor digits."""
    return amount.quantize(Decimal(1).scaleb(-minor_digits(currency)), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    @classmethod
    def of(cls, amount: Decimal | str | int, currency: str) -> Money:
        return cls(quantize(Decimal(amount), currency), currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"
