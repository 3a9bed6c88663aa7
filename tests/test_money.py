"""Money keeps exactly its currency's ISO 4217 minor digits, rounding half-up."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.money import Money, minor_digits


@pytest.mark.parametrize(
    ("currency", "digits"), [("JPY", 0), ("KRW", 0), ("EUR", 2), ("KWD", 3), ("BHD", 3)]
)
def test_minor_digits_come_from_iso_4217(currency: str, digits: int) -> None:
    assert minor_digits(currency) == digits


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        ("149.5", "JPY", "150"),
        ("0.925", "EUR", "0.93"),
        ("0.3065", "KWD", "0.307"),
        ("2", "EUR", "2.00"),
    ],
)
def test_amounts_round_half_up_to_the_minor_digits(amount: str, currency: str, text: str) -> None:
    assert str(Money.of(Decimal(amount), currency).amount) == text


def test_an_unknown_currency_is_refused() -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        Money.of(1, "XYZ")
