"""Post-paid billing on the account: its billing profile and its bills, newest first."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.types import Info

from models.accounts import Account
from models.billing import Bill, BillPayment
from resolvers.cards import CardBindingNextAction, NextActionType, PaymentCardType
from resolvers.enums import BillKind, BillPaymentStatus, BillStatus, CardBrand, CardFailureReason
from resolvers.nodes import own_rows
from resolvers.pagination import KeysetConnection, PageInfo
from resolvers.reference import MoneyType
from resolvers.session import current_session
from services.billing_dates import BILLING_DAY
from services.cards.results import payment_result
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

    @strawberry.field(
        description="Every charge of this bill, automatic or asked for with payBill, newest first."
    )
    async def payments(self, info: Info) -> list[BillPaymentType]:
        rows = await info.context.loaders.payments_of.load(self.model.id)
        return [BillPaymentType.from_model(row) for row in rows]

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


@strawberry.type(name="BillPayment", description="One charge of a bill to a card.")
class BillPaymentType(relay.Node):
    id: relay.NodeID[str]
    model: strawberry.Private[BillPayment]
    card_brand: CardBrand
    card_last4: str
    amount: MoneyType
    status: BillPaymentStatus
    next_action: CardBindingNextAction | None = strawberry.field(
        description="Set while REQUIRES_ACTION: the same bank page as for card binding."
    )
    failure_reason: CardFailureReason | None
    result: str = strawberry.field(
        description="A sentence saying what happened and, on failure, why."
    )
    created_at: datetime
    completed_at: datetime | None

    @strawberry.field
    async def bill(self, info: Info) -> BillType:
        bill = await info.context.loaders.bill.load(self.model.bill_id)
        if bill is None:
            raise LookupError(f"payment {self.model.id} lost its bill")
        return BillType.from_model(bill)

    @strawberry.field(
        description="The card charged; null once it has been removed (brand and last4 stay)."
    )
    async def card(self, info: Info) -> PaymentCardType | None:
        if self.model.card_id is None:
            return None
        card = await info.context.loaders.card.load(self.model.card_id)
        return PaymentCardType.from_model(card) if card and card.removed_at is None else None

    @classmethod
    def from_model(cls, payment: BillPayment) -> BillPaymentType:
        next_action = None
        if (
            payment.status is BillPaymentStatus.REQUIRES_ACTION
            and payment.redirect_url
            and payment.action_expires_at
        ):
            next_action = CardBindingNextAction(
                type=NextActionType.REDIRECT_TO_BANK,
                redirect_url=payment.redirect_url,
                expires_at=payment.action_expires_at,
            )
        return cls(
            id=str(payment.id),
            model=payment,
            card_brand=CardBrand(payment.card_brand),
            card_last4=payment.card_last4,
            amount=MoneyType.of(Money.of(payment.amount, payment.currency)),
            status=payment.status,
            next_action=next_action,
            failure_reason=(
                CardFailureReason(payment.failure_reason) if payment.failure_reason else None
            ),
            result=payment_result(
                payment.status.value,
                payment.failure_reason,
                checking=payment.next_check_at is not None,
            ),
            created_at=payment.created_at,
            completed_at=payment.completed_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # see resolvers/nodes.py
        cls, *, info: Info, node_ids: Any, required: bool = False
    ) -> list[BillPaymentType | None]:
        session = await current_session(info)
        found: list[BillPaymentType | None] = []
        for node_id in node_ids:
            payment = await _own_payment(info, node_id, session.account_id if session else None)
            found.append(cls.from_model(payment) if payment else None)
        return found


async def _own_payment(info: Info, node_id: str, account_id: UUID | None) -> BillPayment | None:
    try:
        wanted = UUID(node_id)
    except ValueError:
        return None
    payment = await info.context.loaders.bill_payment.load(wanted) if account_id else None
    if payment is None:
        return None
    bill = await info.context.loaders.bill.load(payment.bill_id)
    return payment if bill is not None and bill.account_id == account_id else None
