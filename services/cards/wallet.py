"""The cards an account holds: which one bills are charged to, and taking one off."""

from __future__ import annotations

import uuid

from tortoise.transactions import in_transaction

from gateways.port import PaymentGateway
from models.accounts import Account
from models.billing import BillPayment, BillPaymentStatus
from models.cards import PaymentCard
from services.clock import Clock
from services.problems import ProblemCode, Refused


async def card_of(account: Account, card_id: uuid.UUID | None) -> PaymentCard:
    """A card the account holds (not removed); NOT_FOUND for anything else."""
    card = (
        await PaymentCard.get_or_none(id=card_id, account_id=account.id, removed_at=None)
        if card_id
        else None
    )
    if card is None:
        raise Refused.because(ProblemCode.NOT_FOUND, "There is no such card.", "cardId")
    return card


class Wallet:
    def __init__(self, *, clock: Clock, gateway: PaymentGateway) -> None:
        self.clock = clock
        self.gateway = gateway

    async def set_default(self, account: Account, card_id: uuid.UUID | None) -> PaymentCard:
        """Bills from now on, and the retries of unpaid ones, are charged to this card."""
        card = await card_of(account, card_id)
        async with in_transaction():
            # The account's row is the lock: two changes at once take turns, and exactly
            # one default card is left (SQLite takes turns anyway).
            await Account.filter(id=account.id).select_for_update().first()
            if not await PaymentCard.filter(id=card.id, removed_at=None).exists():
                raise Refused.because(ProblemCode.NOT_FOUND, "There is no such card.", "cardId")
            await (
                PaymentCard.filter(account_id=account.id)
                .exclude(id=card.id)
                .update(is_default=False)
            )
            await PaymentCard.filter(id=card.id).update(is_default=True)
        await card.refresh_from_db()
        return card

    async def remove(self, account: Account, card_id: uuid.UUID | None) -> uuid.UUID:
        """Takes the card off the account and the gateway detaches it; its attempts stay."""
        card = await card_of(account, card_id)
        if await BillPayment.filter(
            card_id=card.id,
            status__in=(BillPaymentStatus.PROCESSING, BillPaymentStatus.REQUIRES_ACTION),
        ).exists():
            raise Refused.because(
                ProblemCode.PAYMENT_IN_PROGRESS,
                "A payment with this card is still being processed: wait for it to end.",
                "cardId",
            )
        async with in_transaction():
            # Taking turns with set_default: a card made the default meanwhile stays.
            await Account.filter(id=account.id).select_for_update().first()
            removed = await PaymentCard.filter(
                id=card.id, removed_at=None, is_default=False
            ).update(removed_at=self.clock.now())
        if not removed:
            # Every account with a card is post-paid, and its bills need a card to charge.
            raise Refused.because(
                ProblemCode.CARD_IS_DEFAULT,
                "This is the card your bills are charged to: make another card the default "
                "before removing it.",
                "cardId",
            )
        await self.gateway.detach(card.gateway_payment_method)
        return card.id
