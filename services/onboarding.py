"""Steps 4 and 5.2, the progress through all six steps, and the continue message."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from stdnum import get_cc_module
from stdnum.exceptions import ValidationError
from tortoise.transactions import in_transaction

from models.accounts import Account
from models.cards import PaymentCard
from models.onboarding import AccountDetails, AccountMessage, AgreementAcceptance, DetailsType
from services import messages
from services.accounts import Caller
from services.agreements import AgreementScope, current_agreements, find_agreement
from services.clock import Clock
from services.outbox import Outbox
from services.problems import ProblemCode, Problems, Refused
from services.regions import find_region

CONTINUE_MESSAGE = "complete-account-information"


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
    blocked_reason: str | None = None


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


def cloud_blocked_reason(account: Account) -> str | None:
    region = find_region(account.region_code)
    if region is None or region.can_enable_cloud(account.kind):
        return None
    return (
        f"A HUAWEI ID registered in {region.name} cannot enable cloud services. Register a "
        "HUAWEI CLOUD account (the same email address may hold one) to use them."
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


# Account details input, as the services see it.


@dataclass(frozen=True)
class AddressInput:
    line1: str
    city: str
    postal_code: str
    line2: str | None = None
    state: str | None = None


@dataclass(frozen=True)
class IndividualInput:
    full_name: str
    address: AddressInput | None = None


@dataclass(frozen=True)
class EnterpriseInput:
    company_name: str
    registration_number: str
    registered_address: AddressInput
    contact_name: str
    tax_id: str | None = None


REGISTRATION_NUMBER = re.compile(r"^[A-Za-z0-9./-]{3,64}$")


class _Fields:
    """Collects trimmed values and every problem found in them."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.problems = Problems()

    def text(self, name: str, value: str | None, limit: int, *, required: bool) -> str | None:
        trimmed = (value or "").strip()
        if not trimmed:
            if required:
                self.add(name, "Fill this in.")
            return None
        if len(trimmed) > limit:
            self.add(name, f"Use at most {limit} characters.")
        return trimmed

    def add(self, name: str, message: str) -> None:
        self.problems.add(ProblemCode.INVALID_INPUT, message, f"{self.prefix}.{name}")


def _address(fields: _Fields, name: str, address: AddressInput) -> dict[str, str | None]:
    return {
        "address_line1": fields.text(f"{name}.line1", address.line1, 200, required=True),
        "address_line2": fields.text(f"{name}.line2", address.line2, 200, required=False),
        "address_city": fields.text(f"{name}.city", address.city, 100, required=True),
        "address_state": fields.text(f"{name}.state", address.state, 100, required=False),
        "address_postal_code": fields.text(
            f"{name}.postalCode", address.postal_code, 20, required=True
        ),
    }


def _tax_id(fields: _Fields, region_code: str, tax_id: str | None) -> str | None:
    value = fields.text("taxId", tax_id, 64, required=False)
    if value is None:
        return None
    vat = get_cc_module(region_code.lower(), "vat")
    if vat is None:
        return value  # no maintained check knows this region's format
    try:
        vat.validate(value)
    except ValidationError:
        fields.add("taxId", "This is not a valid tax number for the account's country.")
    return value


def validate_details(
    account: Account, details: IndividualInput | EnterpriseInput
) -> dict[str, object]:
    """The columns to store, or refused with every problem of the form at once."""
    if isinstance(details, IndividualInput):
        fields = _Fields("individual")
        values: dict[str, object] = {
            "type": DetailsType.INDIVIDUAL,
            "full_name": fields.text("fullName", details.full_name, 100, required=True),
            **(_address(fields, "address", details.address) if details.address else {}),
        }
    else:
        fields = _Fields("enterprise")
        registration = fields.text(
            "registrationNumber", details.registration_number, 64, required=True
        )
        if registration and not REGISTRATION_NUMBER.match(registration):
            fields.add(
                "registrationNumber",
                "Use 3 to 64 letters, digits and the characters - / . only.",
            )
        values = {
            "type": DetailsType.ENTERPRISE,
            "company_name": fields.text("companyName", details.company_name, 200, required=True),
            "registration_number": registration,
            "tax_id": _tax_id(fields, account.region_code, details.tax_id),
            "contact_name": fields.text("contactName", details.contact_name, 100, required=True),
            **_address(fields, "registeredAddress", details.registered_address),
        }
    fields.problems.refuse_if_any()
    return values


class Onboarding:
    def __init__(self, *, clock: Clock, outbox: Outbox, frontend_url: str) -> None:
        self.clock = clock
        self.outbox = outbox
        self.frontend_url = frontend_url

    async def progress(self, account: Account) -> Progress:
        details = await AccountDetails.get_or_none(account_id=account.id)
        return compute_progress(account, details, await card_bound_at(account), self.frontend_url)

    async def enable_cloud(
        self, account: Account, accepted: list[UUID | None], caller: Caller
    ) -> Account:
        if account.cloud_enabled_at is not None:
            raise _already_enabled()
        if reason := cloud_blocked_reason(account):
            raise Refused.because(ProblemCode.CLOUD_NOT_AVAILABLE_FOR_ACCOUNT_KIND, reason)
        unknown = Problems()
        for index, agreement_id in enumerate(accepted):
            if agreement_id is None or find_agreement(agreement_id) is None:
                unknown.add(
                    ProblemCode.NOT_FOUND,
                    "There is no such agreement.",
                    f"acceptedAgreementIds.{index}",
                )
        unknown.refuse_if_any()
        now = self.clock.now()
        current = current_agreements(AgreementScope.CLOUD, now)
        missing = [a for a in current if a.id not in set(accepted)]
        if missing:
            names = ", ".join(f"{a.title} (version {a.version})" for a in missing)
            raise Refused.because(
                ProblemCode.AGREEMENTS_NOT_ACCEPTED,
                f"Read and accept the current {names} to enable cloud services.",
                "acceptedAgreementIds",
            )
        async with in_transaction():
            enabled = await Account.filter(id=account.id, cloud_enabled_at=None).update(
                cloud_enabled_at=now
            )
            if not enabled:
                raise _already_enabled()
            await Account.filter(
                id=account.id, security_phone_verified_at=None, security_phone_skipped_at=None
            ).update(security_phone_skipped_at=now)
            for agreement in current:
                await AgreementAcceptance.create(
                    account_id=account.id,
                    agreement_id=agreement.id,
                    agreement_key=agreement.key,
                    version=agreement.version,
                    accepted_at=now,
                    client_ip=caller.client_ip[:64],
                    user_agent=caller.user_agent[:512],
                )
        await account.refresh_from_db()
        await self.refresh_continue_message(account)
        return account

    async def complete_details(
        self, account: Account, details: IndividualInput | EnterpriseInput
    ) -> Account:
        if account.cloud_enabled_at is None:
            raise Refused.because(
                ProblemCode.PREREQUISITE_MISSING,
                "Enable cloud services first: account details come after that.",
            )
        values = validate_details(account, details)
        existing = await AccountDetails.get_or_none(account_id=account.id)
        now = self.clock.now()
        if existing is None:
            await AccountDetails.create(
                account_id=account.id, completed_at=now, updated_at=now, **values
            )
        else:
            if existing.type != values["type"] and await card_bound_at(account) is not None:
                raise Refused.because(
                    ProblemCode.ACCOUNT_TYPE_LOCKED,
                    "A card has been bound: the account can no longer switch between "
                    "individual and enterprise.",
                )
            cleared = {name: None for name in _DETAIL_COLUMNS}
            await AccountDetails.filter(id=existing.id).update(
                **{**cleared, **values}, updated_at=now
            )
        await self.refresh_continue_message(account)
        return account

    async def refresh_continue_message(self, account: Account) -> None:
        """Keeps the continue message in step: its link follows progress; done, it goes."""
        progress = await self.progress(account)
        live = await AccountMessage.filter(
            account_id=account.id, kind=CONTINUE_MESSAGE, withdrawn_at=None
        ).first()
        if not progress.cloud_enabled:
            return
        if progress.account_information_complete:
            if live is not None:
                await AccountMessage.filter(id=live.id).update(withdrawn_at=self.clock.now())
            return
        if live is not None:
            if live.link != progress.continue_url:
                await AccountMessage.filter(id=live.id).update(link=progress.continue_url)
            return
        text = messages.complete_account_information(progress.continue_url or self.frontend_url)
        await AccountMessage.create(
            account_id=account.id,
            kind=CONTINUE_MESSAGE,
            title=text.subject,
            body=(
                "Add your mobile number, your individual or enterprise details and a payment "
                "method to start using cloud services."
            ),
            link=progress.continue_url,
            created_at=self.clock.now(),
        )
        await self.outbox.send_email(account.email_display, text)

    async def messages(self, account: Account) -> list[AccountMessage]:
        return await AccountMessage.filter(account_id=account.id, withdrawn_at=None).order_by(
            "-created_at"
        )

    async def mark_read(
        self, account: Account, message_ids: list[UUID | None]
    ) -> list[AccountMessage]:
        own = {
            m.id: m
            for m in await AccountMessage.filter(
                account_id=account.id, id__in=[i for i in message_ids if i is not None]
            )
        }
        missing = Problems()
        for index, message_id in enumerate(message_ids):
            if message_id is None or message_id not in own:
                missing.add(
                    ProblemCode.NOT_FOUND, "There is no such message.", f"messageIds.{index}"
                )
        missing.refuse_if_any()
        now = self.clock.now()
        await AccountMessage.filter(id__in=list(own), read_at=None).update(read_at=now)
        return await AccountMessage.filter(id__in=list(own)).order_by("-created_at")


def _already_enabled() -> Refused:
    return Refused.because(ProblemCode.ALREADY_COMPLETED, "Cloud services are already enabled.")


_DETAIL_COLUMNS = (
    "full_name",
    "company_name",
    "registration_number",
    "tax_id",
    "contact_name",
    "address_line1",
    "address_line2",
    "address_city",
    "address_state",
    "address_postal_code",
)


async def card_bound_at(account: Account) -> datetime | None:
    """When the account's first card was bound, or None."""
    card = await PaymentCard.filter(account_id=account.id).order_by("bound_at").first()
    return card.bound_at if card else None
