"""Step 5.3: binding a card, as a state machine driven by the payment gateway.

`CardBinding` is the service the rest of Onramp sees; its parts each hold one job:
`bind` (the checks and the start), `transitions` (the state machine), `events` (webhooks),
`sweep` (background work), `rules` and `results` (what is allowed, what a Result says).
"""

from __future__ import annotations

import uuid

from gateways.port import PaymentGateway
from models.cards import CardBindingAttempt
from services.cards.bind import Binder
from services.cards.events import GatewayEvents
from services.cards.rules import BindingRules
from services.cards.sweep import Sweep
from services.cards.transitions import Transitions
from services.cards.wallet import Wallet
from services.clock import Clock
from services.jobs import Job
from services.metrics import Metrics
from services.outbox import Outbox
from services.pagination import NewestFirst
from services.pubsub import PubSub
from services.single_flight import SingleFlight
from services.steps import AfterStep


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
        metrics: Metrics,
    ) -> None:
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

    def history(self, account_id: uuid.UUID) -> NewestFirst[CardBindingAttempt]:
        """The account's attempts, newest first: the Historical Cards page."""
        return NewestFirst(CardBindingAttempt.filter(account_id=account_id), "created_at")
