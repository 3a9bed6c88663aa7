"""payBill: a bill paid on the person's own request, with the bank page when it asks.

A bill has at most one payment under way (PROCESSING or REQUIRES_ACTION): the payment
claims the bill's `active_payment_id` with one conditional UPDATE before anything is
charged, and the automatic charges claim it the same way, so they skip a bill whose
payment waits on the bank page. Every later move of a payment is one conditional UPDATE
on its status, re-read from the gateway, and is announced on `bill-payment:<id>`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from gateways.port import PaymentGateway, Verification, VerificationState, WebhookEvent
from models.accounts import Account
from models.billing import Bill, BillPayment, BillPaymentKey, BillPaymentStatus, BillStatus
from models.cards import FailureReason, PaymentCard
from services import messages
from services.cards.results import GATEWAY_FAILURES
from services.cards.rules import check_return_url
from services.clock import Clock
from services.idempotency import (
    IDEMPOTENCY_WINDOW,
    checked_key,
    request_hash,
    reused_with_other_input,
)
from services.money import Money
from services.outbox import Outbox
from services.problems import ProblemCode, Refused
from services.public_ids import public_id
from services.pubsub import PubSub

log = logging.getLogger("onramp.billing")

ACTIVE = (BillPaymentStatus.PROCESSING, BillPaymentStatus.REQUIRES_ACTION)
TERMINAL = (BillPaymentStatus.SUCCEEDED, BillPaymentStatus.FAILED)
# A payBill payment still PROCESSING this long after it began lost its way: settle it.
STALE_AFTER = timedelta(minutes=10)
SWEEP_INTERVAL_S = 1.0


def channel(payment_id: object) -> str:
    """The pub/sub channel on which every change of one bill payment is announced."""
    return f"bill-payment:{payment_id}"


class BillPayments:
    def __init__(
        self,
        *,
        clock: Clock,
        gateway: PaymentGateway,
        outbox: Outbox,
        pubsub: PubSub,
        frontend_url: str,
        allowed_origins: tuple[str, ...],
        action_timeout: timedelta,
        after_paid: Callable[[uuid.UUID], Awaitable[None]],
    ) -> None:
        """`after_paid` is told the account whenever one of its bills becomes PAID."""
        self.after_paid = after_paid
        self.clock = clock
        self.gateway = gateway
        self.outbox = outbox
        self.pubsub = pubsub
        self.frontend_url = frontend_url
        self.allowed_origins = allowed_origins
        self.action_timeout = action_timeout

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
        key = checked_key(idempotency_key)
        claimed = await self._claim_key(
            account,
            key,
            request_hash(str(bill_id), str(card_id) if card_given else None, return_url),
        )
        if isinstance(claimed, BillPayment):
            return claimed
        try:
            return await self._pay(account, claimed, bill_id, card_id, card_given, return_url)
        except BaseException:
            # Refused (or failed) before a payment took the key: free it for a retry.
            await BillPaymentKey.filter(id=claimed.id, payment_id=None).delete()
            raise

    async def _claim_key(
        self, account: Account, key: str, request_hash: str
    ) -> BillPaymentKey | BillPayment:
        for _ in range(3):
            stored = await BillPaymentKey.get_or_none(account_id=account.id, key=key)
            now = self.clock.now()
            if stored is None:
                try:
                    return await BillPaymentKey.create(
                        account_id=account.id, key=key, request_hash=request_hash, created_at=now
                    )
                except IntegrityError:
                    continue  # a request with the same key claimed it first: read it
            if stored.created_at <= now - IDEMPOTENCY_WINDOW:
                await BillPaymentKey.filter(id=stored.id, created_at=stored.created_at).delete()
                continue
            if stored.request_hash != request_hash:
                raise reused_with_other_input()
            if stored.payment_id is not None:
                return await BillPayment.get(id=stored.payment_id)
            break
        raise Refused.because(
            ProblemCode.PAYMENT_IN_PROGRESS,
            "A request with this idempotency key is still being answered. Try again in a moment.",
            "idempotencyKey",
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
            raise Refused.because(
                ProblemCode.BILL_ALREADY_PAID, "This bill is already paid.", "billId"
            )
        card = await self._card(account, card_id, card_given)
        payment_id = uuid.uuid4()
        # One payment of a bill at a time, automatic or asked for: the claim is one UPDATE.
        taken = await Bill.filter(
            id=bill.id, status=BillStatus.UNPAID, active_payment_id=None
        ).update(active_payment_id=payment_id)
        if not taken:
            latest = await Bill.get(id=bill.id)
            if latest.status is BillStatus.PAID:
                raise Refused.because(
                    ProblemCode.BILL_ALREADY_PAID, "This bill is already paid.", "billId"
                )
            raise Refused.because(
                ProblemCode.PAYMENT_IN_PROGRESS,
                "A payment of this bill is already being processed.",
                "billId",
            )
        try:
            async with in_transaction():
                payment = await BillPayment.create(
                    id=payment_id,
                    bill_id=bill.id,
                    card_id=card.id,
                    card_brand=card.brand,
                    card_last4=card.last4,
                    amount=bill.total,
                    currency=bill.currency,
                    off_session=False,
                    status=BillPaymentStatus.PROCESSING,
                    created_at=self.clock.now(),
                )
                await BillPaymentKey.filter(id=claimed.id).update(payment_id=payment.id)
        except BaseException:
            await Bill.filter(id=bill.id, active_payment_id=payment_id).update(
                active_payment_id=None
            )
            raise
        await self.publish(payment.id)
        try:
            verification = await self.gateway.charge_on_session(
                token=card.gateway_payment_method,
                amount=Money.of(bill.total, bill.currency),
                return_url=return_url,
                idempotency_key=str(payment.id),
                account=str(account.id),
            )
        except Exception:
            log.exception("paying bill %s failed at the gateway", bill.number)
            await self._fail(payment, FailureReason.PROCESSING_ERROR)
        else:
            await self._apply(payment, verification)
        return await BillPayment.get(id=payment.id)

    async def _card(
        self, account: Account, card_id: uuid.UUID | None, card_given: bool
    ) -> PaymentCard:
        if card_given:
            card = (
                await PaymentCard.get_or_none(id=card_id, account_id=account.id, removed_at=None)
                if card_id
                else None
            )
            if card is None:
                raise Refused.because(ProblemCode.NOT_FOUND, "There is no such card.", "cardId")
            return card
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

    # The moves of a payment.

    async def _apply(self, payment: BillPayment, verification: Verification) -> None:
        if verification.state is VerificationState.REQUIRES_ACTION:
            if verification.redirect_url is None:
                return  # read again later (a webhook); the link is not ours to make
            now = self.clock.now()
            moved = await BillPayment.filter(
                id=payment.id, status=BillPaymentStatus.PROCESSING
            ).update(
                status=BillPaymentStatus.REQUIRES_ACTION,
                gateway_reference=verification.reference,
                redirect_url=verification.redirect_url,
                action_expires_at=now + self.action_timeout,
            )
            if moved:
                await self.publish(payment.id)
            return
        await BillPayment.filter(id=payment.id, gateway_reference=None).update(
            gateway_reference=verification.reference
        )
        await self._settle(payment, verification)

    async def _settle(self, payment: BillPayment, verification: Verification) -> None:
        if verification.state is VerificationState.SUCCEEDED:
            await self._succeed(payment)
        elif verification.state is VerificationState.FAILED:
            code = verification.failure_code or ""
            await self._fail(payment, GATEWAY_FAILURES.get(code, FailureReason.DECLINED))
        elif verification.state is VerificationState.CANCELED:
            await self._fail(payment, FailureReason.AUTHENTICATION_TIMEOUT)

    async def _succeed(self, payment: BillPayment) -> None:
        now = self.clock.now()
        moved = await BillPayment.filter(id=payment.id, status__in=ACTIVE).update(
            status=BillPaymentStatus.SUCCEEDED,
            redirect_url=None,
            action_expires_at=None,
            completed_at=now,
        )
        if not moved:
            return
        paid = await Bill.filter(id=payment.bill_id, status=BillStatus.UNPAID).update(
            status=BillStatus.PAID,
            paid_at=now,
            last_charge_error=None,
            next_charge_at=None,
            active_payment_id=None,
        )
        await Bill.filter(id=payment.bill_id, active_payment_id=payment.id).update(
            active_payment_id=None
        )
        await self.publish(payment.id)
        bill = await Bill.get(id=payment.bill_id)
        log.info("bill %s paid by payBill", bill.number)
        if paid:
            await self.after_paid(bill.account_id)
            account = await Account.get(id=bill.account_id)
            await self.outbox.send_email(
                account.email_display,
                messages.bill_paid(
                    bill.number,
                    f"{bill.total} {bill.currency}",
                    f"{payment.card_brand.upper()} •••• {payment.card_last4}",
                    f"{self.frontend_url}/bills/{public_id('Bill', bill.id)}",
                ),
            )

    async def _fail(self, payment: BillPayment, reason: FailureReason) -> None:
        moved = await BillPayment.filter(id=payment.id, status__in=ACTIVE).update(
            status=BillPaymentStatus.FAILED,
            failure_reason=reason.value,
            redirect_url=None,
            action_expires_at=None,
            completed_at=self.clock.now(),
        )
        await Bill.filter(id=payment.bill_id, active_payment_id=payment.id).update(
            active_payment_id=None
        )
        if moved:
            await self.publish(payment.id)

    # What the gateway tells us.

    async def receive(self, event: WebhookEvent) -> None:
        """Settles the payBill payment an event names; the gateway's state is re-read."""
        if event.verification:
            await self.sync(event.verification)

    async def sync(self, reference: str) -> None:
        payment = await BillPayment.get_or_none(gateway_reference=reference, off_session=False)
        if payment is None or payment.status in TERMINAL:
            return
        verification = await self.gateway.verification(reference)
        if verification is not None:
            await self._settle(payment, verification)

    # Background work, safe in every process at once.

    async def sweep(self) -> None:
        """Ends payments left on the bank page past their time, and lost ones.

        Cancel first, then believe the gateway: the bank may have answered just in time.
        Either way the bill is free again for payBill and for its automatic retries.
        """
        now = self.clock.now()
        for payment in await BillPayment.filter(
            status=BillPaymentStatus.REQUIRES_ACTION, off_session=False, action_expires_at__lte=now
        ):
            await self._end(payment, FailureReason.AUTHENTICATION_TIMEOUT, cancel=True)
        for payment in await BillPayment.filter(
            status=BillPaymentStatus.PROCESSING,
            off_session=False,
            created_at__lte=now - STALE_AFTER,
        ):
            await self._end(payment, FailureReason.PROCESSING_ERROR, cancel=False)

    async def _end(self, payment: BillPayment, reason: FailureReason, *, cancel: bool) -> None:
        reference = payment.gateway_reference
        if reference is None:
            await self._fail(payment, reason)
            return
        if cancel:
            await self.gateway.cancel_verification(reference)
        verification = await self.gateway.verification(reference)
        if verification is not None and verification.state in (
            VerificationState.SUCCEEDED,
            VerificationState.FAILED,
            VerificationState.CANCELED,
        ):
            await self._settle(payment, verification)
        else:
            await self._fail(payment, reason)

    async def publish(self, payment_id: uuid.UUID) -> None:
        await self.pubsub.publish(channel(payment_id), f"changed:{uuid.uuid4().hex}")

    # Reading

    async def payment_of(
        self, account_id: uuid.UUID, payment_id: uuid.UUID | None
    ) -> BillPayment | None:
        """One payment of the account's bills, read fresh; None for anything else."""
        if payment_id is None:
            return None
        payment = await BillPayment.get_or_none(id=payment_id)
        if payment is None:
            return None
        if not await Bill.exists(id=payment.bill_id, account_id=account_id):
            return None
        return payment
