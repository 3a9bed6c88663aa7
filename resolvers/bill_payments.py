"""`payBill` and `billPaymentUpdates`: a bill paid on the person's own request, pushed as
its payment moves (the bank page, then SUCCEEDED or FAILED)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from resolvers.billing import BillPaymentType
from resolvers.errors import UserError, payload_mutation
from resolvers.nodes import decode_id
from resolvers.session import require_account, require_session, session_locale
from services.bill_payments import TERMINAL, channel
from services.i18n.text import tr
from services.pubsub import RESYNC


@strawberry.input
class PayBillInput:
    bill_id: strawberry.ID = strawberry.field(
        description="An UNPAID bill of the signed-in account."
    )
    card_id: strawberry.ID | None = strawberry.field(
        default=None, description="The card to charge; the default card when left out."
    )
    return_url: str | None = strawberry.field(
        default=None,
        description=(
            "Where the bank page sends the browser back; its origin must be one the server "
            "allows exactly."
        ),
    )
    idempotency_key: str = strawberry.field(
        description="Same rules as BindCardInput.idempotencyKey."
    )


@strawberry.type
class PayBillPayload:
    payment: BillPaymentType | None = strawberry.field(
        default=None,
        description=(
            "PROCESSING, REQUIRES_ACTION (nextAction set), SUCCEEDED or FAILED; a payload with "
            "errors starts no payment."
        ),
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PayBillMutation:
    @payload_mutation(
        description=(
            "Charges an UNPAID bill now, on the person's own initiative (so the bank may ask "
            "for its identity check). PAYMENT_IN_PROGRESS while a payment of this bill runs "
            "(automatic retries wait for it too); when every bill is PAID, an arrears-risk "
            "flag that unpaid bills set is lifted."
        )
    )
    async def pay_bill(self, info: Info, input: PayBillInput) -> PayBillPayload:
        account = await require_account(info)
        payment = await info.context.services.billing.pay_bill(
            account,
            bill_id=decode_id(input.bill_id, "Bill"),
            card_id=decode_id(input.card_id, "PaymentCard") if input.card_id else None,
            card_given=input.card_id is not None,
            return_url=input.return_url,
            idempotency_key=input.idempotency_key,
        )
        loaders = info.context.loaders
        loaders.bill.clear_all()
        loaders.payments_of.clear_all()
        loaders.bill_payment.clear_all()
        return PayBillPayload(payment=BillPaymentType.from_model(payment))


@strawberry.type
class BillPaymentSubscription:
    @strawberry.subscription(
        description=(
            "The payment as it is now, at once, then after every change; completes right "
            "after the first SUCCEEDED or FAILED. An unknown or foreign payment is NOT_FOUND."
        )
    )
    async def bill_payment_updates(
        self, info: Info, payment_id: strawberry.ID
    ) -> AsyncGenerator[BillPaymentType, None]:
        session = await require_session(info)
        account_id, session_expires_at = session.account_id, session.expires_at
        locale = session_locale(info, session)
        del session
        wanted = decode_id(payment_id, "BillPayment")
        services = info.context.services
        billing = services.billing
        # Listen first, read second: no change can fall between the two.
        with info.context.open_subscription("billPaymentUpdates"):
            async with services.pubsub.subscribe(channel(wanted)) as changes:
                payment = await billing.payment_of(account_id, wanted) if wanted else None
                if payment is None:
                    raise GraphQLError(
                        tr("There is no such bill payment.").render(locale),
                        extensions={"code": "NOT_FOUND"},
                    )
                yield BillPaymentType.from_model(payment)
                state = payment.status
                del payment
                while state not in TERMINAL:
                    event = await changes.get()
                    if event == RESYNC or session_expires_at <= services.clock.now():
                        await require_account(info)
                    latest = await billing.payment_of(account_id, wanted)
                    if latest is None:
                        return
                    if latest.status != state:
                        yield BillPaymentType.from_model(latest)
                    state = latest.status
