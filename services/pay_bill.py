"""payBill: a bill paid on the person's own request, with the bank page when it asks.

The request claims its idempotency key before anything else, so that a retry with the key
(at the same moment, in any process) finds it: the retry waits for the request that holds
the key to answer, then answers the same payment (`services/idempotency.py`). The payment
then claims the bill, and the card is charged on-session (`BillPayments`).

When the gateway's answer is lost (a network error, a 5xx), the card may have been charged.
The payment then answers PROCESSING, keeps the bill, and its Result says that the charge is
being checked; it is settled by asking the gateway again with the same key, and
`billPaymentUpdates` pushes its end. An error would tell the person it failed, and invite a
second payment of a bill that may already be paid.
"""

from __future__ import annotations

import uuid

from models.accounts import Account
from models.billing import Bill, BillPayment, BillPaymentKey, BillStatus
from models.cards import PaymentCard
from services.bill_payments import BillPayments
from services.cards.rules import check_return_url
from services.cards.wallet import card_of
from services.clock import Clock
from services.idempotency import answer_once
from services.problems import ProblemCode, Refused


class PayBill:
    def __init__(
        self, *, clock: Clock, payments: BillPayments, allowed_origins: tuple[str, ...]
    ) -> None:
        self.clock = clock
        self.payments = payments
        self.allowed_origins = allowed_origins

    async def pay_bill(
        self,
        account: Account,
        *,
        bill_id: uuid.UUID | None,
        card_id: uuid.UUID | None,
        card_given: bool,
        return_url: str | None,
        idempotency_key: str,
    ) -> BillPayment:
        async def pay(claimed: BillPaymentKey) -> BillPayment:
            return await self._pay(account, claimed, bill_id, card_id, card_given, return_url)

        return await answer_once(
            BillPaymentKey,
            account.id,
            idempotency_key,
            (str(bill_id), str(card_id) if card_given else None, return_url),
            clock=self.clock,
            made="payment_id",
            load=lambda payment_id: BillPayment.get(id=payment_id),
            busy=ProblemCode.PAYMENT_IN_PROGRESS,
            run=pay,
        )

    async def _pay(
        self,
        account: Account,
        claimed: BillPaymentKey,
        bill_id: uuid.UUID | None,
        card_id: uuid.UUID | None,
        card_given: bool,
        return_url: str | None,
    ) -> BillPayment:
        check_return_url(return_url, self.allowed_origins)
        bill = await Bill.get_or_none(id=bill_id, account_id=account.id) if bill_id else None
        if bill is None:
            raise Refused.because(ProblemCode.NOT_FOUND, "There is no such bill.", "billId")
        if bill.status is BillStatus.PAID:
            raise _already_paid()
        card = await self._card(account, card_id, card_given)

        async def take_key(payment_id: uuid.UUID) -> None:
            await BillPaymentKey.filter(id=claimed.id).update(payment_id=payment_id)

        payment = await self.payments.begin(
            bill, card, off_session=False, return_url=return_url, also=take_key
        )
        if payment is None:
            if (await Bill.get(id=bill.id)).status is BillStatus.PAID:
                raise _already_paid()
            raise Refused.because(
                ProblemCode.PAYMENT_IN_PROGRESS,
                "A payment of this bill is already being processed.",
                "billId",
            )
        await self.payments.call(payment)
        return await BillPayment.get(id=payment.id)

    async def _card(
        self, account: Account, card_id: uuid.UUID | None, card_given: bool
    ) -> PaymentCard:
        if card_given:
            return await card_of(account, card_id)
        default = await PaymentCard.get_or_none(
            account_id=account.id, is_default=True, removed_at=None
        )
        if default is None:
            raise Refused.because(
                ProblemCode.NO_PAYMENT_CARD,
                "There is no card to charge: add a card first.",
                "cardId",
            )
        return default


def _already_paid() -> Refused:
    return Refused.because(ProblemCode.BILL_ALREADY_PAID, "This bill is already paid.", "billId")
