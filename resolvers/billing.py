"""Post-paid billing on the account: its billing profile and its bills, newest first."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from models.accounts import Account
from models.billing import Bill
from resolvers.cards import PaymentCardType
from resolvers.enums import BillKind, BillStatus
from resolvers.nodes import own_rows
from resolvers.pagination import KeysetConnection, PageInfo
from resolvers.reference import MoneyType
from services.billing_dates import BILLING_DAY
from services.money import Money
from services.regions import find_region


@strawberry.type
class BillingProfile:
    postpaid_qualified: bool = strawberry.field(
        description="Spend first, pay later: true once a card has been bound successfully."
    )
    currency: str
    billing_day: int = strawberry.field(
        description="Day of the month on which the monthly bill is generated."
    )
    next_bill_date: date | None
    arrears_risk: bool = strawberry.field(
        description=(
            "When set, bills are issued at once for expenses incurred instead of on the "
            "billing day."
        )
    )
    default_card: PaymentCardType | None = strawberry.field(
        description="The card that bills are charged to."
    )
    outstanding: MoneyType = strawberry.field(
        description="Sum of the UNPAID bills, in the billing currency."
    )


async def billing_profile(account: Account, info: Info) -> BillingProfile:
    region = find_region(account.region_code)
    cards = await info.context.loaders.cards_of.load(account.id)
    default = next((card for card in cards if card.is_default), None)
    next_bill = await info.context.services.billing.next_bill_date(account)
    outstanding = await info.context.services.billing.outstanding(account)
    return BillingProfile(
        postpaid_qualified=next_bill is not None,
        currency=region.currency if region else "USD",
        billing_day=BILLING_DAY,
        next_bill_date=next_bill,
        arrears_risk=account.arrears_risk,
        default_card=PaymentCardType.from_model(default) if default else None,
        outstanding=MoneyType.of(outstanding),
    )


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
    tax_rate_percent: Decimal
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
            tax_rate_percent=Decimal(bill.tax_rate_percent),
            tax=money(bill.tax),
            total=money(bill.total),
            status=bill.status,
            issued_at=bill.issued_at,
            paid_at=bill.paid_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # see resolvers/nodes.py
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
    # The SDL names the edge type itself; relay.Connection types it as the generic Edge.
    edges: list[BillEdge]  # type: ignore[assignment]

    edge_type = BillEdge

    @classmethod
    def resolve_node(cls, node: Bill, *, info: Info, **kwargs: Any) -> BillType:
        return BillType.from_model(node)
