"""Background work on attempts, safe in every process at once: timeouts, lost starts, refunds."""

from __future__ import annotations

import logging
from datetime import timedelta

from gateways.port import PaymentGateway
from models.cards import BindingStatus, CardBindingAttempt, DepositStatus, FailureReason
from services.cards.transitions import Transitions
from services.clock import Clock
from services.jobs import Job

log = logging.getLogger("onramp.cards")

# A PROCESSING attempt this old lost its way to the gateway: ask the gateway about it.
RECONCILE_AFTER = timedelta(seconds=30)
SWEEP_INTERVAL_S = 1.0


class Sweep:
    def __init__(self, *, clock: Clock, gateway: PaymentGateway, transitions: Transitions) -> None:
        self.clock = clock
        self.gateway = gateway
        self.transitions = transitions

    async def step(self) -> None:
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
                await self.transitions.request_refund(attempt.id, attempt.gateway_charge)
        for attempt in await CardBindingAttempt.filter(deposit_status=DepositStatus.REFUND_PENDING):
            if attempt.gateway_charge:
                await self.transitions.sync_refund(attempt.gateway_charge)

    async def _time_out(self, attempt: CardBindingAttempt) -> None:
        if attempt.gateway_intent is None:
            await self.transitions.fail(attempt.id, FailureReason.AUTHENTICATION_TIMEOUT)
            return
        # Cancel first, then believe the gateway: the bank may have answered just in time.
        await self.gateway.cancel_verification(attempt.gateway_intent)
        await self.transitions.sync_verification(attempt.gateway_intent)

    async def _reconcile(self, attempt: CardBindingAttempt) -> None:
        if attempt.gateway_intent is not None:
            await self.transitions.sync_verification(attempt.gateway_intent)
            return
        log.info("reconciling attempt %s with the gateway", attempt.id)
        await self.transitions.start(attempt)

    def jobs(self) -> list[Job]:
        return [Job("card-binding", self.step, SWEEP_INTERVAL_S)]
