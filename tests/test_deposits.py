"""The verification deposit: 1 USD in every region's currency, in its minor digits."""

from __future__ import annotations

from decimal import Decimal

from services.deposits import verification_deposit
from services.money import minor_digits
from services.regions import all_regions


def test_every_region_has_a_deposit_in_its_currency() -> None:
    for region in all_regions():
        deposit = verification_deposit(region.currency)
        assert deposit.currency == region.currency
        assert deposit.amount > 0
        assert -deposit.amount.as_tuple().exponent == minor_digits(region.currency)


def test_rounding_is_half_up_to_iso_digits() -> None:
    assert verification_deposit("USD").amount == Decimal("1.00")
    assert verification_deposit("EUR").amount == Decimal("0.95")  # 0.9480
    assert verification_deposit("JPY").amount == Decimal("154")  # 154.35
    # 0.3075 half-up is 0.308; three-decimal currencies are charged in tens of minor units.
    assert verification_deposit("KWD").amount == Decimal("0.310")
    assert verification_deposit("BHD").amount % Decimal("0.010") == 0
    assert verification_deposit("VND").amount == Decimal("25420")


async def test_regions_show_their_deposit(gql) -> None:
    body = await gql("{ regions { code verificationDeposit { amount currency } } }")
    deposits = {r["code"]: r["verificationDeposit"] for r in body["data"]["regions"]}
    assert deposits["JP"] == {"amount": "154", "currency": "JPY"}
    assert deposits["KW"] == {"amount": "0.310", "currency": "KWD"}
    assert deposits["DE"] == {"amount": "0.95", "currency": "EUR"}
