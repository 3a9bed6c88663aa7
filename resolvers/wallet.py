"""Card management after binding: the card that bills are charged to, and removing one."""

from __future__ import annotations

import strawberry
from strawberry import relay
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


@strawberry.type
class RemoveCardPayload:
    removed_card_id: strawberry.ID | None = None
    account: AccountType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RemovalMutation:
    @payload_mutation(
        description=(
            "Removes the card from the account (the gateway detaches it); its binding "
            "attempts stay in historicalCards. CARD_IS_DEFAULT for the default card of a "
            "post-paid account; PAYMENT_IN_PROGRESS while a payment on it runs."
        )
    )
    async def remove_card(self, info: Info, input: CardInput) -> RemoveCardPayload:
        account = await require_account(info)
        removed = await info.context.services.cards.wallet.remove(
            account, decode_id(input.card_id, "PaymentCard")
        )
        info.context.loaders.forget_account(account.id)
        return RemoveCardPayload(
            removed_card_id=strawberry.ID(relay.to_base64("PaymentCard", removed)),
            account=AccountType.from_model(account),
        )
