"""Post-paid bills on the account: a connection, newest first."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from models.billing import Bill, BillLine
from models.billing import BillKind as BillSort
from models.billing import BillStatus as BillState
from resolvers.nodes import own_rows
from resolvers.pagination import PageInfo, newest_first
from resolvers.reference import MoneyType
from services.money import Money

BillStatus = strawberry.enum(BillState, name="BillStatus")
BillKind = strawberry.enum(BillSort, name="BillKind")


@strawberry.type
class BillPeriod:
    start: date
    end: date


@strawberry.type(name="BillLine")
class BillLineType:
    description: str
    amount: MoneyType
    occurred_at: datetime


@strawberry.type(name="Bill", description="A post-paid bill, charged to the default card.")
class BillType(relay.Node):
    id: relay.NodeID[str]
    model: strawberry.Private[Bill]
    number: str
    kind: BillKind
    period: BillPeriod
    subtotal: MoneyType
    tax_rate_percent: str
    tax: MoneyType
    total: MoneyType
    status: BillStatus
    issued_at: datetime
    paid_at: datetime | None

    @strawberry.field
    async def lines(self) -> list[BillLineType]:
        rows = await BillLine.filter(bill_id=self.model.id).order_by("occurred_at")
        return [
            BillLineType(
                description=row.description,
                amount=MoneyType.of(Money.of(row.amount, self.model.currency)),
                occurred_at=row.occurred_at,
            )
            for row in rows
        ]

    @classmethod
    def from_model(cls, bill: Bill) -> BillType:
        def money(value: str) -> MoneyType:
            return MoneyType.of(Money.of(value, bill.currency))

        return cls(
            id=str(bill.id),
            model=bill,
            number=bill.number,
            kind=bill.kind,
            period=BillPeriod(start=bill.period_start, end=bill.period_end),
            subtotal=money(bill.subtotal),
            tax_rate_percent=bill.tax_rate_percent,
            tax=money(bill.tax),
            total=money(bill.total),
            status=bill.status,
            issued_at=bill.issued_at,
            paid_at=bill.paid_at,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Any, required: bool = False
    ) -> list[BillType | None]:
        return [cls.from_model(r) if r else None for r in await own_rows(Bill, info, node_ids)]


@strawberry.type
class BillEdge:
    cursor: str
    node: BillType


@strawberry.type
class BillConnection:
    page_info: PageInfo
    edges: list[BillEdge]


async def bills_of(
    account_id: Any, *, first: int | None, last: int | None, after: str | None, before: str | None
) -> BillConnection:
    page = await newest_first(
        Bill.filter(account_id=account_id),
        "issued_at",
        first=first,
        last=last,
        after=after,
        before=before,
    )
    return BillConnection(
        page_info=page.info,
        edges=[BillEdge(cursor=cursor, node=BillType.from_model(row)) for cursor, row in page.rows],
    )
