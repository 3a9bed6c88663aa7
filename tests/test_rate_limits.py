"""Rate limits are shared through Redis, so several processes count as one."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from services.clock import FrozenClock
from services.ratelimit import BackoffPolicy, RateLimiter, Rule

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def prefix() -> str:
    return f"onramp-test-{uuid.uuid4().hex}"


async def test_two_processes_share_a_cap_through_redis(prefix: str) -> None:
    rule = Rule.parse("codes-destination", "2/minute")
    first, second = RateLimiter(REDIS_URL, prefix), RateLimiter(REDIS_URL, prefix)

    assert await first.acquire((rule, "ana@example.com")) is None
    assert await second.acquire((rule, "ana@example.com")) is None
    assert await first.acquire((rule, "ana@example.com")) is not None
    assert await second.acquire((rule, "bo@example.com")) is None


async def test_a_refused_call_counts_against_no_cap(prefix: str) -> None:
    tight, loose = Rule.parse("tight", "1/minute"), Rule.parse("loose", "2/minute")
    limiter = RateLimiter(REDIS_URL, prefix)

    assert await limiter.acquire((tight, "k"), (loose, "k")) is None
    assert await limiter.acquire((tight, "k"), (loose, "k")) is not None
    # The refused call above did not spend the loose cap's second use.
    assert await limiter.acquire((loose, "k")) is None


async def test_backoff_is_shared_through_redis(prefix: str) -> None:
    policy = BackoffPolicy(free_failures=1, base_delay_s=5, max_delay_s=60)
    first, second = RateLimiter(REDIS_URL, prefix), RateLimiter(REDIS_URL, prefix)

    await first.record_failure("login", "email:ana@example.com", policy)
    assert await second.waiting_until("login", "email:ana@example.com") is None
    await second.record_failure("login", "email:ana@example.com", policy)
    assert await first.waiting_until("login", "email:ana@example.com") is not None
    await first.forget_failures("login", "email:ana@example.com")
    assert await second.waiting_until("login", "email:ana@example.com") is None


def test_the_backoff_doubles_up_to_its_cap() -> None:
    policy = BackoffPolicy(free_failures=5, base_delay_s=1, max_delay_s=300)
    assert [policy.delay_after(n) for n in (5, 6, 7, 8, 20)] == [0, 1, 2, 4, 300]


async def test_a_backoff_wait_runs_on_the_service_clock() -> None:
    clock = FrozenClock(datetime(2026, 11, 3, 12, 0, tzinfo=UTC))
    limiter = RateLimiter(None, clock=clock)
    policy = BackoffPolicy(free_failures=0, base_delay_s=5, max_delay_s=60)

    await limiter.record_failure("login", "k", policy)
    first = await limiter.waiting_until("login", "k")
    clock.advance(seconds=5)
    passed = await limiter.waiting_until("login", "k")
    await limiter.record_failure("login", "k", policy)
    second = await limiter.waiting_until("login", "k")
    await limiter.forget_failures("login", "k")
    forgotten = await limiter.waiting_until("login", "k")
    await limiter.record_failure("login", "k", policy)  # starts over at the base
    again = await limiter.waiting_until("login", "k")

    assert first == datetime(2026, 11, 3, 12, 0, 5, tzinfo=UTC)
    assert passed is None
    assert second == datetime(2026, 11, 3, 12, 0, 15, tzinfo=UTC)
    assert forgotten is None
    assert again == datetime(2026, 11, 3, 12, 0, 10, tzinfo=UTC)
