"""The sandbox delivers its webhooks as a provider does: events about different objects at
once, so one slow handler holds up no one else's result; one object's events in order."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import httpx

from gateways.sandbox.gateway import SIGNATURE_HEADER
from services.clock import FrozenClock


async def test_other_objects_events_do_not_wait_for_a_slow_one(app_factory) -> None:
    clock = FrozenClock(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))
    async with app_factory(clock=clock, jobs=False) as app:
        gateway = app.state.services.gateway
        await gateway._emit("verification.succeeded", {"verification": "vi_a", "charge": "ch_a"})
        clock.advance(seconds=1)
        await gateway._emit("charge.refunded", {"verification": "vi_a", "charge": "ch_a"})
        clock.advance(seconds=1)
        await gateway._emit("verification.failed", {"verification": "vi_b"})

        other_arrived = asyncio.Event()
        log: list[str] = []

        async def merchant(request: httpx.Request) -> httpx.Response:
            event = json.loads(request.content)
            name = f"{event['data']['verification']} {event['type']}"
            log.append(f"start {name}")
            if name == "vi_a verification.succeeded":
                # Delivered one after another, vi_b's event would never come: this times out.
                await asyncio.wait_for(other_arrived.wait(), 5)
            elif event["data"]["verification"] == "vi_b":
                other_arrived.set()
            log.append(f"end {name}")
            return httpx.Response(200, json={"received": True})

        async with httpx.AsyncClient(
            transport=httpx.MockTransport(merchant), base_url="http://merchant.test"
        ) as client:
            await gateway.deliver_webhooks(client)

    assert log.index("start vi_b verification.failed") < log.index(
        "end vi_a verification.succeeded"
    )
    # vi_a's refund went out only once its success had been received.
    assert log.index("end vi_a verification.succeeded") < log.index("start vi_a charge.refunded")
    assert len(log) == 6


async def test_an_event_names_only_the_object_it_is_about(app_factory) -> None:
    """A verification's event names its charge too, and a refund's its verification, but
    each is news about one of them: a handler re-reading both would do it for nothing."""
    clock = FrozenClock(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))
    async with app_factory(clock=clock, jobs=False) as app:
        gateway = app.state.services.gateway

        def parsed(event_type: str) -> tuple[str | None, str | None]:
            body = json.dumps(
                {"id": "evt_1", "type": event_type, "data": {"verification": "vi", "charge": "ch"}}
            ).encode()
            stamp = int(clock.now().timestamp())
            headers = {SIGNATURE_HEADER: f"t={stamp},v1={gateway.sign(body, stamp)}"}
            event = gateway.parse_webhook(body, headers, clock.now())
            return event.verification, event.charge

        assert parsed("verification.succeeded") == ("vi", None)
        assert parsed("verification.failed") == ("vi", None)
        assert parsed("charge.refunded") == (None, "ch")
