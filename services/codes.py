"""Six-digit verification codes for every purpose: issued, rate-limited, checked, consumed.

A code is stored only as an HMAC bound to its purpose, destination and scope; its try
counter is bumped before the comparison and it is consumed by a conditional UPDATE, so
a guess can neither skip the counter nor use a code twice.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from models.codes import CodePurpose, VerificationCode
from services.clock import Clock
from services.i18n.text import tr
from services.keys import KeyRing, Purpose
from services.problems import ProblemCode, Refused
from services.ratelimit import Check, RateLimiter, Rule

CODE_LENGTH = 6
CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
# The scope of a code issued for nobody: no check asks for it (scopes are an account kind or
# an account id), so it can never pass.
DECOY_SCOPE = "decoy"


@dataclass(frozen=True)
class CodeLimits:
    per_destination: Rule
    per_client_ip: Rule


@dataclass(frozen=True)
class Sent:
    """The answer to a send: the same whether or not a code was actually sent."""

    expires_at: datetime
    resend_available_at: datetime


@dataclass(frozen=True)
class Checked:
    """A code that passed; consume it within the transaction that uses it."""

    row_id: object


class Codes:
    def __init__(
        self, keys: KeyRing, clock: Clock, limiter: RateLimiter, limits: CodeLimits
    ) -> None:
        self.keys = keys
        self.clock = clock
        self.limiter = limiter
        self.limits = limits

    def _mac(self, purpose: CodePurpose, destination: str, scope: str, code: str) -> str:
        return self.keys.mac(Purpose.CODES, f"{purpose}\x1f{destination}\x1f{scope}\x1f{code}")

    def _checks(self, destination: str, client_ip: str) -> tuple[tuple[Rule, str], ...]:
        return ((self.limits.per_destination, destination), (self.limits.per_client_ip, client_ip))

    async def allow_send(self, destination: str, client_ip: str, *more: Check) -> None:
        """Counts a send against the caps (and `more`, whose checks may weigh more than one:
        SMS segments); refused with when the next is allowed."""
        blocked = await self.limiter.acquire(*self._checks(destination, client_ip), *more)
        if blocked is not None:
            raise Refused.because(
                ProblemCode.RATE_LIMITED,
                tr("Too many codes were asked for. Wait a little, then ask again."),
                retry_after=blocked,
            )

    async def resend_available_at(self, destination: str, client_ip: str) -> datetime:
        blocked = await self.limiter.available_at(*self._checks(destination, client_ip))
        return blocked or self.clock.now()

    async def issue(self, purpose: CodePurpose, destination: str, scope: str) -> str:
        """A new code; every older live code of the same purpose and destination stops working."""
        code = f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"
        now = self.clock.now()
        async with in_transaction():
            await VerificationCode.filter(
                purpose=purpose,
                destination=destination,
                scope=scope,
                consumed_at=None,
                superseded_at=None,
            ).update(superseded_at=now)
            await VerificationCode.create(
                purpose=purpose,
                destination=destination,
                scope=scope,
                code_mac=self._mac(purpose, destination, scope, code),
                max_attempts=MAX_ATTEMPTS,
                expires_at=now + CODE_TTL,
            )
        return code

    async def issue_decoy(self, purpose: CodePurpose, destination: str) -> None:
        """Issues a code that no check will ever find, with the statements of a real one: a
        request for nobody then does the same work as one for an account."""
        await self.issue(purpose, destination, DECOY_SCOPE)

    def expires_at(self) -> datetime:
        return self.clock.now() + CODE_TTL

    async def check(
        self, purpose: CodePurpose, destination: str, scope: str, code: str, field: str
    ) -> Checked:
        """Spends one try on the newest live code; a pass must still be consumed.

        The try is counted by its own UPDATE before the comparison: call this outside any
        transaction, so that a refusal can never roll the count back.
        """
        row = (
            await VerificationCode.filter(
                purpose=purpose,
                destination=destination,
                scope=scope,
                consumed_at=None,
                superseded_at=None,
            )
            .order_by("-created_at")
            .first()
        )
        if row is None:
            raise _invalid(field)
        if row.expires_at <= self.clock.now():
            raise Refused.because(
                ProblemCode.CODE_EXPIRED, tr("This code has expired. Ask for a new one."), field
            )
        bumped = await VerificationCode.filter(
            id=row.id, attempts__lt=F("max_attempts"), consumed_at=None
        ).update(attempts=F("attempts") + 1)
        if not bumped:
            raise Refused.because(
                ProblemCode.CODE_ATTEMPTS_EXCEEDED,
                tr("This code was tried too many times. Ask for a new one."),
                field,
            )
        expected = self._mac(purpose, destination, scope, code.strip())
        if not hmac.compare_digest(expected, row.code_mac):
            raise _invalid(field)
        return Checked(row.id)

    async def consume(self, checked: Checked, field: str) -> None:
        """Marks a passed code used; only one caller can ever succeed."""
        used = await VerificationCode.filter(id=checked.row_id, consumed_at=None).update(
            consumed_at=self.clock.now()
        )
        if not used:
            raise _invalid(field)


def _invalid(field: str) -> Refused:
    return Refused.because(
        ProblemCode.CODE_INVALID, tr("That code is not right. Check it and try again."), field
    )
