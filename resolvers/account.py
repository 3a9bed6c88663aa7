"""The Account type as far as it is built, and the `me` query."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from models.accounts import Account
from resolvers.reference import AccountKind, RegionType
from services.regions import find_region


@strawberry.type(name="Account")
class AccountType(relay.Node):
    id: relay.NodeID[str]
    kind: AccountKind
    email: str
    created_at: datetime
    region_code: strawberry.Private[str]

    @strawberry.field
    def region(self) -> RegionType:
        region = find_region(self.region_code)
        if region is None:  # a region can leave the data file only with a migration of accounts
            raise LookupError(f"region {self.region_code} is no longer configured")
        return RegionType.from_region(region)

    @classmethod
    def from_model(cls, account: Account) -> AccountType:
        return cls(
            id=str(account.id),
            kind=account.kind,
            email=account.email_display,
            created_at=account.created_at,
            region_code=account.region_code,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Any, required: bool = False
    ) -> list[AccountType | None]:
        session = await info.context.session()
        own = str(session.account_id) if session else None
        return [cls.from_model(session.account) if node_id == own else None for node_id in node_ids]


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The signed-in account, or null.")
    async def me(self, info: Info) -> AccountType | None:
        session = await info.context.session()
        return AccountType.from_model(session.account) if session else None
