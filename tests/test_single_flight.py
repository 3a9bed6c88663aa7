"""One event wakes many subscribers: they share one read of the attempt."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from models.cards import CardBindingAttempt
from services.single_flight import SingleFlight
from tests.conftest import GraphQLClient, http_client
from tests.flows import bearer, bind, ready_for_card, tokenize
from tests.queries import counting_statements


async def test_concurrent_calls_for_one_key_share_one_call() -> None:
    flight: SingleFlight[str, int] = SingleFlight()
    calls = 0
    release = asyncio.Event()

    async def read() -> int:
        nonlocal calls
        calls += 1
        this_call = calls
        await release.wait()
        return this_call

    waiting = [asyncio.create_task(flight.run("a", read)) for _ in range(50)]
    other = asyncio.create_task(flight.run("b", read))
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*waiting) == [1] * 50
    assert await other == 2
    assert await flight.run("a", read) == 3  # a later call reads afresh


async def test_a_failure_reaches_every_sharer_and_is_not_kept() -> None:
    flight: SingleFlight[str, int] = SingleFlight()

    async def broken() -> int:
        await asyncio.sleep(0)
        raise LookupError("gone")

    results = await asyncio.gather(
        *(flight.run("k", broken) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(r, LookupError) for r in results)

    async def fine() -> int:
        return 7

    assert await flight.run("k", fine) == 7


async def test_subscribers_woken_by_one_event_read_the_attempt_once(app_factory) -> None:
    # No background jobs: their reads would count among the subscribers'.
    async with app_factory(jobs=False) as app:
        await _read_once_per_event(app)


async def _read_once_per_event(app: Any) -> None:
    gql = GraphQLClient(http_client(app))
    gql.headers = bearer(await ready_for_card(gql, app, "flight@example.com"))
    card = (await tokenize(gql, "4242 4242 4242 4242")).json()["id"]
    assert (await bind(gql, card, "flight"))["errors"] == []
    cards = app.state.services.cards
    stored = await CardBindingAttempt.get()

    with counting_statements() as reads:
        seen = await asyncio.gather(
            *(cards.attempt_after(stored.account_id, stored.id, "changed:1") for _ in range(200))
        )
    assert {row.id for row in seen} == {stored.id}
    assert reads["SELECT"] == 1
    with counting_statements() as reads:
        await cards.attempt_after(stored.account_id, stored.id, "changed:2")
    assert reads["SELECT"] == 1  # a new event reads afresh
    assert await cards.attempt_after(uuid.uuid4(), stored.id, "changed:3") is None  # not theirs
