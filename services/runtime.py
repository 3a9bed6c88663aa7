"""Every service of one running app, wired together once in its lifespan."""

from __future__ import annotations

from dataclasses import dataclass

from services.accounts import Accounts, LoginPolicy
from services.clock import Clock
from services.codes import CodeLimits, Codes
from services.keys import KeyRing
from services.outbox import EmailSender, Outbox
from services.passwords import Passwords
from services.ratelimit import RateLimiter
from services.sessions import Sessions


@dataclass(frozen=True)
class Services:
    clock: Clock
    keys: KeyRing
    limiter: RateLimiter
    passwords: Passwords
    codes: Codes
    sessions: Sessions
    outbox: Outbox
    accounts: Accounts


def build_services(
    *,
    clock: Clock,
    keys: KeyRing,
    limiter: RateLimiter,
    code_limits: CodeLimits,
    login_policy: LoginPolicy,
    email_sender: EmailSender | None,
    redact_delivered: bool,
    frontend_url: str,
) -> Services:
    passwords = Passwords()
    codes = Codes(keys, clock, limiter, code_limits)
    sessions = Sessions(keys, clock)
    outbox = Outbox(clock, email_sender, redact_delivered)
    accounts = Accounts(
        clock=clock,
        codes=codes,
        sessions=sessions,
        passwords=passwords,
        outbox=outbox,
        limiter=limiter,
        login_policy=login_policy,
        frontend_url=frontend_url,
    )
    return Services(
        clock=clock,
        keys=keys,
        limiter=limiter,
        passwords=passwords,
        codes=codes,
        sessions=sessions,
        outbox=outbox,
        accounts=accounts,
    )
