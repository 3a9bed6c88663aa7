"""Rate limits and sign-in backoff, in process or shared through Redis (the `limits` library).

A limit answers with the moment the same call may succeed; it never sleeps. The backoff's
waits run on the service clock, so a test moves past one by advancing a frozen clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from services.clock import Clock, SystemClock
from services.jobs import backoff

# How long a reserved sign-in try may stay unsettled (its process died mid-check, say) before
# its reservation lapses; a check takes milliseconds.
TRY_LEASE_S = 60


@dataclass(frozen=True)
class Rule:
    """A named set of caps, e.g. codes-per-destination = 1/minute;5/hour;10/day."""

    name: str
    items: tuple[RateLimitItem, ...]

    @classmethod
    def parse(cls, name: str, spec: str) -> Rule:
        return cls(name, tuple(parse_many(spec)))


@dataclass(frozen=True)
class BackoffPolicy:
    """Failures allowed freely, then a delay that doubles with each further one, up to a cap."""

    free_failures: int
    base_delay_s: float
    max_delay_s: float
    memory_s: int = 3600

    def delay_after(self, failures: int) -> float:
        delay = backoff(
            failures - self.free_failures,
            base=timedelta(seconds=self.base_delay_s),
            cap=timedelta(seconds=self.max_delay_s),
        )
        return delay.total_seconds()


# A cap and the key it counts under, and how much one use weighs (1 unless given).
Check = tuple[Rule, str] | tuple[Rule, str, int]


def _weighed(check: Check) -> tuple[Rule, str, int]:
    return (check[0], check[1], check[2] if len(check) == 3 else 1)


def _at(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


class RateLimiter:
    def __init__(
        self, redis_url: str | None, prefix: str = "onramp", clock: Clock | None = None
    ) -> None:
        self.clock = clock or SystemClock()
        if redis_url:
            uri = "async+" + redis_url if not redis_url.startswith("async+") else redis_url
            self.storage: Storage = RedisStorage(uri, implementation="redispy", key_prefix=prefix)
        else:
            self.storage = MemoryStorage()
        self._windows = MovingWindowRateLimiter(self.storage)

    async def acquire(self, *checks: Check) -> datetime | None:
        """Count one use (of its weight) against every (rule, key) when all allow it; else
        when to retry."""
        blocked = await self._blocked_until(checks)
        if blocked is not None:
            return blocked
        for rule, key, cost in map(_weighed, checks):
            for item in rule.items:
                await self._windows.hit(item, rule.name, key, cost=cost)
        return None

    async def available_at(self, *checks: Check) -> datetime | None:
        """When the next use would be allowed, or None when it would be now."""
        return await self._blocked_until(checks)

    async def _blocked_until(self, checks: tuple[Check, ...]) -> datetime | None:
        until: float | None = None
        for rule, key, cost in map(_weighed, checks):
            for item in rule.items:
                if not await self._windows.test(item, rule.name, key, cost=cost):
                    stats = await self._windows.get_window_stats(item, rule.name, key)
                    until = max(until or 0.0, stats.reset_time)
        return _at(until) if until is not None else None

    # Backoff: a growing wait after repeated failures (sign-in).

    # The wait after the n-th failure is stored under its own key (`...:wait:<key>:<n>`) as the
    # moment it ends, in milliseconds on the service clock: a fresh key per failure, so two
    # processes failing at once never add to each other's value.

    async def waiting_until(self, name: str, *keys: str) -> datetime | None:
        until_ms = 0
        for key in keys:
            failures = await self.storage.get(f"{name}:fail:{key}")
            until_ms = max(until_ms, await self._wait_ends_ms(name, key, failures))
        return _at(until_ms / 1000) if until_ms > self.clock.now().timestamp() * 1000 else None

    async def _wait_ends_ms(self, name: str, key: str, failures: int) -> int:
        return await self.storage.get(f"{name}:wait:{key}:{failures}") if failures > 0 else 0

    # A try is reserved before the password is hashed (`...:busy:<key>`, counted up, and down
    # again once its failure is recorded), so that guesses sent at once cannot all pass a look
    # at the failures recorded so far: only the free failures may be in flight together, and
    # past them a try runs alone, after the wait that the failures before it earned.

    async def reserve_try(self, name: str, *checks: tuple[str, BackoffPolicy]) -> datetime | None:
        """Reserves one try under every key, or reserves nothing and says when to come back.

        A granted try must be settled: `record_failure` if it failed, then `release_try`.
        """
        now_ms = self.clock.now().timestamp() * 1000
        until_ms = 0.0
        # The atomic count comes first: of two tries at once, the later one counts the earlier.
        tickets = [await self.storage.incr(f"{name}:busy:{key}", TRY_LEASE_S) for key, _ in checks]
        for (key, policy), in_flight in zip(checks, tickets, strict=True):
            # Read after the count: a try that ended since shows as a failure (recorded before
            # its release), so none is missed.
            failures = await self.storage.get(f"{name}:fail:{key}")
            wait_ends_ms = await self._wait_ends_ms(name, key, failures)
            if wait_ends_ms > now_ms:
                until_ms = max(until_ms, wait_ends_ms)
            elif in_flight > 1 and failures + in_flight > policy.free_failures:
                # Not alone and past the free failures: a guess may go again at the earliest
                # after the shortest wait of the policy, once those in flight have settled.
                soonest_ms = policy.delay_after(policy.free_failures + 1) * 1000
                until_ms = max(until_ms, math.ceil(now_ms + soonest_ms))
        if until_ms > now_ms:
            await self.release_try(name, *(key for key, _ in checks))
            return _at(until_ms / 1000)
        return None

    async def release_try(self, name: str, *keys: str) -> None:
        for key in keys:
            await self.storage.incr(f"{name}:busy:{key}", TRY_LEASE_S, amount=-1)

    async def record_failure(self, name: str, key: str, policy: BackoffPolicy) -> None:
        failures = await self.storage.incr(f"{name}:fail:{key}", policy.memory_s)
        delay = policy.delay_after(failures)
        if delay > 0:
            wait_key = f"{name}:wait:{key}:{failures}"
            until_ms = math.ceil((self.clock.now().timestamp() + delay) * 1000)
            await self.storage.clear(wait_key)  # left from before the failures were forgotten
            await self.storage.incr(wait_key, policy.memory_s, amount=until_ms)

    async def forget_failures(self, name: str, key: str) -> None:
        await self.storage.clear(f"{name}:fail:{key}")
