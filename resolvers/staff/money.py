"""Arrears, usage, a bill's charge and a stuck deposit refund: BILLING and above."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from models.accounts import Account
from resolvers.errors import UserError
from resolvers.nodes import decode_id
from resolvers.staff.permissions import BillingRole, require_staff_session, staff_mutation
from resolvers.staff.types import AccountView, AttemptType, BillView, PaymentType
from services.problems import ProblemCode, Refused


@strawberry.type
class AccountPayload:
    account: AccountView | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ChargeBillPayload:
    bill: BillView | None = None
    payment: PaymentType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RefundDepositPayload:
    attempt: AttemptType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ArrearsInput:
    account_id: strawberry.ID
    reason: str = strawberry.field(description="Why, in 1 to 200 characters; recorded.")


@strawberry.input
class RecordUsageInput:
    account_id: strawberry.ID
    amount: str = strawberry.field(description="In the account's billing currency, e.g. 12.50.")
    description: str


@strawberry.input
class ChargeBillInput:
    bill_id: strawberry.ID


@strawberry.input
class RefundDepositInput:
    attempt_id: strawberry.ID


async def _account(info: Info, account_id: strawberry.ID) -> Account:
    account: Account | None = await info.context.loaders.account.load(
        decode_id(account_id, "Account")
    )
    if account is None:
        raise Refused.because(ProblemCode.NOT_FOUND, "There is no such account.", "accountId")
    return account


@strawberry.type
class MoneyMutation:
    @staff_mutation(BillingRole, description="Bills the account as it spends, until cleared.")
    async def flag_arrears(self, info: Info, input: ArrearsInput) -> AccountPayload:
        session = await require_staff_session(info)
        account = await info.context.services.billing.flag_arrears(
            await _account(info, input.account_id),
            input.reason,
            actor=info.context.actor(session),
        )
        return AccountPayload(account=AccountView.from_model(account))

    @staff_mutation(BillingRole, description="Lifts the arrears-risk flag, whoever set it.")
    async def clear_arrears(self, info: Info, input: ArrearsInput) -> AccountPayload:
        session = await require_staff_session(info)
        account = await info.context.services.billing.clear_arrears(
            await _account(info, input.account_id),
            input.reason,
            actor=info.context.actor(session),
        )
        return AccountPayload(account=AccountView.from_model(account))

    @staff_mutation(BillingRole, description="Records an expense of the account.")
    async def record_usage(self, info: Info, input: RecordUsageInput) -> AccountPayload:
        session = await require_staff_session(info)
        account = await _account(info, input.account_id)
        await info.context.services.billing.record_usage(
            account, input.amount, input.description, actor=info.context.actor(session)
        )
        return AccountPayload(account=AccountView.from_model(account))

    @staff_mutation(
        BillingRole,
        description="Charges an UNPAID bill to the default card now, as its next retry.",
    )
    async def charge_bill(self, info: Info, input: ChargeBillInput) -> ChargeBillPayload:
        session = await require_staff_session(info)
        payment = await info.context.services.billing.charge_now(
            decode_id(input.bill_id, "Bill"), info.context.actor(session)
        )
        bill = await info.context.loaders.bill.load(payment.bill_id)
        return ChargeBillPayload(
            bill=BillView.from_model(bill) if bill else None,
            payment=PaymentType.from_model(payment),
        )

    @staff_mutation(
        BillingRole, description="Asks the gateway again for a deposit refund stuck pending."
    )
    async def refund_deposit(self, info: Info, input: RefundDepositInput) -> RefundDepositPayload:
        session = await require_staff_session(info)
        attempt = await info.context.services.cards.retry_refund(
            decode_id(input.attempt_id, "CardBindingAttempt"), info.context.actor(session)
        )
        return RefundDepositPayload(attempt=AttemptType.from_model(attempt))
