"""Reference data every visitor may read: regions, the password policy and the agreements."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.types import Info
from tortoise import timezone

from resolvers.enums import AccountKind
from resolvers.locale import reader_locale, written
from services import agreements, regions
from services.deposits import verification_deposit
from services.i18n import formats
from services.money import Money
from services.passwords import POLICY


@strawberry.type(name="Money")
class MoneyType:
    amount: Decimal
    currency: str = strawberry.field(description="ISO 4217.")

    @strawberry.field(
        description=(
            "The amount as the reader's language writes money (CLDR), e.g. 1.234,56 € in "
            "German, €1,234.56 in English, ￥154 in Japanese."
        )
    )
    async def formatted(self, info: Info) -> str:
        return formats.money(Money(self.amount, self.currency), await reader_locale(info))

    @classmethod
    def of(cls, money: Money) -> MoneyType:
        return cls(amount=money.amount, currency=money.currency)


@strawberry.type(
    name="Region",
    description=(
        "A country or region. Chosen once at registration; it fixes the laws, tax rate and "
        "billing currency."
    ),
)
class RegionType:
    code: str = strawberry.field(description="ISO 3166-1 alpha-2, e.g. DE.")
    calling_code: str = strawberry.field(
        description="E.164 calling code with its plus sign, e.g. +49."
    )
    currency: str = strawberry.field(description="ISO 4217 billing currency, e.g. EUR.")
    tax_rate_percent: Decimal
    source: strawberry.Private[regions.Region]

    @strawberry.field(description="In the reader's language (CLDR), e.g. Deutschland.")
    async def name(self, info: Info) -> str:
        return self.source.name(await reader_locale(info))

    @strawberry.field(description="The law that governs the customer agreement for this region.")
    async def governing_law(self, info: Info) -> str:
        return await written(info, self.source.governing_law_text())

    cloud_enable_kinds: list[AccountKind] = strawberry.field(
        description=(
            "Account kinds that may enable cloud services when registered here; a frontend "
            "warns at region choice when HUAWEI_ID is missing."
        )
    )

    @strawberry.field(
        description=(
            "The card-verification deposit for accounts of this region: 1 USD converted to "
            "the region's currency."
        )
    )
    def verification_deposit(self) -> MoneyType:
        return MoneyType.of(verification_deposit(self.currency))

    @classmethod
    def from_region(cls, region: regions.Region) -> RegionType:
        return cls(
            code=region.code,
            calling_code=region.calling_code,
            currency=region.currency,
            tax_rate_percent=region.tax_rate_percent,
            cloud_enable_kinds=list(region.cloud_enable_kinds),
            source=region,
        )


@strawberry.type(name="PasswordPolicy")
class PasswordPolicyType:
    min_length: int
    max_length: int
    requires_letter: bool
    requires_digit: bool
    allows_spaces: bool


@strawberry.type(name="Agreement")
class AgreementType(relay.Node):
    id: relay.NodeID[str]
    key: str = strawberry.field(description="Stable name across versions, e.g. customer-agreement.")
    version: str
    url: str = strawberry.field(
        description=(
            "The frontend page that shows this version: ONRAMP_FRONTEND_URL/legal/<key>/"
            "<version>; it resolves to a real page."
        )
    )
    effective_from: datetime
    source: strawberry.Private[agreements.Agreement]

    @strawberry.field(description="In the reader's language.")
    async def title(self, info: Info) -> str:
        return await written(info, agreements.title(self.source))

    @strawberry.field(
        description=(
            "The full text of this version, in Markdown: what the person reads before "
            "accepting. In the reader's language where it is translated; else the English "
            "text, which governs, opening with a note in the reader's language that says so."
        )
    )
    async def content(self, info: Info) -> str:
        return agreements.content(self.source, await reader_locale(info)).markdown

    @strawberry.field(
        description=(
            "The language `content` is written in (BCP 47): the reader's, or en when the "
            "text is not translated into it."
        )
    )
    async def content_locale(self, info: Info) -> str:
        return agreements.content(self.source, await reader_locale(info)).locale

    @classmethod
    def from_agreement(cls, agreement: agreements.Agreement, info: Info) -> AgreementType:
        base = info.context.frontend_url
        return cls(
            id=str(agreement.id),
            key=agreement.key,
            version=agreement.version,
            url=base + agreement.path,
            effective_from=agreement.effective_from,
            source=agreement,
        )

    @classmethod
    def resolve_nodes(  # type: ignore[override]  # see resolvers/nodes.py
        cls, *, info: Info, node_ids: Any, required: bool = False
    ) -> list[AgreementType | None]:
        found = []
        for node_id in node_ids:
            try:
                agreement = agreements.find_agreement(UUID(node_id))
            except ValueError:
                agreement = None
            found.append(cls.from_agreement(agreement, info) if agreement else None)
        return found


@strawberry.type
class ReferenceQuery:
    @strawberry.field(description="In the order of their names in the reader's language.")
    async def regions(self, info: Info) -> list[RegionType]:
        locale = await reader_locale(info)
        return [RegionType.from_region(region) for region in regions.all_regions(locale)]

    @strawberry.field
    def password_policy(self) -> PasswordPolicyType:
        return PasswordPolicyType(
            min_length=POLICY.min_length,
            max_length=POLICY.max_length,
            requires_letter=POLICY.requires_letter,
            requires_digit=POLICY.requires_digit,
            allows_spaces=POLICY.allows_spaces,
        )

    @strawberry.field(
        description="The versions a person must accept to enable cloud services today."
    )
    def agreements(self, info: Info) -> list[AgreementType]:
        current = agreements.current_agreements(agreements.AgreementScope.CLOUD, timezone.now())
        return [AgreementType.from_agreement(agreement, info) for agreement in current]

    @strawberry.field(
        description=(
            "Any version, current or superseded (for the frontend's /legal/<key>/<version> "
            "page); null when unknown."
        )
    )
    def agreement(self, info: Info, key: str, version: str) -> AgreementType | None:
        found = agreements.find_version(key, version)
        return AgreementType.from_agreement(found, info) if found else None
