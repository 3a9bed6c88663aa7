"""Step 5.3: binding a card, as a state machine driven by the payment gateway.

An attempt moves PROCESSING -> REQUIRES_ACTION -> SUCCEEDED | FAILED, and its deposit
NOT_CHARGED -> CHARGED -> REFUND_PENDING -> REFUNDED. Every move is one conditional UPDATE
(WHERE status is what it must be), so a repeated webhook, a retry or two processes racing
cannot apply it twice; each is published after it is written. What the gateway says is
always re-read from the gateway, so events may arrive late, twice or out of order.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from gateways.port import (
    Brand,
    CardDetails,
    PaymentGateway,
    PaymentMethod,
    RefundState,
    Verification,
    VerificationState,
    WebhookEvent,
)
from models.accounts import Account
from models.cards import (
    BindingIdempotencyKey,
    BindingStatus,
    CardBindingAttempt,
    DepositStatus,
    FailureReason,
    PaymentCard,
    ProcessedWebhookEvent,
)
from models.onboarding import AccountDetails
from services import messages
from services.accounts import Caller
from services.agreements import AgreementScope, current_agreements
from services.billing_dates import next_bill_date
from services.clock import Clock
from services.deposits import verification_deposit
from services.jobs import Job
from services.money import Money
from services.outbox import Outbox
from services.pagination import NewestFirst
from services.problems import ProblemCode, Refused
from services.pubsub import PubSub
from services.regions import find_region
from services.steps import AfterStep

log = logging.getLogger("onramp.cards")

ACTIVE = (BindingStatus.PROCESSING, BindingStatus.REQUIRES_ACTION)
TERMINAL = (BindingStatus.SUCCEEDED, BindingStatus.FAILED)
IDEMPOTENCY_WINDOW = timedelta(hours=24)
FAILURE_WINDOW = timedelta(hours=24)
# A PROCESSING attempt this old lost its way to the gateway: ask the gateway about it.
RECONCILE_AFTER = timedelta(seconds=30)
SWEEP_INTERVAL_S = 1.0

GATEWAY_FAILURES = {
    "declined": FailureReason.DECLINED,
    "card_declined": FailureReason.DECLINED,
    "insufficient_funds": FailureReason.INSUFFICIENT_FUNDS,
    "expired_card": FailureReason.EXPIRED_CARD,
    "incorrect_cvc": FailureReason.INCORRECT_CVC,
    "lost_or_stolen": FailureReason.LOST_OR_STOLEN,
    "processing_error": FailureReason.PROCESSING_ERROR,
    "authentication_failed": FailureReason.AUTHENTICATION_FAILED,
    "card_not_supported": FailureReason.CARD_NOT_SUPPORTED,
}

RESULTS = {
    BindingStatus.PROCESSING: "Starting the verification with the card's bank.",
    BindingStatus.REQUIRES_ACTION: "Waiting for you to confirm your identity on the bank's page.",
    BindingStatus.SUCCEEDED: (
        "Verified: the card is bound and your account is post-paid. The deposit is refunded "
        "to the card."
    ),
}
FAILURE_RESULTS = {
    FailureReason.DECLINED: (
        "Failed: the bank declined the card. Try another card or ask your bank why."
    ),
    FailureReason.INSUFFICIENT_FUNDS: (
        "Failed: the card could not cover the verification deposit. Add funds or use another card."
    ),
    FailureReason.EXPIRED_CARD: "Failed: the bank says the card has expired. Use a valid card.",
    FailureReason.INCORRECT_CVC: (
        "Failed: the security code did not match. Enter the card again with the code on its back."
    ),
    FailureReason.LOST_OR_STOLEN: (
        "Failed: the bank reported the card as lost or stolen. Use another card."
    ),
    FailureReason.PROCESSING_ERROR: (
        "Failed: the bank could not process the verification. Try again in a few minutes."
    ),
    FailureReason.AUTHENTICATION_FAILED: (
        "Failed: the identity check on the bank's page was not passed. Try again."
    ),
    FailureReason.AUTHENTICATION_TIMEOUT: (
        "Failed: the bank's identity check was not completed in time. Try again."
    ),
    FailureReason.CARD_NOT_SUPPORTED: "Failed: this card cannot be used for cloud services.",
}


def result_sentence(attempt: CardBindingAttempt) -> str:
    if attempt.status is BindingStatus.FAILED and attempt.failure_reason is not None:
        return FAILURE_RESULTS[attempt.failure_reason]
    return RESULTS.get(attempt.status, "Failed.")


def channel(attempt_id: object) -> str:
    return f"card-binding:{attempt_id}"


@dataclass(frozen=True)
class BindingRules:
    accepted_brands: frozenset[Brand]
    allowed_origins: tuple[str, ...]
    action_timeout: timedelta
    failures_per_account: int = 10
    failures_per_client_ip: int = 30


def check_return_url(url: str | None, allowed_origins: tuple[str, ...]) -> None:
    if url is not None and not _allowed_return_url(url, allowed_origins):
        raise Refused.because(
            ProblemCode.RETURN_URL_NOT_ALLOWED,
            "The bank page may only send the browser back to this site.",
            "returnUrl",
        )


def _allowed_return_url(url: str, allowed_origins: tuple[str, ...]) -> bool:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    if (
        parts.scheme not in ("http", "https")
        or parts.username
        or parts.password
        or not parts.hostname
    ):
        return False
    default_port = {"http": 80, "https": 443}[parts.scheme]
    origin = f"{parts.scheme}://{parts.hostname}" + (
        f":{port}" if port and port != default_port else ""
    )
    return origin in allowed_origins and len(url) <= 500


class CardBinding:
    def __init__(
        self,
        *,
        clock: Clock,
        gateway: PaymentGateway,
        pubsub: PubSub,
        outbox: Outbox,
        rules: BindingRules,
        after_step: AfterStep,
    ) -> None:
        self.clock = clock
        self.gateway = gateway
        self.pubsub = pubsub
        self.outbox = outbox
        self.rules = rules
        self.after_step = after_step

    # bindCard

    async def bind(
        self,
        account: Account,
        *,
        token: str,
        accept_terms: bool,
        return_url: str | None,
        idempotency_key: str,
        caller: Caller,
    ) -> CardBindingAttempt:
        key = idempotency_key.strip()
        if not 1 <= len(key) <= 128:
            raise Refused.because(
                ProblemCode.INVALID_INPUT,
                "Give an idempotency key of 1 to 128 characters.",
                "idempotencyKey",
            )
        request_hash = hashlib.sha256(
            json.dumps([token, accept_terms, return_url]).encode()
        ).hexdigest()
        replay = await self._replay(account, key, request_hash)
        if replay is not None:
            return replay
        method = await self._check(account, token, accept_terms, return_url, caller)
        region = find_region(account.region_code)
        assert region is not None
        deposit = verification_deposit(region.currency)
        now = self.clock.now()
        terms = current_agreements(AgreementScope.PAYMENT, now)[0]
        attempt_id = uuid.uuid4()
        if not await self._claim_slot(account, attempt_id):
            raise Refused.because(
                ProblemCode.BINDING_IN_PROGRESS,
                "A card is already being verified. Finish or wait for that one first.",
            )
        try:
            async with in_transaction():
                attempt = await CardBindingAttempt.create(
                    id=attempt_id,
                    account_id=account.id,
                    gateway_payment_method=method.reference,
                    **method.card.columns(),
                    deposit_amount=str(deposit.amount),
                    deposit_currency=deposit.currency,
                    return_url=return_url,
                    service_terms_id=terms.id,
                    terms_accepted_at=now,
                    client_ip=caller.client_ip[:64],
                    user_agent=caller.user_agent[:512],
                    created_at=now,
                    updated_at=now,
                )
                await BindingIdempotencyKey.create(
                    account_id=account.id,
                    key=key,
                    request_hash=request_hash,
                    attempt_id=attempt.id,
                    created_at=now,
                )
        except IntegrityError:
            # The same key raced in from another request: answer as that request did.
            await Account.filter(id=account.id, binding_attempt_id=attempt_id).update(
                binding_attempt_id=None
            )
            replay = await self._replay(account, key, request_hash)
            if replay is None:
                raise Refused.because(
                    ProblemCode.IDEMPOTENCY_KEY_REUSED,
                    "This idempotency key is in use.",
                    "idempotencyKey",
                ) from None
            return replay
        await self._publish(attempt.id)
        await self._start(attempt)
        return await CardBindingAttempt.get(id=attempt.id)

    async def _replay(
        self, account: Account, key: str, request_hash: str
    ) -> CardBindingAttempt | None:
        """The attempt a key already started, None for a new key; refused for other input."""
        stored = await BindingIdempotencyKey.get_or_none(account_id=account.id, key=key)
        if stored is None:
            return None
        if stored.created_at <= self.clock.now() - IDEMPOTENCY_WINDOW:
            await BindingIdempotencyKey.filter(id=stored.id).delete()
            return None
        if stored.request_hash != request_hash:
            raise Refused.because(
                ProblemCode.IDEMPOTENCY_KEY_REUSED,
                "This idempotency key was used with other input. Use a new key for a new request.",
                "idempotencyKey",
            )
        return await CardBindingAttempt.get(id=stored.attempt_id)

    async def _check(
        self,
        account: Account,
        token: str,
        accept_terms: bool,
        return_url: str | None,
        caller: Caller,
    ) -> PaymentMethod:
        if account.cloud_enabled_at is None or not await AccountDetails.exists(
            account_id=account.id
        ):
            raise Refused.because(
                ProblemCode.PREREQUISITE_MISSING,
                "Enable cloud services and complete your account details before adding a card.",
            )
        if not accept_terms:
            raise Refused.because(
                ProblemCode.TERMS_NOT_ACCEPTED,
                "Accept the payment service terms to add a card.",
                "acceptServiceTerms",
            )
        method = await self.gateway.payment_method(token.strip()) if token.strip() else None
        if method is None or method.used:
            raise Refused.because(
                ProblemCode.PAYMENT_METHOD_INVALID,
                "This card token is not valid: enter the card again.",
                "paymentMethodToken",
            )
        today = self.clock.now()
        card = method.card
        if (card.expiry_year, card.expiry_month) < (today.year, today.month):
            raise Refused.because(
                ProblemCode.CARD_EXPIRED, "This card has expired.", "paymentMethodToken"
            )
        if card.brand not in self.rules.accepted_brands:
            raise Refused.because(
                ProblemCode.CARD_BRAND_NOT_SUPPORTED,
                "Cards of this brand are not accepted.",
                "paymentMethodToken",
            )
        check_return_url(return_url, self.rules.allowed_origins)
        await self._check_failure_caps(account, caller)
        return method

    async def _check_failure_caps(self, account: Account, caller: Caller) -> None:
        since = self.clock.now() - FAILURE_WINDOW
        for filters, cap in (
            ({"account_id": account.id}, self.rules.failures_per_account),
            ({"client_ip": caller.client_ip[:64]}, self.rules.failures_per_client_ip),
        ):
            failed = CardBindingAttempt.filter(
                status=BindingStatus.FAILED, completed_at__gt=since, **filters
            )
            if await failed.count() >= cap:
                oldest = await failed.order_by("completed_at").values_list(
                    "completed_at", flat=True
                )
                raise Refused.because(
                    ProblemCode.RATE_LIMITED,
                    "Too many cards failed verification today. Try again later or open a "
                    "service ticket.",
                    retry_after=oldest[0] + FAILURE_WINDOW,
                )

    async def _claim_slot(self, account: Account, attempt_id: uuid.UUID) -> bool:
        if await Account.filter(id=account.id, binding_attempt_id=None).update(
            binding_attempt_id=attempt_id
        ):
            return True
        # A slot left behind by an attempt that has since ended is free to take over.
        holder = await Account.get(id=account.id).values_list("binding_attempt_id", flat=True)
        if holder and await CardBindingAttempt.filter(id=holder, status__in=TERMINAL).exists():
            return bool(
                await Account.filter(id=account.id, binding_attempt_id=holder).update(
                    binding_attempt_id=attempt_id
                )
            )
        return False

    async def _start(self, attempt: CardBindingAttempt) -> None:
        try:
            verification = await self.gateway.start_verification(
                token=attempt.gateway_payment_method,
                deposit=_deposit(attempt),
                return_url=attempt.return_url,
                idempotency_key=str(attempt.id),
            )
        except Exception:
            # Left PROCESSING: the sweep asks the gateway again later.
            log.exception("starting verification of attempt %s failed", attempt.id)
            return
        await self._apply_start(attempt, verification)

    async def _apply_start(self, attempt: CardBindingAttempt, verification: Verification) -> None:
        if verification.redirect_url is None:
            # The gateway has it, but the single-use bank link is gone with a crash.
            await self.gateway.cancel_verification(verification.reference)
            await self._fail(attempt.id, FailureReason.PROCESSING_ERROR)
            return
        now = self.clock.now()
        moved = await CardBindingAttempt.filter(
            id=attempt.id, status=BindingStatus.PROCESSING
        ).update(
            status=BindingStatus.REQUIRES_ACTION,
            gateway_intent=verification.reference,
            redirect_url=verification.redirect_url,
            action_expires_at=now + self.rules.action_timeout,
            updated_at=now,
        )
        if moved:
            await self._publish(attempt.id)

    # What the gateway tells us

    async def receive(self, event: WebhookEvent) -> None:
        """Handles a verified webhook event once; a redelivered one changes nothing."""
        if await ProcessedWebhookEvent.exists(event_id=event.id):
            return
        await self.handle_event(event)
        with contextlib.suppress(IntegrityError):  # a concurrent delivery recorded it first
            await ProcessedWebhookEvent.create(event_id=event.id, received_at=self.clock.now())

    async def handle_event(self, event: WebhookEvent) -> None:
        if event.verification:
            await self.sync_verification(event.verification)
        if event.charge:
            await self.sync_refund(event.charge)

    async def sync_verification(self, reference: str) -> None:
        attempt = await CardBindingAttempt.get_or_none(gateway_intent=reference)
        verification = await self.gateway.verification(reference)
        if attempt is None or verification is None:
            return
        if verification.state is VerificationState.SUCCEEDED and verification.charge:
            await self._succeed(attempt, verification.charge)
        elif verification.state is VerificationState.FAILED:
            reason = GATEWAY_FAILURES.get(verification.failure_code or "", FailureReason.DECLINED)
            await self._fail(attempt.id, reason)
        elif verification.state is VerificationState.CANCELED:
            await self._fail(attempt.id, FailureReason.AUTHENTICATION_TIMEOUT)

    async def sync_refund(self, charge: str) -> None:
        attempt = await CardBindingAttempt.get_or_none(gateway_charge=charge)
        if attempt is None:
            return
        if await self.gateway.refund_state(charge) is RefundState.SUCCEEDED:
            moved = await CardBindingAttempt.filter(
                id=attempt.id,
                deposit_status__in=(DepositStatus.CHARGED, DepositStatus.REFUND_PENDING),
            ).update(deposit_status=DepositStatus.REFUNDED, updated_at=self.clock.now())
            if moved:
                await self._publish(attempt.id)

    async def _succeed(self, attempt: CardBindingAttempt, charge: str) -> None:
        now = self.clock.now()
        async with in_transaction():
            moved = await CardBindingAttempt.filter(id=attempt.id, status__in=ACTIVE).update(
                status=BindingStatus.SUCCEEDED,
                deposit_status=DepositStatus.CHARGED,
                gateway_charge=charge,
                completed_at=now,
                updated_at=now,
            )
            if not moved:
                return
            first = not await PaymentCard.filter(account_id=attempt.account_id).exists()
            card = await PaymentCard.create(
                account_id=attempt.account_id,
                gateway_payment_method=attempt.gateway_payment_method,
                **CardDetails.of(attempt).columns(),
                is_default=first,
                bound_at=now,
            )
            await CardBindingAttempt.filter(id=attempt.id).update(card_id=card.id)
            await Account.filter(id=attempt.account_id, binding_attempt_id=attempt.id).update(
                binding_attempt_id=None
            )
        await self._publish(attempt.id)
        account = await Account.get(id=attempt.account_id)
        await self.outbox.send_email(
            account.email_display,
            messages.card_bound(
                attempt.brand.upper(), attempt.last4, next_bill_date(now.date()).isoformat()
            ),
        )
        await self.after_step(account)
        await self._request_refund(attempt.id, charge)

    async def _request_refund(self, attempt_id: uuid.UUID, charge: str) -> None:
        state = await self.gateway.refund(charge)
        moved = await CardBindingAttempt.filter(
            id=attempt_id, deposit_status=DepositStatus.CHARGED
        ).update(deposit_status=DepositStatus.REFUND_PENDING, updated_at=self.clock.now())
        if moved:
            await self._publish(attempt_id)
        if state is RefundState.SUCCEEDED:
            await self.sync_refund(charge)

    async def _fail(self, attempt_id: uuid.UUID, reason: FailureReason) -> None:
        now = self.clock.now()
        moved = await CardBindingAttempt.filter(id=attempt_id, status__in=ACTIVE).update(
            status=BindingStatus.FAILED, failure_reason=reason, completed_at=now, updated_at=now
        )
        if not moved:
            return
        attempt = await CardBindingAttempt.get(id=attempt_id)
        await Account.filter(id=attempt.account_id, binding_attempt_id=attempt_id).update(
            binding_attempt_id=None
        )
        await self._publish(attempt_id)

    async def _publish(self, attempt_id: uuid.UUID) -> None:
        await self.pubsub.publish(channel(attempt_id), "changed")

    # Background work, safe in every process at once

    async def sweep(self) -> None:
        now = self.clock.now()
        for attempt in await CardBindingAttempt.filter(
            status=BindingStatus.REQUIRES_ACTION, action_expires_at__lte=now
        ):
            await self._time_out(attempt)
        for attempt in await CardBindingAttempt.filter(
            status=BindingStatus.PROCESSING, updated_at__lte=now - RECONCILE_AFTER
        ):
            await self._reconcile(attempt)
        for attempt in await CardBindingAttempt.filter(deposit_status=DepositStatus.CHARGED):
            if attempt.gateway_charge:
                await self._request_refund(attempt.id, attempt.gateway_charge)
        for attempt in await CardBindingAttempt.filter(deposit_status=DepositStatus.REFUND_PENDING):
            if attempt.gateway_charge:
                await self.sync_refund(attempt.gateway_charge)

    async def _time_out(self, attempt: CardBindingAttempt) -> None:
        if attempt.gateway_intent is None:
            await self._fail(attempt.id, FailureReason.AUTHENTICATION_TIMEOUT)
            return
        # Cancel first, then believe the gateway: the bank may have answered just in time.
        await self.gateway.cancel_verification(attempt.gateway_intent)
        await self.sync_verification(attempt.gateway_intent)

    async def _reconcile(self, attempt: CardBindingAttempt) -> None:
        if attempt.gateway_intent is not None:
            await self.sync_verification(attempt.gateway_intent)
            return
        log.info("reconciling attempt %s with the gateway", attempt.id)
        await self._start(attempt)

    def jobs(self) -> list[Job]:
        return [Job("card-binding", self.sweep, SWEEP_INTERVAL_S)]

    # Reading

    async def attempt_of(
        self, account_id: uuid.UUID, attempt_id: uuid.UUID
    ) -> CardBindingAttempt | None:
        return await CardBindingAttempt.get_or_none(id=attempt_id, account_id=account_id)

    def history(self, account_id: uuid.UUID) -> NewestFirst[CardBindingAttempt]:
        """The account's attempts, newest first: the Historical Cards page."""
        return NewestFirst(CardBindingAttempt.filter(account_id=account_id), "created_at")


def _deposit(attempt: CardBindingAttempt) -> Money:
    return Money.of(attempt.deposit_amount, attempt.deposit_currency)
