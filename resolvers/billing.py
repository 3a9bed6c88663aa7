"""Post-paid bills on the account: a connection, newest first."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from models.billing import Bill
from models.billing import BillKind as BillSort
from models.billing import BillStatus as BillState
from resolvers.nodes import own_rows
from resolvers.pagination import KeysetConnection, PageInfo
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
    async def lines(self, info: Info) -> list[BillLineType]:
        rows = await info.context.loaders.lines_of.load(self.model.id)
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
        rows = await own_rows(info.context.loaders.bill, info, node_ids)
        return [cls.from_model(r) if r else None for r in rows]


@strawberry.type
class BillEdge(relay.Edge[BillType]):
    cursor: str
    node: BillType


@strawberry.type
class BillConnection(KeysetConnection[BillType]):
    page_info: PageInfo
    edges: list[BillEdge]

    edge_type = BillEdge

    @classmethod
    def resolve_node(cls, node: Bill, *, info: Info, **kwargs: Any) -> BillType:
        return BillType.from_model(node)
