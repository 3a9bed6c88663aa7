"""The card-binding state machine: every move of an attempt and of its deposit.

An attempt moves PROCESSING -> REQUIRES_ACTION -> SUCCEEDED | FAILED, and its deposit
NOT_CHARGED -> CHARGED -> REFUND_PENDING -> REFUNDED. Every move is one conditional UPDATE
(WHERE status is what it must be), so a repeated webhook, a retry or two processes racing
cannot apply it twice; each is published after it is written. What the gateway says is
always re-read from the gateway, so events may arrive late, twice or out of order.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from tortoise.transactions import in_transaction

from gateways.port import (
    CardDetails,
    PaymentGateway,
    PaymentMethodUnusable,
    RefundState,
    Verification,
    VerificationState,
)
from models.accounts import Account
from models.cards import (
    BindingStatus,
    CardBindingAttempt,
    DepositStatus,
    FailureReason,
    PaymentCard,
)
from services import messages
from services.billing_dates import next_bill_date
from services.cards.results import GATEWAY_FAILURES
from services.clock import Clock
from services.metrics import Metrics
from services.money import Money
from services.outbox import Outbox
from services.pubsub import PubSub
from services.steps import AfterStep

log = logging.getLogger("onramp.cards")

ACTIVE = (BindingStatus.PROCESSING, BindingStatus.REQUIRES_ACTION)
TERMINAL = (BindingStatus.SUCCEEDED, BindingStatus.FAILED)
# A deposit that will not move again (on an attempt that is over).
SETTLED_DEPOSITS = (DepositStatus.NOT_CHARGED, DepositStatus.REFUNDED, DepositStatus.REFUND_FAILED)


def channel(attempt_id: object) -> str:
    """The pub/sub channel on which every change of one attempt is announced."""
    return f"card-binding:{attempt_id}"


class Transitions:
    def __init__(
        self,
        *,
        clock: Clock,
        gateway: PaymentGateway,
        pubsub: PubSub,
        outbox: Outbox,
        action_timeout: timedelta,
        after_step: AfterStep,
        metrics: Metrics,
    ) -> None:
        self.clock = clock
        self.gateway = gateway
        self.pubsub = pubsub
        self.outbox = outbox
        self.action_timeout = action_timeout
        self.after_step = after_step
        self.metrics = metrics

    async def start(self, attempt: CardBindingAttempt, *, retry: bool = False) -> None:
        """Asks the gateway to start; `retry` when the sweep asks again for a lost start."""
        try:
            verification = await self.gateway.start_verification(
                token=attempt.gateway_payment_method,
                deposit=_deposit(attempt),
                return_url=attempt.return_url,
                idempotency_key=str(attempt.id),
                account=str(attempt.account_id),
            )
        except PaymentMethodUnusable as error:
            # Another attempt took the card between bindCard's check and now: asking again
            # cannot help, so the attempt fails at once and frees the account's slot.
            log.info("attempt %s cannot start: %s", attempt.id, error)
            await self.fail(attempt.id, FailureReason.PROCESSING_ERROR)
            return
        except Exception as error:
            # Left PROCESSING: the sweep asks the gateway again, a bounded number of times.
            # The traceback once; the sweep's retries say only what went wrong.
            log.warning(
                "starting verification of attempt %s failed: %r",
                attempt.id,
                error,
                exc_info=not retry,
            )
            return
        await self.apply_start(attempt, verification)

    async def apply_start(self, attempt: CardBindingAttempt, verification: Verification) -> None:
        if verification.state is not VerificationState.REQUIRES_ACTION:
            # Final at once (no identity check asked), or still processing: remember the
            # gateway's reference, then settle as a webhook would (a webhook may have come
            # before this answer and found no attempt by that reference).
            await CardBindingAttempt.filter(id=attempt.id, gateway_intent=None).update(
                gateway_intent=verification.reference, updated_at=self.clock.now()
            )
            await self._settle(attempt, verification)
            return
        if verification.redirect_url is None:
            # The gateway has it, but the single-use bank link is gone with a crash.
            await self.gateway.cancel_verification(verification.reference)
            await self.fail(attempt.id, FailureReason.PROCESSING_ERROR)
            return
        now = self.clock.now()
        moved = await CardBindingAttempt.filter(
            id=attempt.id, status=BindingStatus.PROCESSING
        ).update(
            status=BindingStatus.REQUIRES_ACTION,
            gateway_intent=verification.reference,
            redirect_url=verification.redirect_url,
            action_expires_at=now + self.action_timeout,
            updated_at=now,
        )
        if moved:
            await self.publish(attempt.id)

    async def sync_verification(self, reference: str) -> None:
        attempt = await CardBindingAttempt.get_or_none(gateway_intent=reference)
        verification = await self.gateway.verification(reference)
        if attempt is None or verification is None:
            return
        await self._settle(attempt, verification)

    async def _settle(self, attempt: CardBindingAttempt, verification: Verification) -> None:
        if verification.state is VerificationState.SUCCEEDED and verification.charge:
            await self.succeed(attempt, verification.charge)
        elif verification.state is VerificationState.FAILED:
            reason = GATEWAY_FAILURES.get(verification.failure_code or "", FailureReason.DECLINED)
            await self.fail(attempt.id, reason)
        elif verification.state is VerificationState.CANCELED:
            await self.fail(attempt.id, FailureReason.AUTHENTICATION_TIMEOUT)

    async def sync_refund(self, charge: str) -> None:
        attempt = await CardBindingAttempt.get_or_none(gateway_charge=charge)
        if attempt is None:
            return
        settled = {
            RefundState.SUCCEEDED: DepositStatus.REFUNDED,
            RefundState.FAILED: DepositStatus.REFUND_FAILED,
        }.get(await self.gateway.refund_state(charge))
        if settled is None:
            return
        # A refund the gateway reported done may still fail later (Stripe: a refund to a
        # closed card turns from succeeded to failed): REFUNDED may then become REFUND_FAILED.
        movable = [DepositStatus.CHARGED, DepositStatus.REFUND_PENDING]
        if settled is DepositStatus.REFUND_FAILED:
            movable.append(DepositStatus.REFUNDED)
        moved = await CardBindingAttempt.filter(id=attempt.id, deposit_status__in=movable).update(
            deposit_status=settled, updated_at=self.clock.now()
        )
        if moved:
            self.metrics.deposit_refunds.labels(settled.value).inc()
            if settled is DepositStatus.REFUND_FAILED:
                log.warning("the deposit refund of attempt %s was given up", attempt.id)
            await self.publish(attempt.id)

    async def succeed(self, attempt: CardBindingAttempt, charge: str) -> None:
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
        self.metrics.card_bindings.labels(BindingStatus.SUCCEEDED.value, "").inc()
        await self.publish(attempt.id)
        account = await Account.get(id=attempt.account_id)
        await self.outbox.send_email(
            account.email_display,
            messages.card_bound(attempt.brand.upper(), attempt.last4, next_bill_date(now.date())),
            account.locale,
        )
        await self.after_step(account)
        try:
            await self.request_refund(attempt.id, charge)
        except Exception as error:
            # The card is bound all the same; the sweep asks for the refund again (the
            # gateway finds a refund already made before it makes one).
            log.warning("asking for the deposit refund of attempt %s failed: %r", attempt.id, error)

    async def request_refund(self, attempt_id: uuid.UUID, charge: str) -> None:
        state = await self.gateway.refund(charge)
        moved = await CardBindingAttempt.filter(
            id=attempt_id, deposit_status=DepositStatus.CHARGED
        ).update(deposit_status=DepositStatus.REFUND_PENDING, updated_at=self.clock.now())
        if moved:
            await self.publish(attempt_id)
        if state in (RefundState.SUCCEEDED, RefundState.FAILED):
            await self.sync_refund(charge)

    async def fail(self, attempt_id: uuid.UUID, reason: FailureReason) -> None:
        now = self.clock.now()
        moved = await CardBindingAttempt.filter(id=attempt_id, status__in=ACTIVE).update(
            status=BindingStatus.FAILED, failure_reason=reason, completed_at=now, updated_at=now
        )
        if not moved:
            return
        self.metrics.card_bindings.labels(BindingStatus.FAILED.value, reason.value).inc()
        attempt = await CardBindingAttempt.get(id=attempt_id)
        await Account.filter(id=attempt.account_id, binding_attempt_id=attempt_id).update(
            binding_attempt_id=None
        )
        await self.publish(attempt_id)

    async def publish(self, attempt_id: uuid.UUID) -> None:
        # Each event is its own token, so the subscribers it wakes can share one read.
        await self.pubsub.publish(channel(attempt_id), f"changed:{uuid.uuid4().hex}")


def _deposit(attempt: CardBindingAttempt) -> Money:
    return Money.of(attempt.deposit_amount, attempt.deposit_currency)
