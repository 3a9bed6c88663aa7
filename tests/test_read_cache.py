"""Queries read sessions, accounts and progress through each process's read cache; every
change is heard at once, in this process and in the others, and nothing is served from it
while changes could go unheard."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx

from models.accounts import Account
from models.sessions import Session
from services.clock import FrozenClock
from services.pubsub import Inbox, LocalPubSub
from services.read_cache import ReadCache
from tests.conftest import GraphQLClient, http_client
from tests.flows import (
    LOGOUT,
    ME,
    PROGRESS,
    SKIP_SECURITY_PHONE,
    answer_bank,
    bearer,
    bind,
    ready_for_card,
    sign_up,
    steps_of,
    tokenize,
)
from tests.servers import second_process


async def _progress(gql: GraphQLClient) -> dict[str, str]:
    body = await gql(PROGRESS)
    assert "errors" not in body, body
    return steps_of(body["data"]["onboarding"])


async def test_a_change_nobody_announced_shows_once_its_entry_expires(app_factory) -> None:
    clock = FrozenClock(datetime.now(UTC))
    async with app_factory(clock=clock) as app:
        gql = GraphQLClient(http_client(app))
        gql.headers = bearer(await sign_up(gql, app, "quiet.change@example.com"))
        assert (await gql(ME))["data"]["me"]["kind"] == "HUAWEI_ID"
        # Behind every process's back: no mutation, no step, no announcement.
        await Account.filter(email="quiet.change@example.com").update(kind="HUAWEI_CLOUD")
        await Session.all().update(revoked_at=clock.now())
        assert (await gql(ME))["data"]["me"]["kind"] == "HUAWEI_ID"  # served from the cache

        clock.advance(seconds=5)
        assert (await gql(ME))["data"]["me"] is None


async def test_nothing_is_kept_with_a_ttl_of_zero(app_factory) -> None:
    async with app_factory(read_cache_ttl_s=0) as app:
        gql = GraphQLClient(http_client(app))
        gql.headers = bearer(await sign_up(gql, app, "no.cache@example.com"))
        assert (await gql(ME))["data"]["me"]["kind"] == "HUAWEI_ID"
        await Account.filter(email="no.cache@example.com").update(kind="HUAWEI_CLOUD")
        assert (await gql(ME))["data"]["me"]["kind"] == "HUAWEI_CLOUD"


async def test_a_signed_out_token_is_refused_by_the_next_query(gql, app) -> None:
    token = await sign_up(gql, app, "sign.out@example.com")
    gql.headers = bearer(token)
    assert (await gql(ME))["data"]["me"]["email"] == "sign.out@example.com"
    assert (await gql(LOGOUT))["data"]["logout"]["errors"] == []
    assert (await gql(ME))["data"]["me"] is None
    assert (await gql(PROGRESS))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_mutation_shows_in_the_next_query(gql, app) -> None:
    gql.headers = bearer(await sign_up(gql, app, "skips.phone@example.com"))
    assert (await _progress(gql))["SECURITY_PHONE"] == "PENDING"
    assert (await gql(SKIP_SECURITY_PHONE))["data"]["skipSecurityPhone"]["errors"] == []
    assert (await _progress(gql))["SECURITY_PHONE"] == "SKIPPED"


async def test_a_card_bound_in_the_background_shows_in_the_next_query(gql, app) -> None:
    await ready_for_card(gql, app, "bank.page@example.com")
    assert (await _progress(gql))["PAYMENT_METHOD"] == "PENDING"
    card = (await tokenize(gql, "4242 4242 4242 4242")).json()["id"]
    attempt = (await bind(gql, card, "cache-bound"))["attempt"]
    assert attempt["status"] == "REQUIRES_ACTION"
    assert (await _progress(gql))["PAYMENT_METHOD"] == "PENDING"
    # The bank's answer completes the binding outside any mutation of the person's.
    await answer_bank(gql, attempt["nextAction"]["redirectUrl"], "approve")
    for _ in range(100):
        if (await _progress(gql))["PAYMENT_METHOD"] == "COMPLETED":
            break
        await asyncio.sleep(0.02)  # the gateway's webhook reaches the app as a request
    assert (await _progress(gql))["PAYMENT_METHOD"] == "COMPLETED"


@asynccontextmanager
async def _other_process(database_url: str, redis_url: str) -> AsyncIterator[GraphQLClient]:
    # Its entries would outlive the test: only an announcement can make it read again.
    async with (
        second_process(database_url, redis_url, READ_CACHE_TTL_S="300") as base,
        httpx.AsyncClient(base_url=base) as http,
    ):
        yield GraphQLClient(http)


async def _eventually(read: Any, expected: Any) -> Any:
    """What `read()` answers once it is `expected`, or its last answer after two seconds:
    an announcement crosses Redis in milliseconds, the other process keeps entries 300 s."""
    for _ in range(100):
        found = await read()
        if found == expected:
            return found
        await asyncio.sleep(0.02)
    return found


async def test_another_process_hears_changes_and_sign_outs(
    app_factory, database_url, redis_url
) -> None:
    async with app_factory(redis_url=redis_url) as app:
        here = GraphQLClient(http_client(app))
        token = await sign_up(here, app, "two.processes@example.com")
        here.headers = bearer(token)
        async with _other_process(database_url, redis_url) as there:
            there.headers = bearer(token)
            assert (await _progress(there))["SECURITY_PHONE"] == "PENDING"
            assert (await _progress(there))["SECURITY_PHONE"] == "PENDING"  # now kept there

            assert (await here(SKIP_SECURITY_PHONE))["data"]["skipSecurityPhone"]["errors"] == []

            async def security_phone() -> str:
                return (await _progress(there))["SECURITY_PHONE"]

            assert await _eventually(security_phone, "SKIPPED") == "SKIPPED"

            assert (await here(LOGOUT))["data"]["logout"]["errors"] == []

            async def me() -> Any:
                return (await there(ME))["data"]["me"]

            assert await _eventually(me, None) is None


class _Channel:
    """A pub/sub whose connection the test takes down and brings back."""

    def __init__(self) -> None:
        self.local = LocalPubSub()
        self.epoch: int | None = 0

    async def publish(self, channel: str, message: str) -> None:
        await self.local.publish(channel, message)

    def subscribe(self, *channels: str) -> Any:
        return self.local.subscribe(*channels)

    async def aclose(self) -> None:
        await self.local.aclose()


@asynccontextmanager
async def _listening(cache: ReadCache) -> AsyncIterator[None]:
    task = asyncio.create_task(cache.listen())
    for _ in range(100):  # until it has subscribed: a few turns of the loop
        if cache.serving:
            break
        await asyncio.sleep(0)
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_nothing_is_served_while_changes_could_go_unheard() -> None:
    channel = _Channel()
    cache = ReadCache(FrozenClock(datetime.now(UTC)), channel)
    account = uuid4()
    assert not cache.serving  # nobody listens yet
    async with _listening(cache):
        cache.keep_account(account, "row", "kept", cache.generation)
        assert cache.account(account, "row") == "kept"

        channel.epoch = None  # the connection dropped
        assert cache.account(account, "row") is None
        cache.keep_account(account, "row", "read meanwhile", cache.generation)
        assert cache.account(account, "row") is None

        channel.epoch = 0
        cache.keep_account(account, "row", "kept", cache.generation)
        channel.epoch = 1  # dropped and back between two reads: what was kept may be stale
        assert cache.account(account, "row") is None


async def test_a_read_that_began_before_an_announcement_is_not_kept() -> None:
    channel = _Channel()
    cache = ReadCache(FrozenClock(datetime.now(UTC)), channel)
    account = uuid4()
    async with _listening(cache):
        since = cache.generation
        await cache.account_changed(account)  # while the read was on its way
        cache.keep_account(account, "progress", "read before the change", since)
        assert cache.account(account, "progress") is None

        cache.keep_account(account, "progress", "read after", cache.generation)
        inbox: Inbox
        async with channel.subscribe("accounts:changed") as inbox:
            await channel.publish("accounts:changed", str(account))  # from another process
            await inbox.get()
            for _ in range(3):
                await asyncio.sleep(0)  # the cache's listener takes its turn
        assert cache.account(account, "progress") is None
