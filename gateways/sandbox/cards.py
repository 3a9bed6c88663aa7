"""The sandbox's card checks: what a card network and an issuer would say of card fields.

Numbers are checked by length, IIN range and Luhn digit; expiry and security code by the
brand's rules. The test cards of the contract's table carry the behaviour that follows an
approval on the bank page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from stdnum import luhn

from gateways.port import Brand
from services.text import is_clean_text

T = TypeVar("T")
MAX_BODY = 4096
# ASCII digits only: other scripts' digits would give the same card another fingerprint.
_NUMBER = re.compile(r"^[0-9]{12,19}$")
_CVC = re.compile(r"^[0-9]{3,4}$")

# What follows an approval on the bank page, by test card (the contract's table).
BEHAVIOR = {
    "4000000000000002": "fail:declined",
    "4000000000009995": "fail:insufficient_funds",
    "4000000000009987": "fail:lost_or_stolen",
    "4000000000009979": "fail:lost_or_stolen",
    "4000000000000069": "fail:expired_card",
    "4000000000000127": "fail:incorrect_cvc",
    "4000000000000119": "fail:processing_error",
    "4000000000005126": "refund_fails_first",
    "4000000000000341": "off_session_fails",
    "4000002760003184": "charges_need_action",
}


@dataclass(frozen=True)
class CardFields:
    number: str
    exp_month: int
    exp_year: int
    cvc: str
    holder_name: str


class CardError(Exception):
    def __init__(self, code: str, message: str, field: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def _in(prefix: str, low: int, high: int) -> bool:
    return low <= int(prefix) <= high


def brand_of(number: str) -> Brand | None:
    """The brand by IIN range, when the length is one that brand issues."""
    length = len(number)
    rules: list[tuple[Brand, bool, set[int]]] = [
        (Brand.AMEX, number[:2] in {"34", "37"}, {15}),
        (
            Brand.DINERS,
            _in(number[:3], 300, 305) or number[:2] in {"36", "38", "39"},
            set(range(14, 20)),
        ),
        (Brand.JCB, _in(number[:4], 3528, 3589), set(range(16, 20))),
        (
            Brand.DISCOVER,
            number.startswith("6011") or _in(number[:3], 644, 649) or number.startswith("65"),
            set(range(16, 20)),
        ),
        (Brand.UNIONPAY, number.startswith("62"), set(range(16, 20))),
        (Brand.MASTERCARD, _in(number[:2], 51, 55) or _in(number[:4], 2221, 2720), {16}),
        (Brand.VISA, number.startswith("4"), {13, 16, 19}),
    ]
    for brand, matches, lengths in rules:
        if matches:
            return brand if length in lengths else None
    return None


def parse_card_fields(body: bytes) -> CardFields:
    """The tokenizer's request: a JSON object whose every field has exactly its JSON type."""
    if len(body) > MAX_BODY:
        raise CardError("invalid_request", "Send the card fields as a small JSON object.", "")
    try:
        data = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        raise CardError("invalid_request", "Send the card fields as a JSON object.", "") from None
    if not isinstance(data, dict):
        raise CardError("invalid_request", "Send the card fields as a JSON object.", "")
    holder = _typed(data, "holderName", str, "")
    if not is_clean_text(holder):
        raise CardError(
            "invalid_request", "The name on the card has characters it cannot hold.", "holderName"
        )
    return CardFields(
        number=_typed(data, "number", str, ""),
        exp_month=_typed(data, "expMonth", int, 0),
        exp_year=_typed(data, "expYear", int, 0),
        cvc=_typed(data, "cvc", str, ""),
        holder_name=holder,
    )


def _typed(data: dict[str, Any], name: str, kind: type[T], missing: T) -> T:
    value = data.get(name, missing)
    # bool is an int in Python but not in JSON; 12.5, Infinity and 1e400 are not integers.
    if not isinstance(value, kind) or isinstance(value, bool):
        expected = "a whole number" if kind is int else "a string"
        raise CardError("invalid_request", f"{name} must be {expected}.", name)
    return value


def check_card(fields: CardFields, today: datetime) -> Brand:
    number = fields.number.replace(" ", "").replace("-", "")
    if not _NUMBER.match(number) or not luhn.is_valid(number):
        raise CardError("incorrect_number", "The card number is not correct.", "number")
    brand = brand_of(number)
    if brand is None:
        raise CardError("incorrect_number", "The card number is not correct.", "number")
    if (
        not 1 <= fields.exp_month <= 12
        or (fields.exp_year, fields.exp_month)
        < (
            today.year,
            today.month,
        )
        or fields.exp_year > today.year + 20
    ):
        raise CardError("invalid_expiry", "The expiry date is not valid.", "expMonth")
    cvc_length = 4 if brand is Brand.AMEX else 3
    if not (_CVC.match(fields.cvc) and len(fields.cvc) == cvc_length):
        raise CardError("invalid_cvc", f"The security code has {cvc_length} digits.", "cvc")
    if not fields.holder_name.strip():
        raise CardError("missing_holder_name", "Enter the name on the card.", "holderName")
    return brand
