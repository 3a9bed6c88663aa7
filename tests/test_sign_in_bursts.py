"""Wrong passwords sent all at once: only the free failures are ever checked together.

Every password check is held at a gate until each sign-in of the burst has either reached a
check or been answered, so the whole burst is in flight at once whatever order the event
loop runs it in. Run with the limiter in process and shared through Redis.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest

from services.clock import FrozenClock
from services.passwords import Passwords
from services.ratelimit import BackoffPolicy, RateLimiter
from tests.conftest import GraphQLClient, http_client
from tests.flows import codes_of, login_payload, sign_up

EMAIL = "li.wei@example.com"
BURST = 60
T = TypeVar("T")


class Gate:
    """Holds work until `expected` callers have each either reached it or finished."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.reached = 0
        self.finished = 0
        self.in_flight = 0
        self.most_in_flight = 0
        self._open = asyncio.Event()

    async def hold(self, work: Callable[[], Awaitable[T]]) -> T:
        self.reached += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        self._maybe_open()
        try:
            await self._open.wait()
            return await work()
        finally:
            self.in_flight -= 1

    async def send(self, call: Awaitable[T]) -> T:
        try:
            return await call
        finally:
            self.finished += 1
            self._maybe_open()

    def _maybe_open(self) -> None:
        if self.reached + self.finished >= self.expected:
            self._open.set()


def gate_password_checks(monkeypatch: pytest.MonkeyPatch, expected: int) -> Gate:
    gate = Gate(expected)
    original = Passwords.verify

    async def verify(passwords: Passwords, stored: str | None, password: str) -> bool:
        return await gate.hold(lambda: original(passwords, stored, password))

    monkeypatch.setattr(Passwords, "verify", verify)
    return gate


def retry_after(payload: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(payload["errors"][0]["retryAfter"])


@pytest.fixture(params=["in-process", "redis"])
def limiter_url(request: pytest.FixtureRequest, redis_url: str) -> str | None:
    return redis_url if request.param == "redis" else None


async def test_a_burst_for_one_account_is_checked_only_while_free(
    app_factory, limiter_url, monkeypatch
) -> None:
    limits = {
        "login_free_failures_per_account": 5,
        "login_free_failures_per_ip": 1000,
        "login_base_delay_s": 1,
    }
    clock = FrozenClock(datetime.now(UTC))
    async with app_factory(clock=clock, redis_url=limiter_url, **limits) as app:
        gql = GraphQLClient(http_client(app))
        await sign_up(gql, app, EMAIL)
        gate = gate_password_checks(monkeypatch, BURST)
        async with asyncio.timeout(30):
            burst = await asyncio.gather(
                *(gate.send(login_payload(gql, EMAIL, f"wrong-pass-{i}")) for i in range(BURST))
            )
        checked_in_burst = gate.reached
        # The burst spent the free failures and no more: one further guess runs alone, is
        # checked and earns the first wait, which even the right password then waits out.
        await login_payload(gql, EMAIL, "wrong-pass-x")
        failed_at = clock.now()
        owner = await login_payload(gql, EMAIL)
        clock.advance(seconds=1.1)
        recovered = await login_payload(gql, EMAIL)

    answers = [codes_of(payload) for payload in burst]
    refused = [payload for payload in burst if codes_of(payload) == ["RATE_LIMITED"]]
    assert checked_in_burst == 5
    assert answers.count(["INVALID_CREDENTIALS"]) == 5
    assert len(refused) == BURST - 5
    assert all(retry_after(payload) > failed_at for payload in refused)
    assert codes_of(owner) == ["RATE_LIMITED"]
    assert abs(retry_after(owner) - (failed_at + timedelta(seconds=1))) < timedelta(milliseconds=2)
    assert recovered["errors"] == []


async def test_a_burst_from_one_ip_is_checked_only_while_free(
    app_factory, limiter_url, monkeypatch
) -> None:
    limits = {"login_free_failures_per_account": 10, "login_free_failures_per_ip": 3}
    async with app_factory(redis_url=limiter_url, **limits) as app:
        gql = GraphQLClient(http_client(app))
        gate = gate_password_checks(monkeypatch, BURST)
        async with asyncio.timeout(30):
            burst = await asyncio.gather(
                *(
                    gate.send(login_payload(gql, f"guess{i}@example.com", "wrong-pass-1"))
                    for i in range(BURST)
                )
            )
        elsewhere = GraphQLClient(http_client(app, client_ip="192.0.2.77"))
        checked_in_burst = gate.reached
        other_ip = await login_payload(elsewhere, "guess0@example.com", "wrong-pass-1")

    answers = [codes_of(payload) for payload in burst]
    assert checked_in_burst == 3
    assert answers.count(["INVALID_CREDENTIALS"]) == 3
    assert answers.count(["RATE_LIMITED"]) == BURST - 3
    assert all(
        payload["errors"][0]["retryAfter"]
        for payload in burst
        if codes_of(payload) == ["RATE_LIMITED"]
    )
    assert codes_of(other_ip) == ["INVALID_CREDENTIALS"]


async def test_two_processes_reserve_tries_from_one_count(redis_url: str) -> None:
    clock = FrozenClock(datetime(2026, 11, 3, 12, 0, tzinfo=UTC))
    prefix = f"onramp-test-{uuid.uuid4().hex}"
    first = RateLimiter(redis_url, prefix, clock=clock)
    second = RateLimiter(redis_url, prefix, clock=clock)
    policy = BackoffPolicy(free_failures=4, base_delay_s=5, max_delay_s=60)
    check = ("email:ana@example.com", policy)
    gate = Gate(BURST)

    async def guess(limiter: RateLimiter) -> bool:
        if await limiter.reserve_try("login", check) is not None:
            return False

        async def fail() -> None:
            await limiter.record_failure("login", check[0], policy)

        try:
            await gate.hold(fail)
        finally:
            await limiter.release_try("login", check[0])
        return True

    async with asyncio.timeout(30):
        granted = await asyncio.gather(
            *(gate.send(guess(first if i % 2 else second)) for i in range(BURST))
        )
    alone = await first.reserve_try("login", check)  # the free failures are spent, none is busy
    await first.record_failure("login", check[0], policy)
    await first.release_try("login", check[0])
    waiting = await second.reserve_try("login", check)
    clock.advance(seconds=5)
    after_wait = await second.reserve_try("login", check)

    assert granted.count(True) == 4
    assert gate.most_in_flight == 4
    assert alone is None
    assert waiting == datetime(2026, 11, 3, 12, 0, 5, tzinfo=UTC)
    assert after_wait is None
