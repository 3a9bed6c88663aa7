"""The card-verification deposit: 1 USD in the region's currency, from the rates file."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from importlib import resources

from services.money import Money

DEPOSIT_USD = Decimal(1)


@cache
def _rates() -> dict[str, Decimal]:
    raw = json.loads(resources.files("services").joinpath("data/usd_rates.json").read_text("utf-8"))
    return {k: Decimal(v) for k, v in raw["rates"].items()}


def verification_deposit(currency: str) -> Money:
    """1 USD converted, rounded half-up to the currency's ISO 4217 minor digits."""
    rate = _rates().get(currency)
    if rate is None:
        raise LookupError(f"usd_rates.json has no rate for {currency}")
    return Money.of(DEPOSIT_USD * rate, currency)
