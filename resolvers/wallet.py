"""Card management after binding: choosing the card that bills are charged to."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.account import AccountType
from resolvers.cards import PaymentCardType
from resolvers.errors import UserError, payload_mutation
from resolvers.nodes import decode_id
from resolvers.session import require_account


@strawberry.input
class CardInput:
    card_id: strawberry.ID = strawberry.field(
        description=(
            "A PaymentCard of the signed-in account; another account's or an unknown one is "
            "NOT_FOUND."
        )
    )


@strawberry.type
class PaymentCardPayload:
    card: PaymentCardType | None = None
    account: AccountType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class WalletMutation:
    @payload_mutation(
        description=(
            "Bills from now on, and the automatic retries of UNPAID bills, are charged to "
            "this card."
        )
    )
    async def set_default_card(self, info: Info, input: CardInput) -> PaymentCardPayload:
        account = await require_account(info)
        card = await info.context.services.cards.wallet.set_default(
            account, decode_id(input.card_id, "PaymentCard")
        )
        info.context.loaders.forget_account(account.id)
        return PaymentCardPayload(
            card=PaymentCardType.from_model(card), account=AccountType.from_model(account)
        )
