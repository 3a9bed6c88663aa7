"""The sandbox payment gateway: an in-process PSP that behaves like a real one.

Card fields come to its tokenizer, never to the GraphQL API; it keeps brand, first six,
last four, expiry, holder and an HMAC fingerprint, never the number or security code.
Verification sends every card to its bank page; results reach the merchant as signed
webhooks, delivered at least once. Test cards decide what follows an approval.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import httpx
from starlette.routing import BaseRoute
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from gateways.port import (
    CardDetails,
    ChargeOutcome,
    InvalidWebhook,
    PaymentMethod,
    PaymentMethodUnusable,
    RefundState,
    Verification,
    VerificationState,
    WebhookEvent,
)
from gateways.sandbox.cards import BEHAVIOR, CardFields, check_card
from gateways.sandbox.models import (
    SandboxCharge,
    SandboxIntent,
    SandboxPaymentMethod,
    SandboxWebhook,
)
from gateways.sandbox.routes import sandbox_routes
from services.clock import Clock
from services.jobs import Job, backoff
from services.keys import KeyRing, Purpose
from services.money import Money
from services.ratelimit import RateLimiter, Rule

log = logging.getLogger("onramp.sandbox")

SIGNATURE_TOLERANCE_S = 300
REFUND_RETRY_BASE = timedelta(seconds=5)
MAX_REFUND_DELAY = timedelta(hours=1)
WEBHOOK_RETRY_BASE = timedelta(seconds=1)
MAX_WEBHOOK_DELAY = timedelta(hours=1)
WEBHOOK_BATCH = 50
WEBHOOK_CONCURRENCY = 8
POLL_INTERVAL_S = 1.0
# Merchant-side: where the sandbox's events arrive, and the header that signs them.
WEBHOOK_PATH = "/webhooks/payments"
SIGNATURE_HEADER = "webhook-signature"


def _id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


class SandboxGateway:
    name = "sandbox"
    webhook_path = WEBHOOK_PATH

    def __init__(
        self,
        *,
        clock: Clock,
        keys: KeyRing,
        public_url: str,
        publishable_key: str | None,
        webhook_secret: str | None,
        limiter: RateLimiter,
        tokenizations_per_ip: Rule,
        merchant: Callable[[], httpx.AsyncClient],
    ) -> None:
        """`merchant` opens a client that reaches the merchant's webhook route."""
        self.clock = clock
        self.keys = keys
        self.public_url = public_url
        self.limiter = limiter
        self.tokenizations_per_ip = tokenizations_per_ip
        self.merchant = merchant
        self.publishable_key = (
            publishable_key or "pk_sandbox_" + keys.mac(Purpose.GATEWAY, "publishable")[:24]
        )
        self.webhook_secret = (
            webhook_secret or "whsec_" + keys.mac(Purpose.WEBHOOKS, "sandbox")
        ).encode()
        self.tokenization_url = f"{public_url}/sandbox/tokens"
        self.webhook_url = f"{public_url}{WEBHOOK_PATH}"
        self._refunds_due = asyncio.Event()
        self._webhooks_due = asyncio.Event()

    def routes(self) -> list[BaseRoute]:
        return sandbox_routes(self)

    # The tokenizer (card fields in, token out).

    async def tokenize(self, fields: CardFields) -> SandboxPaymentMethod:
        brand = check_card(fields, self.clock.now())
        number = "".join(ch for ch in fields.number if ch.isdigit())
        card = CardDetails(
            brand=brand,
            first6=number[:6],
            last4=number[-4:],
            expiry_month=fields.exp_month,
            expiry_year=fields.exp_year,
            holder_name=fields.holder_name.strip()[:100],
            fingerprint=self.keys.mac(Purpose.CARD_FINGERPRINTS, number),
        )
        return await SandboxPaymentMethod.create(
            id=_id("pm"),
            **card.columns(),
            behavior=BEHAVIOR.get(number, "succeed"),
            created_at=self.clock.now(),
        )

    # The port.

    async def payment_method(self, token: str) -> PaymentMethod | None:
        method = await SandboxPaymentMethod.get_or_none(id=token[:64])
        if method is None:
            return None
        return PaymentMethod(
            reference=method.id, card=CardDetails.of(method), used=method.attached_at is not None
        )

    async def start_verification(
        self,
        *,
        token: str,
        deposit: Money,
        return_url: str | None,
        idempotency_key: str,
        account: str,
    ) -> Verification:
        del account  # the sandbox keeps no customers
        existing = await SandboxIntent.get_or_none(idempotency_key=idempotency_key)
        if existing is not None:
            return _verification(existing, None)
        now = self.clock.now()
        async with in_transaction():
            attached = await SandboxPaymentMethod.filter(id=token, attached_at=None).update(
                attached_at=now
            )
            if not attached:
                raise PaymentMethodUnusable(f"payment method {token[:64]} unknown or already used")
            return await self._awaiting_bank("seti", idempotency_key, token, deposit, return_url)

    async def _awaiting_bank(
        self, prefix: str, idempotency_key: str, token: str, amount: Money, return_url: str | None
    ) -> Verification:
        """An intent that the bank page decides, and the single-use link to that page."""
        bank_token = secrets.token_urlsafe(24)
        now = self.clock.now()
        intent = await SandboxIntent.create(
            id=_id(prefix),
            idempotency_key=idempotency_key,
            payment_method_id=token,
            amount=str(amount.amount),
            currency=amount.currency,
            return_url=return_url,
            status=VerificationState.REQUIRES_ACTION.value,
            bank_token_mac=self.keys.mac(Purpose.BANK_PAGE, bank_token),
            created_at=now,
            updated_at=now,
        )
        return _verification(intent, self.bank_url(bank_token))

    def bank_url(self, bank_token: str) -> str:
        return f"{self.public_url}/sandbox/bank/{bank_token}"

    async def verification(self, reference: str) -> Verification | None:
        intent = await SandboxIntent.get_or_none(id=reference)
        return _verification(intent, None) if intent else None

    async def cancel_verification(self, reference: str) -> Verification | None:
        await SandboxIntent.filter(
            id=reference, status=VerificationState.REQUIRES_ACTION.value
        ).update(status=VerificationState.CANCELED.value, updated_at=self.clock.now())
        return await self.verification(reference)

    async def refund(self, charge: str) -> RefundState:
        await SandboxCharge.filter(id=charge, status="captured", refund_status="none").update(
            refund_status="pending", refund_next_attempt_at=self.clock.now()
        )
        # Asked again while pending (support pressing a stuck refund): the next try is now.
        await SandboxCharge.filter(id=charge, refund_status="pending").update(
            refund_next_attempt_at=self.clock.now()
        )
        self._refunds_due.set()
        return await self.refund_state(charge)

    async def refund_state(self, charge: str) -> RefundState:
        row = await SandboxCharge.get_or_none(id=charge)
        return RefundState(row.refund_status) if row else RefundState.NONE

    async def detach(self, payment_method: str) -> None:
        await SandboxPaymentMethod.filter(id=payment_method, detached_at=None).update(
            detached_at=self.clock.now()
        )

    async def charge_off_session(
        self, *, token: str, amount: Money, idempotency_key: str
    ) -> ChargeOutcome:
        existing = await SandboxCharge.get_or_none(id=f"ch_{_short(idempotency_key)}")
        if existing is None:
            method = await SandboxPaymentMethod.get(id=token)
            failure = (
                "payment_method_detached"
                if method.detached_at is not None
                else "card_declined"
                if method.behavior == "off_session_fails"
                # The bank wants the person for every charge: none can pass without them.
                else "authentication_required"
                if method.behavior == "charges_need_action"
                else None
            )
            existing = await SandboxCharge.create(
                id=f"ch_{_short(idempotency_key)}",
                payment_method=method,
                amount=str(amount.amount),
                currency=amount.currency,
                status="failed" if failure else "captured",
                failure_code=failure,
                off_session=True,
                created_at=self.clock.now(),
            )
        return ChargeOutcome(existing.id, existing.status == "captured", existing.failure_code)

    async def charge_on_session(
        self,
        *,
        token: str,
        amount: Money,
        return_url: str | None,
        idempotency_key: str,
        account: str,
    ) -> Verification:
        del account  # the sandbox keeps no customers
        existing = await SandboxIntent.get_or_none(idempotency_key=idempotency_key)
        if existing is not None:
            return _verification(existing, None)
        method = await SandboxPaymentMethod.get(id=token)
        now = self.clock.now()
        if method.behavior != "charges_need_action" or method.detached_at is not None:
            # No identity check asked: captured (or refused) at once, as a payment intent
            # that is already final.
            failure = "payment_method_detached" if method.detached_at is not None else None
            async with in_transaction():
                charge = None
                if failure is None:
                    charge = await SandboxCharge.create(
                        id=f"ch_{_short(idempotency_key)}",
                        payment_method=method,
                        amount=str(amount.amount),
                        currency=amount.currency,
                        status="captured",
                        created_at=now,
                    )
                intent = await SandboxIntent.create(
                    id=_id("pi"),
                    idempotency_key=idempotency_key,
                    payment_method_id=token,
                    amount=str(amount.amount),
                    currency=amount.currency,
                    return_url=return_url,
                    status=(
                        VerificationState.FAILED if failure else VerificationState.SUCCEEDED
                    ).value,
                    failure_code=failure,
                    # Never shown: no bank page for this intent.
                    bank_token_mac=self.keys.mac(Purpose.BANK_PAGE, secrets.token_urlsafe(24)),
                    bank_token_used_at=now,
                    charge=charge.id if charge else None,
                    created_at=now,
                    updated_at=now,
                )
            return _verification(intent, None)
        # The bank wants the person: its page decides, and its approval captures the charge.
        return await self._awaiting_bank("pi", idempotency_key, token, amount, return_url)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str], now: datetime) -> WebhookEvent:
        signature = headers.get(SIGNATURE_HEADER, "")
        parts = dict(item.split("=", 1) for item in signature.split(",") if "=" in item)
        try:
            sent_at = int(parts["t"])
        except (KeyError, ValueError) as error:
            raise InvalidWebhook("no signature") from error
        expected = self.sign(body, sent_at)
        if not hmac.compare_digest(parts.get("v1", ""), expected):
            raise InvalidWebhook("wrong signature")
        if abs(now.timestamp() - sent_at) > SIGNATURE_TOLERANCE_S:
            raise InvalidWebhook("signature too old")
        try:
            event = json.loads(body)
            data = event["data"]
            event_type = str(event["type"])
            # An event is about one object, as Stripe's are: a verification's names its
            # charge and a refund's names its verification, but neither is news about the
            # other (reading it again would cost a handler two to four queries for nothing).
            about = event_type.split(".", 1)[0]
            return WebhookEvent(
                id=str(event["id"]),
                type=event_type,
                verification=data.get("verification") if about == "verification" else None,
                charge=data.get("charge") if about == "charge" else None,
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise InvalidWebhook("not an event") from error

    def sign(self, body: bytes, timestamp: int) -> str:
        signed = str(timestamp).encode() + b"." + body
        return hmac.new(self.webhook_secret, signed, hashlib.sha256).hexdigest()

    # The bank page.

    async def intent_for_bank_token(self, bank_token: str) -> SandboxIntent | None:
        return await SandboxIntent.get_or_none(
            bank_token_mac=self.keys.mac(Purpose.BANK_PAGE, bank_token[:128])
        )

    async def answer_bank_page(self, bank_token: str, approve: bool) -> SandboxIntent | None:
        """Completes the identity check once; None when the link is unknown or spent."""
        now = self.clock.now()
        token_mac = self.keys.mac(Purpose.BANK_PAGE, bank_token[:128])
        used = await SandboxIntent.filter(
            bank_token_mac=token_mac,
            bank_token_used_at=None,
            status=VerificationState.REQUIRES_ACTION.value,
        ).update(bank_token_used_at=now, status=VerificationState.PROCESSING.value, updated_at=now)
        if not used:
            return None
        intent = await SandboxIntent.get(bank_token_mac=token_mac).select_related("payment_method")
        behavior = intent.payment_method.behavior
        if not approve:
            await self._fail(intent, "authentication_failed")
        elif behavior.startswith("fail:"):
            await self._fail(intent, behavior.removeprefix("fail:"))
        else:
            await self._succeed(intent)
        return intent

    async def _fail(self, intent: SandboxIntent, code: str) -> None:
        await SandboxIntent.filter(id=intent.id).update(
            status=VerificationState.FAILED.value, failure_code=code, updated_at=self.clock.now()
        )
        await self._emit("verification.failed", {"verification": intent.id})

    async def _succeed(self, intent: SandboxIntent) -> None:
        now = self.clock.now()
        async with in_transaction():
            charge = await SandboxCharge.create(
                id=_id("ch"),
                payment_method_id=intent.payment_method_id,
                amount=intent.amount,
                currency=intent.currency,
                status="captured",
                created_at=now,
            )
            await SandboxIntent.filter(id=intent.id).update(
                status=VerificationState.SUCCEEDED.value, charge=charge.id, updated_at=now
            )
        await self._emit("verification.succeeded", {"verification": intent.id, "charge": charge.id})

    # Background work: refunds and webhook deliveries.

    async def _emit(self, event_type: str, data: dict[str, str]) -> None:
        now = self.clock.now()
        event_id = _id("evt")
        payload = {
            "id": event_id,
            "type": event_type,
            "created": int(now.timestamp()),
            "data": data,
        }
        await SandboxWebhook.create(
            id=event_id, type=event_type, payload=payload, next_attempt_at=now, created_at=now
        )
        self._webhooks_due.set()

    async def process_refunds(self) -> None:
        now = self.clock.now()
        due = await SandboxCharge.filter(
            refund_status="pending", refund_next_attempt_at__lte=now
        ).select_related("payment_method")
        for charge in due:
            claimed = await SandboxCharge.filter(
                id=charge.id, refund_status="pending", refund_attempts=charge.refund_attempts
            ).update(refund_attempts=F("refund_attempts") + 1)
            if not claimed:
                continue
            if (
                charge.payment_method.behavior == "refund_fails_first"
                and charge.refund_attempts == 0
            ):
                delay = backoff(
                    charge.refund_attempts + 1, base=REFUND_RETRY_BASE, cap=MAX_REFUND_DELAY
                )
                await SandboxCharge.filter(id=charge.id).update(refund_next_attempt_at=now + delay)
                log.info("sandbox refund of %s failed; retrying", charge.id)
                continue
            await SandboxCharge.filter(id=charge.id).update(refund_status="succeeded")
            intent = await SandboxIntent.get_or_none(charge=charge.id)
            data = {"charge": charge.id} | ({"verification": intent.id} if intent else {})
            await self._emit("charge.refunded", data)

    async def deliver_webhooks(self, client: httpx.AsyncClient) -> bool:
        """Delivers what is due; True when the batch was full, so more may be waiting.

        As a real provider does, events about different objects go out at once (up to
        WEBHOOK_CONCURRENCY in flight), so one slow handler holds up no one else's result;
        the events of one object go out in the order they happened.
        """
        now = self.clock.now()
        due = (
            await SandboxWebhook.filter(delivered_at=None, next_attempt_at__lte=now)
            .filter(Q(lease_until=None) | Q(lease_until__lt=now))
            .order_by("created_at")
            .limit(WEBHOOK_BATCH)
        )
        by_object: dict[str, list[SandboxWebhook]] = defaultdict(list)
        for event in due:
            data = event.payload.get("data", {})
            by_object[str(data.get("verification") or data.get("charge") or event.id)].append(event)
        in_flight = asyncio.Semaphore(WEBHOOK_CONCURRENCY)

        async def in_order(events: list[SandboxWebhook]) -> None:
            for event in events:
                async with in_flight:
                    claimed = await SandboxWebhook.filter(
                        id=event.id, attempts=event.attempts
                    ).update(attempts=F("attempts") + 1, lease_until=now + timedelta(seconds=30))
                    if not claimed:
                        return  # another process has it, and what follows it
                    await self._deliver(client, event)

        await asyncio.gather(*(in_order(events) for events in by_object.values()))
        return len(due) == WEBHOOK_BATCH

    async def _deliver(self, client: httpx.AsyncClient, event: SandboxWebhook) -> None:
        body = json.dumps(event.payload, separators=(",", ":")).encode()
        timestamp = int(self.clock.now().timestamp())
        headers = {
            "content-type": "application/json",
            SIGNATURE_HEADER: f"t={timestamp},v1={self.sign(body, timestamp)}",
        }
        try:
            response = await client.post(self.webhook_url, content=body, headers=headers)
            delivered = 200 <= response.status_code < 300
        except httpx.HTTPError:
            delivered = False
        now = self.clock.now()
        if delivered:
            await SandboxWebhook.filter(id=event.id).update(delivered_at=now, lease_until=None)
            return
        # event.attempts was read before this attempt was claimed: it counts earlier failures.
        delay = backoff(event.attempts + 1, base=WEBHOOK_RETRY_BASE, cap=MAX_WEBHOOK_DELAY)
        await SandboxWebhook.filter(id=event.id).update(
            next_attempt_at=now + delay, lease_until=None
        )
        log.warning(
            "sandbox webhook %s not accepted; retrying in %ss",
            event.type,
            int(delay.total_seconds()),
        )

    async def deliver_due_webhooks(self) -> bool:
        """The webhook job's step: one batch through a client to the merchant."""
        async with self.merchant() as client:
            return await self.deliver_webhooks(client)

    def jobs(self) -> list[Job]:
        """Refunds and webhook deliveries, at once when there is new work, else every second."""
        return [
            Job("sandbox-refunds", self.process_refunds, POLL_INTERVAL_S, self._refunds_due),
            Job(
                "sandbox-webhooks",
                self.deliver_due_webhooks,
                POLL_INTERVAL_S,
                self._webhooks_due,
            ),
        ]


def _verification(intent: SandboxIntent, redirect_url: str | None) -> Verification:
    return Verification(
        reference=intent.id,
        state=VerificationState(intent.status),
        redirect_url=redirect_url,
        failure_code=intent.failure_code,
        charge=intent.charge,
    )


def _short(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:24]
