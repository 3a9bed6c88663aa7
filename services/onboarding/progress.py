"""Where an account stands in the six steps, computed from its rows.

Progress is never stored: it follows from the account's columns, its details and its first
bound card, so it cannot drift from them. The continue message and the `onboarding` field
both read it from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from models.accounts import Account
from models.cards import PaymentCard
from models.onboarding import AccountDetails
from services.i18n.text import RegionName, Text, tr
from services.read_cache import ReadCache
from services.regions import find_region


class StepKey(StrEnum):
    REGISTER = "REGISTER"
    SECURITY_PHONE = "SECURITY_PHONE"
    ENABLE_CLOUD = "ENABLE_CLOUD"
    MOBILE_NUMBER = "MOBILE_NUMBER"
    ACCOUNT_DETAILS = "ACCOUNT_DETAILS"
    PAYMENT_METHOD = "PAYMENT_METHOD"


class StepStatus(StrEnum):
    COMPLETED = "COMPLETED"
    SKIPPED = "SKIPPED"
    PENDING = "PENDING"
    BLOCKED = "BLOCKED"


# The frontend's route for each step, under ONRAMP_FRONTEND_URL.
ROUTES = {
    StepKey.REGISTER: "register",
    StepKey.SECURITY_PHONE: "onboarding/security-phone",
    StepKey.ENABLE_CLOUD: "onboarding/enable-cloud",
    StepKey.MOBILE_NUMBER: "onboarding/mobile",
    StepKey.ACCOUNT_DETAILS: "onboarding/details",
    StepKey.PAYMENT_METHOD: "onboarding/payment",
}


@dataclass(frozen=True)
class Step:
    key: StepKey
    status: StepStatus
    required: bool
    completed_at: datetime | None = None
    blocked_reason: Text | None = None


@dataclass(frozen=True)
class Progress:
    steps: list[Step]
    next_step: StepKey | None
    blocked: bool
    cloud_enabled: bool
    can_subscribe: bool
    continue_url: str | None

    @property
    def account_information_complete(self) -> bool:
        """Mobile, details and a payment method are in place."""
        return self.can_subscribe


def cloud_blocked_reason(account: Account) -> Text | None:
    region = find_region(account.region_code)
    if region is None or region.can_enable_cloud(account.kind):
        return None
    return tr(
        "A HUAWEI ID registered in {region} cannot enable cloud services. Register a HUAWEI "
        "CLOUD account (the same email address may hold one) to use them.",
        region=RegionName(region.code),
    )


def compute_progress(
    account: Account,
    details: AccountDetails | None,
    card_bound_at: datetime | None,
    frontend_url: str,
) -> Progress:
    blocked_reason = cloud_blocked_reason(account)

    def after_cloud(key: StepKey, done_at: datetime | None) -> Step:
        if done_at is not None:
            return Step(key, StepStatus.COMPLETED, True, done_at)
        if blocked_reason:
            return Step(key, StepStatus.BLOCKED, True, blocked_reason=blocked_reason)
        return Step(key, StepStatus.PENDING, True)

    if account.security_phone_verified_at is not None:
        phone = Step(
            StepKey.SECURITY_PHONE, StepStatus.COMPLETED, False, account.security_phone_verified_at
        )
    elif account.security_phone_skipped_at is not None:
        phone = Step(
            StepKey.SECURITY_PHONE, StepStatus.SKIPPED, False, account.security_phone_skipped_at
        )
    else:
        phone = Step(StepKey.SECURITY_PHONE, StepStatus.PENDING, False)
    steps = [
        Step(StepKey.REGISTER, StepStatus.COMPLETED, True, account.created_at),
        phone,
        after_cloud(StepKey.ENABLE_CLOUD, account.cloud_enabled_at),
        after_cloud(StepKey.MOBILE_NUMBER, account.mobile_verified_at),
        after_cloud(StepKey.ACCOUNT_DETAILS, details.completed_at if details else None),
        after_cloud(StepKey.PAYMENT_METHOD, card_bound_at),
    ]
    next_step = next((s.key for s in steps if s.status is StepStatus.PENDING), None)
    # Mobile, details and payment come only after enabling, so all three done means enabled.
    return Progress(
        steps=steps,
        next_step=next_step,
        blocked=any(s.status is StepStatus.BLOCKED for s in steps),
        cloud_enabled=account.cloud_enabled_at is not None,
        can_subscribe=all(s.status is StepStatus.COMPLETED for s in steps[3:]),
        continue_url=f"{frontend_url}/{ROUTES[next_step]}" if next_step else None,
    )


class ProgressTracker:
    """Reads an account's progress; continue URLs lead into the frontend at `frontend_url`."""

    def __init__(self, *, frontend_url: str, cache: ReadCache) -> None:
        self.frontend_url = frontend_url
        self.cache = cache

    async def of(self, account: Account) -> Progress:
        details = await AccountDetails.get_or_none(account_id=account.id)
        return compute_progress(account, details, await card_bound_at(account), self.frontend_url)

    async def for_reading(self, account: Account) -> Progress:
        """As `of`, from this process's read cache where it can: for queries only."""
        return await self.cache.account_part(
            account.id, "progress", Progress, lambda: self.of(account)
        )


async def card_bound_at(account: Account) -> datetime | None:
    """When the account's first card was bound, or None."""
    card = await PaymentCard.filter(account_id=account.id).order_by("bound_at").first()
    return card.bound_at if card else None
