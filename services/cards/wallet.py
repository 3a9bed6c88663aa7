"""The cards an account holds: which one bills are charged to."""

from __future__ import annotations

import uuid

from tortoise.transactions import in_transaction

from models.accounts import Account
from models.cards import PaymentCard
from services.problems import ProblemCode, Refused


class Wallet:
    async def card_of(self, account: Account, card_id: uuid.UUID | None) -> PaymentCard:
        card = await PaymentCard.get_or_none(id=card_id, account_id=account.id) if card_id else None
        if card is None:
            raise Refused.because(ProblemCode.NOT_FOUND, "There is no such card.", "cardId")
        return card

    async def set_default(self, account: Account, card_id: uuid.UUID | None) -> PaymentCard:
        """Bills from now on, and the retries of unpaid ones, are charged to this card."""
        card = await self.card_of(account, card_id)
        async with in_transaction():
            # The account's row is the lock: two changes at once take turns, and exactly
            # one default card is left (SQLite takes turns anyway).
            await Account.filter(id=account.id).select_for_update().first()
            await (
                PaymentCard.filter(account_id=account.id)
                .exclude(id=card.id)
                .update(is_default=False)
            )
            await PaymentCard.filter(id=card.id).update(is_default=True)
        await card.refresh_from_db()
        return card
