"""Onboarding after registration, one module a job; `Onboarding` is what the app builds.

- `progress`: where an account stands in the six steps, computed from its rows;
- `cloud`: step 4, accepting the agreements and enabling cloud services;
- `details`: step 5.2, checking and storing individual or enterprise details;
- `account_messages`: the account's messages, among them the continue message.

The other steps (phones, card binding) live in their own services and are handed
`Onboarding.after_step` when they are built.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.accounts import Account
from services.clock import Clock
from services.onboarding.account_messages import AccountMessages
from services.onboarding.cloud import CloudStep
from services.onboarding.details import DetailsStep
from services.onboarding.progress import ProgressTracker
from services.outbox import Outbox
from services.read_cache import ReadCache
from services.steps import AfterStep


@dataclass(frozen=True)
class Onboarding:
    progress: ProgressTracker
    cloud: CloudStep
    details: DetailsStep
    messages: AccountMessages
    # What every service that completes a step calls (services.steps.AfterStep).
    after_step: AfterStep

    @classmethod
    def build(
        cls, *, clock: Clock, outbox: Outbox, frontend_url: str, cache: ReadCache
    ) -> Onboarding:
        progress = ProgressTracker(frontend_url=frontend_url, cache=cache)
        messages = AccountMessages(
            clock=clock, outbox=outbox, progress=progress, frontend_url=frontend_url
        )

        async def after_step(account: Account) -> None:
            # Every process reads the account again; the continue message follows.
            await cache.account_changed(account.id)
            await messages.refresh_continue_message(account)

        return cls(
            progress=progress,
            cloud=CloudStep(clock=clock, after_step=after_step),
            details=DetailsStep(clock=clock, after_step=after_step),
            messages=messages,
            after_step=after_step,
        )
