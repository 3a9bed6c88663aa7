"""What staff see: accounts, cards, attempts, bills, tickets, staff members, the audit trail.

These are the staff schema's own types, not the customer ones: each says exactly what staff
may read. A card is never more than brand, first six, last four, expiry and holder; no
gateway reference, bank-page address or fingerprint is shown.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from models.accounts import Account
from models.billing import Bill, BillPayment
from models.cards import CardBindingAttempt, PaymentCard, ServiceTicket, ServiceTicketReply
from models.onboarding import AccountMessage
from models.outbox import OutboxMessage
from models.staff import AuditEntry, StaffMember, StaffRole
from resolvers.account import (
    AccountDetailsUnion,
    MaskedPhone,
    OnboardingProgress,
    details_of,
    masked_phone,
)
from resolvers.billing import BillPeriod
from resolvers.enums import (
    AccountKind,
    BillKind,
    BillPaymentStatus,
    BillStatus,
    CardBindingStatus,
    CardBrand,
    CardFailureReason,
    DepositStatus,
    ServiceTicketStatus,
)
from resolvers.pagination import KeysetConnection, PageInfo
from resolvers.reference import MoneyType
from services.cards.results import payment_result, result_sentence
from services.money import Money
from services.public_ids import public_id

strawberry.enum(StaffRole, description="Roles nest: BILLING may do all SUPPORT may, ADMIN all.")


def _id(type_name: str, row_id: Any) -> strawberry.ID:
    return strawberry.ID(public_id(type_name, row_id))


@strawberry.type(name="StaffMember")
class StaffMemberType:
    id: strawberry.ID
    email: str
    role: StaffRole
    created_at: datetime
    password_set: bool = strawberry.field(description="False until the setup code is used.")
    disabled_at: datetime | None

    @classmethod
    def from_model(cls, member: StaffMember) -> StaffMemberType:
        return cls(
            id=_id("StaffMember", member.id),
            email=member.email_display,
            role=member.role,
            created_at=member.created_at,
            password_set=member.password_hash is not None,
            disabled_at=member.disabled_at,
        )


@strawberry.type(description="All of a card staff may see.")
class Card:
    brand: CardBrand
    first6: str = strawberry.field(description="Empty where the gateway does not tell it.")
    last4: str
    expiry_month: int
    expiry_year: int
    holder_name: str

    @classmethod
    def of(cls, row: PaymentCard | CardBindingAttempt) -> Card:
        return cls(
            brand=CardBrand(row.brand),
            first6=row.first6,
            last4=row.last4,
            expiry_month=row.expiry_month,
            expiry_year=row.expiry_year,
            holder_name=row.holder_name,
        )


@strawberry.type
class BoundCard:
    id: strawberry.ID
    card: Card
    is_default: bool
    bound_at: datetime
    removed_at: datetime | None

    @classmethod
    def from_model(cls, row: PaymentCard) -> BoundCard:
        return cls(
            id=_id("PaymentCard", row.id),
            card=Card.of(row),
            is_default=row.is_default,
            bound_at=row.bound_at,
            removed_at=row.removed_at,
        )


@strawberry.type(name="CardBindingAttempt", description="A row of the Historical Cards page.")
class AttemptType:
    id: strawberry.ID
    status: CardBindingStatus
    card: Card
    deposit: MoneyType
    deposit_status: DepositStatus
    failure_reason: CardFailureReason | None
    result: str
    created_at: datetime
    completed_at: datetime | None
    refund_retried_at: datetime | None = strawberry.field(
        description="When staff last asked the gateway again for this deposit's refund."
    )

    @classmethod
    def from_model(cls, row: CardBindingAttempt) -> AttemptType:
        return cls(
            id=_id("CardBindingAttempt", row.id),
            status=row.status,
            card=Card.of(row),
            deposit=MoneyType.of(Money.of(row.deposit_amount, row.deposit_currency)),
            deposit_status=row.deposit_status,
            failure_reason=row.failure_reason,
            result=result_sentence(row),
            created_at=row.created_at,
            completed_at=row.completed_at,
            refund_retried_at=row.refund_retried_at,
        )


@strawberry.type(name="BillPayment")
class PaymentType:
    id: strawberry.ID
    status: BillPaymentStatus
    amount: MoneyType
    card_brand: CardBrand
    card_last4: str
    off_session: bool = strawberry.field(description="True for automatic charges.")
    failure_reason: CardFailureReason | None
    result: str
    created_at: datetime
    completed_at: datetime | None

    @classmethod
    def from_model(cls, row: BillPayment) -> PaymentType:
        return cls(
            id=_id("BillPayment", row.id),
            status=row.status,
            amount=MoneyType.of(Money.of(row.amount, row.currency)),
            card_brand=CardBrand(row.card_brand),
            card_last4=row.card_last4,
            off_session=row.off_session,
            failure_reason=CardFailureReason(row.failure_reason) if row.failure_reason else None,
            result=payment_result(row.status.value, row.failure_reason),
            created_at=row.created_at,
            completed_at=row.completed_at,
        )


@strawberry.type(name="Bill")
class BillView:
    id: strawberry.ID
    model: strawberry.Private[Bill]
    number: str
    kind: BillKind
    status: BillStatus
    period: BillPeriod
    total: MoneyType
    issued_at: datetime
    paid_at: datetime | None
    charge_attempts: int
    next_charge_at: datetime | None = strawberry.field(
        description="When the next automatic retry is due; null when none is."
    )
    last_charge_error: str | None

    @strawberry.field(description="Every charge of this bill, newest first.")
    async def payments(self, info: Info) -> list[PaymentType]:
        rows = await info.context.loaders.payments_of.load(self.model.id)
        return [PaymentType.from_model(row) for row in rows]

    @classmethod
    def from_model(cls, bill: Bill) -> BillView:
        return cls(
            id=_id("Bill", bill.id),
            model=bill,
            number=bill.number,
            kind=bill.kind,
            status=bill.status,
            period=BillPeriod(start=bill.period_start, end=bill.period_end),
            total=MoneyType.of(Money.of(bill.total, bill.currency)),
            issued_at=bill.issued_at,
            paid_at=bill.paid_at,
            charge_attempts=bill.charge_attempts,
            next_charge_at=bill.next_charge_at,
            last_charge_error=bill.last_charge_error,
        )


@strawberry.type
class AccountSummary:
    id: strawberry.ID
    kind: AccountKind
    email: str
    region_code: str
    created_at: datetime
    arrears_risk: bool

    @classmethod
    def from_model(cls, account: Account) -> AccountSummary:
        return cls(
            id=_id("Account", account.id),
            kind=account.kind,
            email=account.email_display,
            region_code=account.region_code,
            created_at=account.created_at,
            arrears_risk=account.arrears_risk,
        )


@strawberry.type
class TicketReply:
    id: strawberry.ID
    body: str
    from_support: bool
    created_at: datetime
    staff_id: strawberry.Private[Any]

    @strawberry.field(description="The staff member who wrote it; null for the customer.")
    async def author(self, info: Info) -> StaffMemberType | None:
        if self.staff_id is None:
            return None
        member = await info.context.loaders.staff_member.load(self.staff_id)
        return StaffMemberType.from_model(member) if member else None

    @classmethod
    def from_model(cls, row: ServiceTicketReply) -> TicketReply:
        return cls(
            id=_id("ServiceTicketReply", row.id),
            body=row.body,
            from_support=row.from_support,
            created_at=row.created_at,
            staff_id=row.staff_id,
        )


@strawberry.type(name="ServiceTicket")
class TicketView:
    id: strawberry.ID
    model: strawberry.Private[ServiceTicket]
    number: str
    subject: str
    description: str
    status: ServiceTicketStatus
    created_at: datetime
    updated_at: datetime

    @strawberry.field
    async def account(self, info: Info) -> AccountSummary:
        account = await info.context.loaders.account.load(self.model.account_id)
        if account is None:
            raise LookupError(f"ticket {self.model.id} lost its account")
        return AccountSummary.from_model(account)

    @strawberry.field
    async def assignee(self, info: Info) -> StaffMemberType | None:
        if self.model.assignee_id is None:
            return None
        member = await info.context.loaders.staff_member.load(self.model.assignee_id)
        return StaffMemberType.from_model(member) if member else None

    @strawberry.field
    async def card_binding_attempt(self, info: Info) -> AttemptType | None:
        if self.model.attempt_id is None:
            return None
        attempt = await info.context.loaders.attempt.load(self.model.attempt_id)
        return AttemptType.from_model(attempt) if attempt else None

    @strawberry.field(description="The conversation after the description, oldest first.")
    async def replies(self, info: Info) -> list[TicketReply]:
        rows = await info.context.loaders.replies_of.load(self.model.id)
        return [TicketReply.from_model(row) for row in rows]

    @classmethod
    def from_model(cls, ticket: ServiceTicket) -> TicketView:
        return cls(
            id=_id("ServiceTicket", ticket.id),
            model=ticket,
            number=ticket.number,
            subject=ticket.subject,
            description=ticket.description,
            status=ticket.status,
            created_at=ticket.created_at,
            updated_at=ticket.updated_at or ticket.created_at,
        )


@strawberry.type
class TicketEdge(relay.Edge[TicketView]):  # type: ignore[type-var]  # a plain type, not a Node
    cursor: str
    node: TicketView


@strawberry.type
class TicketConnection(KeysetConnection[TicketView]):  # type: ignore[type-var]  # as the edge
    page_info: PageInfo
    edges: list[TicketEdge]  # type: ignore[assignment]  # see resolvers/billing.py

    edge_type = TicketEdge

    @classmethod
    def resolve_node(cls, node: ServiceTicket, *, info: Info, **kwargs: Any) -> TicketView:
        return TicketView.from_model(node)


@strawberry.type
class AccountMessageView:
    title: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None
    withdrawn_at: datetime | None

    @classmethod
    def from_model(cls, row: AccountMessage) -> AccountMessageView:
        return cls(
            title=row.title,
            body=row.body,
            link=row.link,
            created_at=row.created_at,
            read_at=row.read_at,
            withdrawn_at=row.withdrawn_at,
        )


@strawberry.type(description="An email sent to the account's address; its body is not shown.")
class SentEmail:
    kind: str
    subject: str
    status: str
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def from_model(cls, row: OutboxMessage) -> SentEmail:
        return cls(
            kind=row.kind,
            subject=row.subject,
            status=row.status.value,
            created_at=row.created_at,
            sent_at=row.sent_at,
        )


@strawberry.type(name="Account")
class AccountView:
    id: strawberry.ID
    model: strawberry.Private[Account]
    kind: AccountKind
    email: str
    region_code: str
    created_at: datetime
    cloud_services_enabled_at: datetime | None
    security_phone: MaskedPhone | None
    mobile: MaskedPhone | None
    arrears_risk: bool
    arrears_reason: str | None
    arrears_from_charges: bool = strawberry.field(
        description="Set by failed charges (lifted once every bill is paid), not by staff."
    )

    @strawberry.field
    async def onboarding(self, info: Info) -> OnboardingProgress:
        return OnboardingProgress.of(await info.context.services.onboarding.progress.of(self.model))

    @strawberry.field
    async def details(self, info: Info) -> AccountDetailsUnion | None:
        details = await info.context.loaders.details_of.load(self.model.id)
        return details_of(details) if details else None

    @strawberry.field(description="Newest first, at most 100: the Historical Cards page.")
    async def card_binding_attempts(self, info: Info) -> list[AttemptType]:
        rows = await info.context.services.staff_accounts.attempts_of(self.model.id)
        return [AttemptType.from_model(row) for row in rows]

    @strawberry.field(description="Bound cards, removed ones too; newest first, at most 100.")
    async def cards(self, info: Info) -> list[BoundCard]:
        rows = await info.context.services.staff_accounts.cards_of(self.model.id)
        return [BoundCard.from_model(row) for row in rows]

    @strawberry.field(description="Newest first, at most 100, each with its payments.")
    async def bills(self, info: Info) -> list[BillView]:
        rows = await info.context.services.staff_accounts.bills_of(self.model.id)
        return [BillView.from_model(row) for row in rows]

    @strawberry.field(description="Newest first.")
    async def tickets(self, info: Info) -> list[TicketView]:
        rows = await info.context.services.tickets.of_account(self.model.id)
        return [TicketView.from_model(row) for row in rows]

    @strawberry.field(description="The account's messages, withdrawn ones too; newest first.")
    async def messages(self, info: Info) -> list[AccountMessageView]:
        rows = await info.context.services.staff_accounts.messages_of(self.model.id)
        return [AccountMessageView.from_model(row) for row in rows]

    @strawberry.field(description="Emails sent to the account's address, newest first.")
    async def emails(self, info: Info) -> list[SentEmail]:
        rows = await info.context.services.staff_accounts.emails_to(self.model)
        return [SentEmail.from_model(row) for row in rows]

    @classmethod
    def from_model(cls, account: Account) -> AccountView:
        return cls(
            id=_id("Account", account.id),
            model=account,
            kind=account.kind,
            email=account.email_display,
            region_code=account.region_code,
            created_at=account.created_at,
            cloud_services_enabled_at=account.cloud_enabled_at,
            security_phone=masked_phone(
                account.security_phone_e164,
                account.security_phone_region,
                account.security_phone_verified_at,
            ),
            mobile=masked_phone(
                account.mobile_e164, account.mobile_region, account.mobile_verified_at
            ),
            arrears_risk=account.arrears_risk,
            arrears_reason=account.arrears_reason,
            arrears_from_charges=account.arrears_from_charges,
        )


@strawberry.type(description="One thing a staff member or an operator did.")
class AuditEntryType:
    id: strawberry.ID
    created_at: datetime
    actor: str = strawberry.field(description="The staff member's email, or the command line.")
    staff_id: strawberry.ID | None
    action: str
    account_id: strawberry.ID | None
    subject: str
    client_ip: str | None
    before: JSON | None
    after: JSON | None
    reason: str | None

    @classmethod
    def from_model(cls, row: AuditEntry) -> AuditEntryType:
        return cls(
            id=_id("AuditEntry", row.id),
            created_at=row.created_at,
            actor=row.actor,
            staff_id=_id("StaffMember", row.staff_id) if row.staff_id else None,
            action=row.action,
            account_id=_id("Account", row.account_id) if row.account_id else None,
            subject=row.subject,
            client_ip=row.client_ip,
            before=row.before,
            after=row.after,
            reason=row.reason,
        )


@strawberry.type
class AuditEntryEdge(relay.Edge[AuditEntryType]):  # type: ignore[type-var]
    cursor: str
    node: AuditEntryType


@strawberry.type
class AuditEntryConnection(KeysetConnection[AuditEntryType]):  # type: ignore[type-var]
    page_info: PageInfo
    edges: list[AuditEntryEdge]  # type: ignore[assignment]  # see resolvers/billing.py

    edge_type = AuditEntryEdge

    @classmethod
    def resolve_node(cls, node: AuditEntry, *, info: Info, **kwargs: Any) -> AuditEntryType:
        return AuditEntryType.from_model(node)
