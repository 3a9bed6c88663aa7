"""The card-verification deposit: 1 USD in the region's currency, from the rates file.

Three-decimal currencies (BHD, JOD, KWD, OMR, TND) are rounded up to a multiple of 10
minor units, as card processors (Stripe among them) charge them, for every gateway: what
`verificationDeposit` shows is what is charged.
"""

from __future__ import annotations

import json
from decimal import ROUND_CEILING, Decimal
from functools import cache
from importlib import resources

from services.money import Money, minor_digits

DEPOSIT_USD = Decimal(1)


@cache
def _rates() -> dict[str, Decimal]:
    raw = json.loads(resources.files("services").joinpath("data/usd_rates.json").read_text("utf-8"))
    return {k: Decimal(v) for k, v in raw["rates"].items()}


def verification_deposit(currency: str) -> Money:
    """1 USD converted, rounded half-up to the currency's ISO 4217 minor digits (up to a
    multiple of 10 minor units in three-decimal currencies)."""
    rate = _rates().get(currency)
    if rate is None:
        raise LookupError(f"usd_rates.json has no rate for {currency}")
    deposit = Money.of(DEPOSIT_USD * rate, currency)
    if minor_digits(currency) == 3:
        tens = (deposit.amount * 100).to_integral_value(ROUND_CEILING) / 100
        deposit = Money.of(tens, currency)
    return deposit
