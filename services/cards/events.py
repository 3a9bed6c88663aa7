"""What the gateway tells us: verified webhook events, handled once each."""

from __future__ import annotations

import contextlib

from tortoise.exceptions import IntegrityError

from gateways.port import WebhookEvent
from models.cards import ProcessedWebhookEvent
from services.cards.transitions import Transitions
from services.clock import Clock


class GatewayEvents:
    def __init__(self, *, clock: Clock, transitions: Transitions) -> None:
        self.clock = clock
        self.transitions = transitions

    async def receive(self, event: WebhookEvent) -> None:
        """Handles a verified webhook event once; a redelivered one changes nothing."""
        if await ProcessedWebhookEvent.exists(event_id=event.id):
            return
        await self.handle_event(event)
        with contextlib.suppress(IntegrityError):  # a concurrent delivery recorded it first
            await ProcessedWebhookEvent.create(event_id=event.id, received_at=self.clock.now())

    async def handle_event(self, event: WebhookEvent) -> None:
        if event.verification:
            await self.transitions.sync_verification(event.verification)
        if event.charge:
            await self.transitions.sync_refund(event.charge)
