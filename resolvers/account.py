"""The Account type and what hangs off it, and the `me` and `onboarding` queries.

`AccountPayload` is here too: every step that changes the account answers with it.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.types import Info

from models.accounts import Account
from models.onboarding import AccountDetails, AccountMessage, DetailsType
from resolvers.billing import BillConnection, BillingProfile, billing_profile
from resolvers.cards import PaymentCardType
from resolvers.enums import AccountKind, OnboardingStepKey
from resolvers.errors import UserError
from resolvers.locale import written
from resolvers.nodes import own_rows
from resolvers.reference import AgreementType, RegionType
from resolvers.session import current_session, require_account
from resolvers.tickets import ServiceTicketType
from services.agreements import find_agreement
from services.i18n.text import Renderable
from services.onboarding.account_messages import title_and_body
from services.onboarding.progress import Progress
from services.phones import mask
from services.regions import find_region


@strawberry.type
class MaskedPhone:
    region_code: str
    masked: str = strawberry.field(description="E.g. +49 151 ****5678.")
    verified_at: datetime


def masked_phone(e164: str | None, region: str | None, at: datetime | None) -> MaskedPhone | None:
    if e164 is None or region is None or at is None:
        return None
    return MaskedPhone(region_code=region, masked=mask(e164), verified_at=at)


@strawberry.type(
    description="An address in the account's own region (its country is the account's region)."
)
class Address:
    line1: str
    line2: str | None
    city: str
    state: str | None
    postal_code: str


def _address(details: AccountDetails) -> Address | None:
    if details.address_line1 is None:
        return None
    return Address(
        line1=details.address_line1,
        line2=details.address_line2,
        city=details.address_city or "",
        state=details.address_state,
        postal_code=details.address_postal_code or "",
    )


def _required_address(details: AccountDetails) -> Address:
    address = _address(details)
    if address is None:  # enterprise details are never saved without one
        raise LookupError(f"enterprise details {details.id} have no address")
    return address


@strawberry.type
class IndividualDetails:
    full_name: str
    address: Address | None


@strawberry.type
class EnterpriseDetails:
    company_name: str
    registration_number: str
    tax_id: str | None
    registered_address: Address
    contact_name: str


AccountDetailsUnion = Annotated[
    IndividualDetails | EnterpriseDetails, strawberry.union("AccountDetails")
]


def details_of(details: AccountDetails) -> IndividualDetails | EnterpriseDetails:
    if details.type is DetailsType.INDIVIDUAL:
        return IndividualDetails(full_name=details.full_name or "", address=_address(details))
    return EnterpriseDetails(
        company_name=details.company_name or "",
        registration_number=details.registration_number or "",
        tax_id=details.tax_id,
        registered_address=_required_address(details),
        contact_name=details.contact_name or "",
    )


@strawberry.type(name="AgreementAcceptance")
class AgreementAcceptanceType:
    accepted_at: datetime
    agreement_id: strawberry.Private[UUID]

    @strawberry.field
    def agreement(self, info: Info) -> AgreementType:
        agreement = find_agreement(self.agreement_id)
        if agreement is None:
            raise LookupError(f"agreement {self.agreement_id} left the data file")
        return AgreementType.from_agreement(agreement, info)


# Not the service's StepStatus registered as is: values with descriptions need
# strawberry.enum_value, which a service enum must not carry. Converted by value.
@strawberry.enum
class StepStatus(Enum):
    COMPLETED = "COMPLETED"
    SKIPPED = strawberry.enum_value(
        "SKIPPED",
        description=(
            "The security phone, left unset: by skipSecurityPhone, or by enabling cloud "
            "services without it."
        ),
    )
    PENDING = "PENDING"
    BLOCKED = strawberry.enum_value(
        "BLOCKED",
        description="Can never be taken by this account (and so every step after it).",
    )


@strawberry.type
class OnboardingStep:
    key: OnboardingStepKey
    status: StepStatus
    required: bool = strawberry.field(
        description="False for steps the person may skip (the security phone)."
    )
    completed_at: datetime | None
    reason: strawberry.Private[Renderable | None]

    @strawberry.field(description="Why the step cannot be taken, when status is BLOCKED.")
    async def blocked_reason(self, info: Info) -> str | None:
        return None if self.reason is None else await written(info, self.reason)


@strawberry.type
class OnboardingProgress:
    steps: list[OnboardingStep] = strawberry.field(
        description="All six steps, in the order the person takes them."
    )
    next_step: OnboardingStepKey | None = strawberry.field(
        description=(
            "The first step still PENDING, or null when nothing is left or everything left "
            "is BLOCKED."
        )
    )
    blocked: bool = strawberry.field(description="True when some step is BLOCKED.")
    cloud_services_enabled: bool
    can_subscribe_to_services: bool = strawberry.field(
        description=(
            "True once cloud services are enabled and mobile, details and a payment method "
            "are in place."
        )
    )
    continue_url: str | None = strawberry.field(
        description=(
            "Where the frontend sends the person to carry on; also the link in the reminder "
            "message."
        )
    )

    @classmethod
    def of(cls, progress: Progress) -> OnboardingProgress:
        return cls(
            steps=[
                OnboardingStep(
                    key=step.key,
                    status=StepStatus(step.status.value),
                    required=step.required,
                    completed_at=step.completed_at,
                    reason=step.blocked_reason,
                )
                for step in progress.steps
            ],
            next_step=progress.next_step,
            blocked=progress.blocked,
            cloud_services_enabled=progress.cloud_enabled,
            can_subscribe_to_services=progress.can_subscribe,
            continue_url=progress.continue_url,
        )


@strawberry.type(name="AccountMessage")
class AccountMessageType(relay.Node):
    id: relay.NodeID[str]
    texts: strawberry.Private[tuple[Renderable, Renderable]]

    @strawberry.field(description="In the reader's language.")
    async def title(self, info: Info) -> str:
        return await written(info, self.texts[0])

    @strawberry.field(description="In the reader's language.")
    async def body(self, info: Info) -> str:
        return await written(info, self.texts[1])

    link: str | None = strawberry.field(
        description="Where the message's LINK leads, when it has one."
    )
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def from_model(cls, message: AccountMessage) -> AccountMessageType:
        return cls(
            id=str(message.id),
            texts=title_and_body(message),
            link=message.link,
            created_at=message.created_at,
            read_at=message.read_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # see resolvers/nodes.py
        cls, *, info: Info, node_ids: Any, required: bool = False
    ) -> list[AccountMessageType | None]:
        rows = await own_rows(info.context.loaders.message, info, node_ids)
        return [cls.from_model(row) if row and row.withdrawn_at is None else None for row in rows]


@strawberry.type(name="Account")
class AccountType(relay.Node):
    id: relay.NodeID[str]
    kind: AccountKind
    email: str
    created_at: datetime
    model: strawberry.Private[Account]

    @strawberry.field(
        description=(
            "BCP 47 tag: the language of this account's emails, SMS, messages and Results."
        )
    )
    def locale(self) -> str:
        return self.model.locale

    @strawberry.field
    def region(self) -> RegionType:
        region = find_region(self.model.region_code)
        if region is None:  # a region leaves the data file only with a migration of accounts
            raise LookupError(f"region {self.model.region_code} is no longer configured")
        return RegionType.from_region(region)

    @strawberry.field
    def security_phone(self) -> MaskedPhone | None:
        account = self.model
        return masked_phone(
            account.security_phone_e164,
            account.security_phone_region,
            account.security_phone_verified_at,
        )

    @strawberry.field
    def mobile(self) -> MaskedPhone | None:
        account = self.model
        return masked_phone(account.mobile_e164, account.mobile_region, account.mobile_verified_at)

    @strawberry.field
    def cloud_services_enabled(self) -> bool:
        return self.model.cloud_enabled_at is not None

    @strawberry.field
    def cloud_services_enabled_at(self) -> datetime | None:
        return self.model.cloud_enabled_at

    @strawberry.field
    async def accepted_agreements(self, info: Info) -> list[AgreementAcceptanceType]:
        rows = await info.context.loaders.acceptances_of.load(self.model.id)
        return [
            AgreementAcceptanceType(accepted_at=row.accepted_at, agreement_id=row.agreement_id)
            for row in rows
        ]

    @strawberry.field
    async def details(self, info: Info) -> AccountDetailsUnion | None:
        details = await info.context.loaders.details_of.load(self.model.id)
        return details_of(details) if details else None

    @strawberry.field
    async def onboarding(self, info: Info) -> OnboardingProgress:
        return OnboardingProgress.of(await info.context.services.onboarding.progress.of(self.model))

    @strawberry.field
    async def payment_cards(self, info: Info) -> list[PaymentCardType]:
        cards = await info.context.loaders.cards_of.load(self.model.id)
        return [PaymentCardType.from_model(card) for card in cards]

    @strawberry.field
    async def billing(self, info: Info) -> BillingProfile:
        return await billing_profile(self.model, info)

    @strawberry.field(description="The account's post-paid bills, newest first.")
    async def bills(
        self,
        info: Info,
        before: str | None = None,
        after: str | None = None,
        first: int | None = None,
        last: int | None = None,
    ) -> BillConnection:
        return await BillConnection.resolve_connection(
            info.context.services.billing.bills(self.model.id),
            info=info,
            before=before,
            after=after,
            first=first,
            last=last,
        )

    @strawberry.field
    async def service_tickets(self, info: Info) -> list[ServiceTicketType]:
        tickets = await info.context.services.tickets.of_account(self.model.id)
        return [ServiceTicketType.from_model(ticket) for ticket in tickets]

    @strawberry.field
    async def messages(self, info: Info) -> list[AccountMessageType]:
        rows = await info.context.services.onboarding.messages.of_account(self.model)
        return [AccountMessageType.from_model(row) for row in rows]

    @classmethod
    def from_model(cls, account: Account) -> AccountType:
        return cls(
            id=str(account.id),
            kind=account.kind,
            email=account.email_display,
            created_at=account.created_at,
            model=account,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # see resolvers/nodes.py
        cls, *, info: Info, node_ids: Any, required: bool = False
    ) -> list[AccountType | None]:
        session = await current_session(info)
        if session is None:
            return [None for _ in node_ids]
        own = str(session.account_id)
        return [cls.from_model(session.account) if node_id == own else None for node_id in node_ids]


@strawberry.type
class AccountPayload:
    account: AccountType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, account: Account) -> AccountPayload:
        return cls(account=AccountType.from_model(account))


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The signed-in account, or null.")
    async def me(self, info: Info) -> AccountType | None:
        session = await current_session(info)
        return AccountType.from_model(session.account) if session else None

    @strawberry.field(
        description="The signed-in account's progress (null with UNAUTHENTICATED when signed out)."
    )
    async def onboarding(self, info: Info) -> OnboardingProgress | None:
        account = await require_account(info)
        services = info.context.services

        async def view() -> OnboardingProgress:
            return OnboardingProgress.of(await services.onboarding.progress.for_reading(account))

        # Kept beside the cached progress it shows, and dropped with it when the account
        # changes: made once, not for every query that reads it.
        kept: OnboardingProgress = await services.read_cache.account_part(
            account.id, "progress-view", OnboardingProgress, view
        )
        return kept
