"""The payment gateway port: everything onboarding asks of a PSP, and what it tells us back.

The sandbox implements it in-process; a real PSP adapter implements the same protocol.
Onboarding never sees a card number or security code: only tokens and what the gateway
says of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from services.money import Money


class Brand(StrEnum):
    VISA = "visa"
    MASTERCARD = "mastercard"
    AMEX = "amex"
    DISCOVER = "discover"
    JCB = "jcb"
    UNIONPAY = "unionpay"
    DINERS = "diners"


@dataclass(frozen=True)
class PaymentMethodInfo:
    reference: str
    brand: Brand
    first6: str
    last4: str
    expiry_month: int
    expiry_year: int
    holder_name: str
    fingerprint: str
    used: bool


class VerificationState(StrEnum):
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


@dataclass(frozen=True)
class Verification:
    """A deposit-backed verification of a payment method (a PSP's setup intent)."""

    reference: str
    state: VerificationState
    redirect_url: str | None
    failure_code: str | None
    charge: str | None


class RefundState(StrEnum):
    NONE = "none"
    PENDING = "pending"
    SUCCEEDED = "succeeded"


@dataclass(frozen=True)
class ChargeOutcome:
    reference: str
    succeeded: bool
    failure_code: str | None


@dataclass(frozen=True)
class WebhookEvent:
    id: str
    type: str
    # The verification the event is about, when it is about one.
    verification: str | None
    charge: str | None


class InvalidWebhook(Exception):
    """A webhook whose signature is missing, wrong or too old, or whose body is not ours."""


class PaymentGateway(Protocol):
    name: str
    publishable_key: str
    tokenization_url: str

    async def payment_method(self, token: str) -> PaymentMethodInfo | None: ...

    async def start_verification(
        self, *, token: str, deposit: Money, return_url: str | None, idempotency_key: str
    ) -> Verification: ...

    async def verification(self, reference: str) -> Verification | None: ...

    async def cancel_verification(self, reference: str) -> Verification | None: ...

    async def refund(self, charge: str) -> RefundState: ...

    async def refund_state(self, charge: str) -> RefundState: ...

    async def charge_off_session(
        self, *, token: str, amount: Money, idempotency_key: str
    ) -> ChargeOutcome: ...

    def parse_webhook(self, body: bytes, signature: str | None, now: datetime) -> WebhookEvent: ...
