"""Failed sign-ins cost a growing wait, per identity and per client IP: one rule for
customers and staff alike (each under its own name, so neither side's failures count for
the other).

A try is reserved before the password is hashed and settled after (see
`RateLimiter.reserve_try`): guesses sent at once are refused beyond the free ones. The
identity key is the normalised email, whether or not it names anyone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from services.problems import ProblemCode, Refused
from services.ratelimit import BackoffPolicy, RateLimiter

T = TypeVar("T")


@dataclass(frozen=True)
class LoginPolicy:
    per_account: BackoffPolicy
    per_client_ip: BackoffPolicy


class SignInThrottle:
    def __init__(self, limiter: RateLimiter, policy: LoginPolicy, name: str) -> None:
        self.limiter = limiter
        self.policy = policy
        self.name = name

    async def check(
        self,
        identity: str,
        client_ip: str,
        verify: Callable[[], Awaitable[T | None]],
        refusal: Refused,
    ) -> T:
        """What `verify` found; a None from it is a failure, counted, and refused."""
        account_key, ip_key = f"email:{identity}", f"ip:{client_ip}"
        # Reserved before the hash and counted atomically: guesses sent at once are refused
        # beyond the free ones, not all checked against the failures known before them.
        waiting = await self.limiter.reserve_try(
            self.name,
            (account_key, self.policy.per_account),
            (ip_key, self.policy.per_client_ip),
        )
        if waiting is not None:
            raise Refused.because(
                ProblemCode.RATE_LIMITED,
                "Too many failed sign-ins. Wait a little, then try again.",
                retry_after=waiting,
            )
        try:
            found = await verify()
            if found is None:
                # Recorded before the try is released, so no later try misses it.
                await self.limiter.record_failure(self.name, account_key, self.policy.per_account)
                await self.limiter.record_failure(self.name, ip_key, self.policy.per_client_ip)
                raise refusal
            await self.limiter.forget_failures(self.name, account_key)
        finally:
            await self.limiter.release_try(self.name, account_key, ip_key)
        return found

    async def forget(self, identity: str) -> None:
        """After the password changed: the identity's failures are forgotten."""
        await self.limiter.forget_failures(self.name, f"email:{identity}")
