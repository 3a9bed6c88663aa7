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

# A PROCESSING attempt this old lost its way to the gateway: ask the gateway about it,
# at most once every RECONCILE_AFTER and MAX_RECONCILE_TRIES times; then it has FAILED.
RECONCILE_AFTER = timedelta(seconds=30)
MAX_RECONCILE_TRIES = 5
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
            try:
                await self._reconcile(attempt)
            except Exception as error:
                # Counted already: the next try comes RECONCILE_AFTER later, the last fails it.
                log.warning("reconciling attempt %s failed: %r", attempt.id, error)
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
        tries = attempt.reconcile_tries
        if tries >= MAX_RECONCILE_TRIES:
            await self._give_up(attempt)
            return
        # Count the try before taking it, in one conditional UPDATE: one process takes it,
        # and the attempt is not due again before RECONCILE_AFTER has passed.
        taken = await CardBindingAttempt.filter(
            id=attempt.id, status=BindingStatus.PROCESSING, reconcile_tries=tries
        ).update(reconcile_tries=tries + 1, updated_at=self.clock.now())
        if not taken:
            return
        if attempt.gateway_intent is not None:
            await self.transitions.sync_verification(attempt.gateway_intent)
            return
        log.info(
            "reconciling attempt %s with the gateway (try %d of %d)",
            attempt.id,
            tries + 1,
            MAX_RECONCILE_TRIES,
        )
        await self.transitions.start(attempt, retry=True)

    async def _give_up(self, attempt: CardBindingAttempt) -> None:
        if attempt.gateway_intent is not None:
            try:
                # As on a time-out: cancel, then believe the gateway if it answered meanwhile.
                await self.gateway.cancel_verification(attempt.gateway_intent)
                await self.transitions.sync_verification(attempt.gateway_intent)
            except Exception as error:
                log.warning("cancelling attempt %s at the gateway failed: %r", attempt.id, error)
        log.warning(
            "attempt %s still PROCESSING after %d tries: it has failed",
            attempt.id,
            attempt.reconcile_tries,
        )
        await self.transitions.fail(attempt.id, FailureReason.PROCESSING_ERROR)

    def jobs(self) -> list[Job]:
        return [Job("card-binding", self.step, SWEEP_INTERVAL_S)]
