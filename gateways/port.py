"""The payment gateway port: everything Onramp asks of a PSP, and what it tells us back.

Each gateway is a package beside this module (`gateways/sandbox/`, ...) that implements
`PaymentGateway`, keeps its own tables, and contributes its own HTTP routes and background
jobs through the port, so that nothing outside `gateways/` names a concrete gateway.
Onramp never sees a card number or security code: only tokens and what the gateway says
of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, TypedDict

from starlette.routing import BaseRoute

from services.jobs import Job
from services.money import Money


class Brand(StrEnum):
    VISA = "visa"
    MASTERCARD = "mastercard"
    AMEX = "amex"
    DISCOVER = "discover"
    JCB = "jcb"
    UNIONPAY = "unionpay"
    DINERS = "diners"


class CardColumns(TypedDict):
    brand: str
    first6: str
    last4: str
    expiry_month: int
    expiry_year: int
    holder_name: str
    fingerprint: str


@dataclass(frozen=True)
class CardDetails:
    """All of a card that may be kept: never its number or security code.

    The fingerprint is an HMAC of the number under its own key: the same card twice is
    recognisable, the number is not recoverable.
    """

    brand: Brand
    first6: str
    last4: str
    expiry_month: int
    expiry_year: int
    holder_name: str
    fingerprint: str

    @classmethod
    def of(cls, row: Any) -> CardDetails:
        """Read from any row that stores a card's details under these column names."""
        return cls(
            brand=Brand(row.brand),
            first6=row.first6,
            last4=row.last4,
            expiry_month=row.expiry_month,
            expiry_year=row.expiry_year,
            holder_name=row.holder_name,
            fingerprint=row.fingerprint,
        )

    def columns(self) -> CardColumns:
        """The same, as the columns of a row that stores them."""
        return {
            "brand": self.brand.value,
            "first6": self.first6,
            "last4": self.last4,
            "expiry_month": self.expiry_month,
            "expiry_year": self.expiry_year,
            "holder_name": self.holder_name,
            "fingerprint": self.fingerprint,
        }


@dataclass(frozen=True)
class PaymentMethod:
    """A tokenized card as the gateway knows it; `used` once a verification took it."""

    reference: str
    card: CardDetails
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
    # Given up by the gateway after its own retries.
    FAILED = "failed"


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
    # The charge whose refund (or released hold) the event is about, when it is about one.
    charge: str | None


class PaymentMethodUnusable(Exception):
    """start_verification's answer for a payment method that is unknown or already taken.

    Asking again cannot help: the attempt fails at once instead of waiting for the sweep.
    """


class InvalidWebhook(Exception):
    """A webhook whose signature is missing, wrong or too old, or whose body is not ours."""


class PaymentGateway(Protocol):
    name: str
    publishable_key: str
    tokenization_url: str
    # Where the gateway's webhooks arrive (POST), e.g. /webhooks/payments.
    webhook_path: str

    def routes(self) -> Sequence[BaseRoute]:
        """The gateway's own HTTP pages (a tokenizer, a bank page), if it serves any."""
        ...

    def jobs(self) -> Sequence[Job]:
        """Its own background work; every job is safe to run in every process at once."""
        ...

    async def payment_method(self, token: str) -> PaymentMethod | None: ...

    async def start_verification(
        self,
        *,
        token: str,
        deposit: Money,
        return_url: str | None,
        idempotency_key: str,
        account: str,
    ) -> Verification:
        """Attaches the payment method and starts its verification, in one step.

        `account` is the Onramp account the card is bound to (a gateway may keep a customer
        per account). The answer may already be final (SUCCEEDED or FAILED) when the bank
        asks for no identity check.

        Raises PaymentMethodUnusable when the method is unknown or another verification
        took it (the check and the taking are one conditional write at the gateway).
        """
        ...

    async def verification(self, reference: str) -> Verification | None: ...

    async def cancel_verification(self, reference: str) -> Verification | None: ...

    async def refund(self, charge: str) -> RefundState:
        """Refunds the charge once, however often asked; asked again while the refund is
        pending (support pressing a stuck one), the gateway tries it again now if it can."""
        ...

    async def refund_state(self, charge: str) -> RefundState: ...

    async def detach(self, payment_method: str) -> None:
        """The card is removed: the gateway forgets it, and it can be charged no more."""
        ...

    async def charge_off_session(
        self, *, token: str, amount: Money, idempotency_key: str
    ) -> ChargeOutcome: ...

    async def charge_on_session(
        self,
        *,
        token: str,
        amount: Money,
        return_url: str | None,
        idempotency_key: str,
        account: str,
    ) -> Verification:
        """A charge the person asked for (payBill): the bank may want its identity page.

        The answer is SUCCEEDED or FAILED at once, or REQUIRES_ACTION with the bank page's
        `redirect_url`; its later state is read with `verification(reference)`, and the
        gateway's webhooks name it as their `verification`.
        """
        ...

    def parse_webhook(
        self, body: bytes, headers: Mapping[str, str], now: datetime
    ) -> WebhookEvent: ...
