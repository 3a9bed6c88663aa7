"""Step 5.3: binding a card, as a state machine driven by the payment gateway.

`CardBinding` is the service the rest of Onramp sees; its parts each hold one job:
`bind` (the checks and the start), `transitions` (the state machine), `events` (webhooks),
`sweep` (background work), `rules` and `results` (what is allowed, what a Result says).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from gateways.port import PaymentGateway
from models.cards import CardBindingAttempt, DepositStatus
from services.cards.bind import Binder
from services.cards.events import GatewayEvents
from services.cards.rules import BindingRules
from services.cards.sweep import Sweep
from services.cards.transitions import Transitions
from services.cards.wallet import Wallet
from services.clock import Clock
from services.i18n.text import tr
from services.jobs import Job
from services.metrics import Metrics
from services.outbox import Outbox
from services.pagination import NewestFirst
from services.problems import ProblemCode, Refused
from services.pubsub import PubSub
from services.single_flight import SingleFlight
from services.staff.audit import Actor, Audit
from services.steps import AfterStep

log = logging.getLogger("onramp.cards")

# Staff ask the gateway again for a stuck refund at most this often per deposit.
REFUND_RETRY_COOLDOWN = timedelta(minutes=5)


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
        audit: Audit,
        metrics: Metrics,
    ) -> None:
        self.clock = clock
        self.gateway = gateway
        self.audit = audit
        self.rules = rules
        self.transitions = Transitions(
            clock=clock,
            gateway=gateway,
            pubsub=pubsub,
            outbox=outbox,
            action_timeout=rules.action_timeout,
            after_step=after_step,
            metrics=metrics,
        )
        binder = Binder(clock=clock, gateway=gateway, rules=rules, transitions=self.transitions)
        self.bind = binder.bind
        self.events = GatewayEvents(clock=clock, transitions=self.transitions)
        self.receive = self.events.receive
        self.sweep = Sweep(clock=clock, gateway=gateway, transitions=self.transitions)
        self.wallet = Wallet(clock=clock, gateway=gateway)
        self._reads: SingleFlight[tuple[uuid.UUID, str], CardBindingAttempt | None] = SingleFlight()

    def jobs(self) -> list[Job]:
        return self.sweep.jobs()

    async def retry_refund(self, attempt_id: uuid.UUID | None, actor: Actor) -> CardBindingAttempt:
        """Staff ask the gateway again for a deposit refund stuck in REFUND_PENDING.

        The request is claimed with one conditional UPDATE (and its audit row, in the same
        transaction) before the gateway is asked: of two requests at once, one reaches the
        gateway and the other is refused.
        """
        attempt = await CardBindingAttempt.get_or_none(id=attempt_id) if attempt_id else None
        if attempt is None:
            raise Refused.because(
                ProblemCode.NOT_FOUND, tr("There is no such card-binding attempt."), "attemptId"
            )
        charge = attempt.gateway_charge
        if attempt.deposit_status is not DepositStatus.REFUND_PENDING or charge is None:
            raise Refused.because(
                ProblemCode.WRONG_STATUS,
                tr("Only a deposit waiting in REFUND_PENDING can be refunded again."),
                "attemptId",
            )
        now = self.clock.now()
        async with in_transaction():
            claimed = await CardBindingAttempt.filter(
                Q(refund_retried_at=None) | Q(refund_retried_at__lte=now - REFUND_RETRY_COOLDOWN),
                id=attempt.id,
                deposit_status=DepositStatus.REFUND_PENDING,
            ).update(refund_retried_at=now)
            if not claimed:
                raise Refused.because(
                    ProblemCode.PAYMENT_IN_PROGRESS,
                    tr("A refund of this deposit was asked for moments ago."),
                    "attemptId",
                    retry_after=(attempt.refund_retried_at or now) + REFUND_RETRY_COOLDOWN,
                )
            await self.audit.record(
                actor,
                "deposit.refund",
                account_id=attempt.account_id,
                subject=f"{attempt.brand.upper()} {attempt.last4} deposit",
                before={"depositStatus": attempt.deposit_status.value},
                after={"depositStatus": attempt.deposit_status.value, "refundRequested": True},
            )
        try:
            await self.gateway.refund(charge)
            await self.transitions.sync_refund(charge)
        except Exception:
            # Asked and recorded; the sweep keeps reading the refund's state as before.
            log.exception("asking the gateway again for the refund of %s failed", attempt.id)
        return await CardBindingAttempt.get(id=attempt.id)

    # Reading

    async def attempt_of(
        self, account_id: uuid.UUID, attempt_id: uuid.UUID
    ) -> CardBindingAttempt | None:
        return await CardBindingAttempt.get_or_none(id=attempt_id, account_id=account_id)

    async def attempt_after(
        self, account_id: uuid.UUID, attempt_id: uuid.UUID, event: str
    ) -> CardBindingAttempt | None:
        """The attempt as it is since `event`: everyone woken by one event shares one read."""
        attempt = await self._reads.run(
            (attempt_id, event), lambda: CardBindingAttempt.get_or_none(id=attempt_id)
        )
        return attempt if attempt is not None and attempt.account_id == account_id else None

    async def stuck_refunds(self, account_id: uuid.UUID) -> list[CardBindingAttempt]:
        """The account's deposits waiting in REFUND_PENDING."""
        return await CardBindingAttempt.filter(
            account_id=account_id, deposit_status=DepositStatus.REFUND_PENDING
        ).order_by("created_at")

    def history(self, account_id: uuid.UUID) -> NewestFirst[CardBindingAttempt]:
        """The account's attempts, newest first: the Historical Cards page."""
        return NewestFirst(CardBindingAttempt.filter(account_id=account_id), "created_at")
