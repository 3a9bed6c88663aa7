"""What a service calls once it has completed an onboarding step for an account.

Onboarding keeps the account's continue message in step with its progress; the services
that complete steps (mobile number, card binding) are handed this hook when they are built,
so that none of them needs to know what follows a step.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from models.accounts import Account

AfterStep = Callable[[Account], Awaitable[None]]
