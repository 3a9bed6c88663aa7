"""Bill payments: every charge of a bill, automatic or asked for, from its claim to its end.

A bill has at most one payment under way (PROCESSING or REQUIRES_ACTION): a payment claims
the bill's `active_payment_id` with one conditional UPDATE, in the transaction that records
it, before anything is charged (an automatic charge counts its attempt in the same UPDATE).
Every later move of a payment is one conditional UPDATE on its status, in one transaction
with what it does to the bill and the emails it sends, and is announced on
`bill-payment:<id>` once committed.

A gateway call whose answer is lost (a network error, a 5xx, a process that died) may have
charged the card. Its payment stays PROCESSING and keeps the bill; `recover` repeats the
call with the same idempotency key, so the card is charged at most once, and settles the
payment from the answer. It asks again, less and less often, until the gateway answers:
freeing the bill before then would let the next charge be a second one. A call cancelled at
shutdown (past the grace) is such a lost answer, handed over at once: its payment is due for
`recover` now, in whichever process runs it first, rather than after `CALL_LEASE`.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from gateways.port import (
    ChargeOutcome,
    PaymentGateway,
    Verification,
    VerificationState,
    WebhookEvent,
)
from models.accounts import Account
from models.billing import Bill, BillPayment, BillPaymentStatus, BillStatus
from models.cards import FailureReason, PaymentCard
from services import messages
from services.arrears import Arrears
from services.billing_dates import retry_at
from services.cards.results import GATEWAY_FAILURES
from services.clock import Clock
from services.jobs import abandonable, backoff, stopping
from services.metrics import Metrics
from services.money import Money
from services.outbox import Outbox
from services.public_ids import public_id
from services.pubsub import PubSub

log = logging.getLogger("onramp.billing")

ACTIVE = (BillPaymentStatus.PROCESSING, BillPaymentStatus.REQUIRES_ACTION)
TERMINAL = (BillPaymentStatus.SUCCEEDED, BillPaymentStatus.FAILED)
# A gateway call takes at most about 95 s (Stripe: the SDK's three tries of up to 30 s each,
# with its backoff). A payment still PROCESSING this long after its call began, with no
# answer recorded, lost it with its process: the call is made again.
CALL_LEASE = timedelta(minutes=5)
# After a lost answer the gateway is asked again 30 s later, then 1, 2, 4 ... minutes later,
# at least once an hour.
CHECK_BASE = timedelta(seconds=30)
CHECK_CAP = timedelta(hours=1)
SWEEP_INTERVAL_S = 1.0


def channel(payment_id: object) -> str:
    """The pub/sub channel on which every change of one bill payment is announced."""
    return f"bill-payment:{payment_id}"


def charge_key(bill_id: uuid.UUID, attempt: int) -> str:
    """The idempotency key of an automatic charge: one charge per attempt of a bill."""
    return f"bill:{bill_id}:{attempt}"


class BillPayments:
    def __init__(
        self,
        *,
        clock: Clock,
        gateway: PaymentGateway,
        outbox: Outbox,
        pubsub: PubSub,
        frontend_url: str,
        action_timeout: timedelta,
        arrears: Arrears,
        metrics: Metrics,
    ) -> None:
        self.clock = clock
        self.gateway = gateway
        self.outbox = outbox
        self.pubsub = pubsub
        self.frontend_url = frontend_url
        self.action_timeout = action_timeout
        self.arrears = arrears
        self.metrics = metrics

    # Starting a payment.

    async def begin(
        self,
        bill: Bill,
        card: PaymentCard,
        *,
        off_session: bool,
        return_url: str | None = None,
        also: Callable[[uuid.UUID], Awaitable[object]] | None = None,
    ) -> BillPayment | None:
        """Claims the bill for a new payment and records it PROCESSING, in one transaction.

        None when the bill is paid, another payment of it is under way, or (automatic) this
        attempt was taken by another run. `also` writes in the same transaction.
        """
        payment_id = uuid.uuid4()
        async with in_transaction():
            claim = Bill.filter(id=bill.id, status=BillStatus.UNPAID, active_payment_id=None)
            if off_session:
                claimed = await claim.filter(charge_attempts=bill.charge_attempts).update(
                    charge_attempts=F("charge_attempts") + 1,
                    next_charge_at=None,
                    active_payment_id=payment_id,
                )
            else:
                claimed = await claim.update(active_payment_id=payment_id)
            if not claimed:
                return None
            payment = await BillPayment.create(
                id=payment_id,
                bill_id=bill.id,
                card_id=card.id,
                card_brand=card.brand,
                card_last4=card.last4,
                amount=bill.total,
                currency=bill.currency,
                off_session=off_session,
                status=BillPaymentStatus.PROCESSING,
                return_url=return_url,
                created_at=self.clock.now(),
            )
            if also is not None:
                await also(payment.id)
        await self.publish(payment.id)
        return payment

    async def charge_automatically(self, bill: Bill) -> None:
        """The bill's next automatic charge, to the default card: one charge per attempt,
        whoever runs it. A bill whose payment is under way is skipped, its retry kept."""
        card = await PaymentCard.filter(
            account_id=bill.account_id, is_default=True, removed_at=None
        ).first()
        if card is not None:
            payment = await self.begin(bill, card, off_session=True)
            if payment is not None:
                await self.call(payment)
            return
        async with in_transaction():
            claimed = await Bill.filter(
                id=bill.id,
                status=BillStatus.UNPAID,
                charge_attempts=bill.charge_attempts,
                active_payment_id=None,
            ).update(charge_attempts=F("charge_attempts") + 1, next_charge_at=None)
            flagged = bool(claimed) and await self._charge_failed(bill.id, "no_default_card")
        if flagged:
            await self.arrears.announce(bill.account_id)

    async def call(self, payment: BillPayment) -> None:
        """Sends the payment's gateway call, or sends it again with the same idempotency key,
        and settles the payment from the answer.

        When the answer is lost the payment stays PROCESSING, keeping its bill, and the
        gateway is asked again later (`recover`).
        """
        bill = await Bill.get(id=payment.bill_id)
        amount = Money.of(payment.amount, payment.currency)
        try:
            card = await PaymentCard.get(id=payment.card_id)
            if payment.off_session:
                outcome = await abandonable(
                    self.gateway.charge_off_session(
                        token=card.gateway_payment_method,
                        amount=amount,
                        # The attempt this payment counted when it claimed the bill.
                        idempotency_key=charge_key(bill.id, bill.charge_attempts - 1),
                    )
                )
            else:
                verification = await abandonable(
                    self.gateway.charge_on_session(
                        token=card.gateway_payment_method,
                        amount=amount,
                        return_url=payment.return_url,
                        idempotency_key=str(payment.id),
                        account=str(bill.account_id),
                    )
                )
        except asyncio.CancelledError:
            await self._hand_over(payment)
            raise
        except Exception as error:
            await self._check_later(payment, error)
            return
        if payment.off_session:
            await self._settle_automatic(payment, outcome)
        else:
            await self._apply(payment, verification)

    async def _hand_over(self, payment: BillPayment) -> None:
        """Cancelled past the shutdown's grace, with the gateway's answer unknown: the payment
        keeps its bill and is due for `recover` at once, in whichever process comes first,
        which asks the gateway again with the same key."""
        await BillPayment.filter(id=payment.id, status=BillPaymentStatus.PROCESSING).update(
            next_check_at=self.clock.now()
        )
        self.metrics.bill_charges.labels("interrupted").inc()
        log.warning("the charge of payment %s was interrupted at shutdown: handed over", payment.id)

    async def _check_later(self, payment: BillPayment, error: Exception) -> None:
        due = self.clock.now() + backoff(payment.checks + 1, base=CHECK_BASE, cap=CHECK_CAP)
        await BillPayment.filter(id=payment.id, status=BillPaymentStatus.PROCESSING).update(
            next_check_at=due
        )
        log.warning(
            "the gateway's answer for payment %s was lost (%r): asking again at %s",
            payment.id,
            error,
            due.isoformat(),
        )

    # The moves of a payment.

    async def _settle_automatic(self, payment: BillPayment, outcome: ChargeOutcome) -> None:
        reference = outcome.reference or None
        self.metrics.bill_charges.labels("succeeded" if outcome.succeeded else "failed").inc()
        if outcome.succeeded:
            await self._succeed(payment, reference)
            return
        code = outcome.failure_code or "failed"
        reason = GATEWAY_FAILURES.get(code, FailureReason.PROCESSING_ERROR)
        await self._fail(payment, reason, reference, code)

    async def _apply(self, payment: BillPayment, verification: Verification) -> None:
        state = verification.state
        if state is VerificationState.REQUIRES_ACTION and verification.redirect_url:
            now = self.clock.now()
            moved = await BillPayment.filter(
                id=payment.id, status=BillPaymentStatus.PROCESSING
            ).update(
                status=BillPaymentStatus.REQUIRES_ACTION,
                gateway_reference=verification.reference,
                redirect_url=verification.redirect_url,
                action_expires_at=now + self.action_timeout,
                next_check_at=None,
            )
            if moved:
                await self.publish(payment.id)
        elif state is VerificationState.REQUIRES_ACTION:
            # The gateway has it, but its single-use bank link went with a lost answer.
            await self._end(payment, verification.reference, FailureReason.PROCESSING_ERROR)
        elif state is VerificationState.PROCESSING:
            # Not final yet: a webhook tells, or the gateway is asked again.
            await BillPayment.filter(id=payment.id, status=BillPaymentStatus.PROCESSING).update(
                gateway_reference=verification.reference,
                next_check_at=self.clock.now()
                + backoff(payment.checks + 1, base=CHECK_BASE, cap=CHECK_CAP),
            )
        else:
            await self._settle(payment, verification)

    async def _settle(self, payment: BillPayment, verification: Verification) -> None:
        """Settles an on-session payment from a final state of its verification."""
        if verification.state is VerificationState.SUCCEEDED:
            await self._succeed(payment, verification.reference)
        elif verification.state is VerificationState.FAILED:
            code = verification.failure_code or ""
            reason = GATEWAY_FAILURES.get(code, FailureReason.DECLINED)
            await self._fail(payment, reason, verification.reference, code)
        elif verification.state is VerificationState.CANCELED:
            await self._fail(payment, FailureReason.AUTHENTICATION_TIMEOUT, verification.reference)

    async def _succeed(self, payment: BillPayment, reference: str | None) -> None:
        now = self.clock.now()
        async with in_transaction():
            moved = await BillPayment.filter(id=payment.id, status__in=ACTIVE).update(
                status=BillPaymentStatus.SUCCEEDED,
                redirect_url=None,
                action_expires_at=None,
                next_check_at=None,
                completed_at=now,
                **_reference(reference),
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
            bill = await Bill.get(id=payment.bill_id)
            lifted = bool(paid) and await self.arrears.lift_if_settled(bill.account_id)
            if paid:
                card = f"{payment.card_brand.upper()} •••• {payment.card_last4}"
                await self._tell(
                    bill, messages.bill_paid(bill.number, _total(bill), card, self._link_to(bill))
                )
        log.info("bill %s paid by payment %s", bill.number, payment.id)
        if lifted:
            await self.arrears.announce(bill.account_id)
        await self.publish(payment.id)

    async def _fail(
        self,
        payment: BillPayment,
        reason: FailureReason,
        reference: str | None = None,
        code: str | None = None,
    ) -> None:
        """Fails the payment and frees its bill; an automatic charge's bill is given its
        next retry and the person is told."""
        async with in_transaction():
            moved = await BillPayment.filter(id=payment.id, status__in=ACTIVE).update(
                status=BillPaymentStatus.FAILED,
                failure_reason=reason.value,
                redirect_url=None,
                action_expires_at=None,
                next_check_at=None,
                completed_at=self.clock.now(),
                **_reference(reference),
            )
            if not moved:
                return
            await Bill.filter(id=payment.bill_id, active_payment_id=payment.id).update(
                active_payment_id=None
            )
            flagged = payment.off_session and await self._charge_failed(
                payment.bill_id, code or reason.value.lower()
            )
        if flagged:
            await self.arrears.announce((await Bill.get(id=payment.bill_id)).account_id)
        await self.publish(payment.id)

    async def _charge_failed(self, bill_id: uuid.UUID, code: str) -> bool:
        """An automatic charge failed: the next retry, the email, after the last the arrears
        flag (True: announce it once the transaction has committed)."""
        bill = await Bill.get(id=bill_id)
        # The attempt that failed was counted when it claimed the bill.
        retry = retry_at(bill.issued_at.date(), bill.charge_attempts)
        await Bill.filter(id=bill.id).update(next_charge_at=retry, last_charge_error=code[:64])
        account = await self._tell(
            bill,
            messages.bill_payment_failed(
                bill.number,
                _total(bill),
                retry.date() if retry else None,
                cards_link=f"{self.frontend_url}/cards",
                bills_link=f"{self.frontend_url}/bills",
                bill_link=self._link_to(bill),
                needs_the_person=GATEWAY_FAILURES.get(code)
                is FailureReason.AUTHENTICATION_REQUIRED,
            ),
        )
        if retry is not None:
            return False
        await self.arrears.flag_for_charges(account, f"bill {bill.number} unpaid after every retry")
        return True

    async def _tell(self, bill: Bill, message: messages.Message) -> Account:
        """Emails the bill's account; returns it."""
        account = await Account.get(id=bill.account_id)
        await self.outbox.send_email(account.email_display, message, account.locale)
        return account

    def _link_to(self, bill: Bill) -> str:
        """The bill's page in the frontend, by the API's own opaque id."""
        return f"{self.frontend_url}/bills/{public_id('Bill', bill.id)}"

    async def _end(
        self, payment: BillPayment, reference: str | None, reason: FailureReason
    ) -> None:
        """Ends a payment that waits for the person: cancel first, then believe the gateway
        (the bank may have answered just in time); else it fails for `reason`."""
        if reference is not None:
            await self.gateway.cancel_verification(reference)
            verification = await self.gateway.verification(reference)
            if verification is not None and verification.state in (
                VerificationState.SUCCEEDED,
                VerificationState.FAILED,
            ):
                await self._settle(payment, verification)
                return
        await self._fail(payment, reason, reference)

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
        """Ends payments left on the bank page past their time; recovers lost answers."""
        now = self.clock.now()
        for payment in await BillPayment.filter(
            status=BillPaymentStatus.REQUIRES_ACTION, off_session=False, action_expires_at__lte=now
        ):
            try:
                await self._end(
                    payment, payment.gateway_reference, FailureReason.AUTHENTICATION_TIMEOUT
                )
            except Exception as error:
                log.warning("ending payment %s failed: %r", payment.id, error)
        await self.recover()

    async def recover(self) -> None:
        """Asks the gateway again about every payment whose answer was lost or is late."""
        now = self.clock.now()
        due = await BillPayment.filter(status=BillPaymentStatus.PROCESSING).filter(
            Q(next_check_at__lte=now) | Q(next_check_at=None, created_at__lte=now - CALL_LEASE)
        )
        for payment in due:
            if stopping():
                break  # the rest stay due: the next process asks
            # One process asks, once per check: counting it leases the payment for a call.
            claimed = await BillPayment.filter(
                id=payment.id, status=BillPaymentStatus.PROCESSING, checks=payment.checks
            ).update(checks=payment.checks + 1, next_check_at=now + CALL_LEASE)
            if not claimed:
                continue
            payment.checks += 1
            log.info("asking the gateway again about payment %s (%d)", payment.id, payment.checks)
            await self.call(payment)

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


def _total(bill: Bill) -> Money:
    return Money.of(bill.total, bill.currency)


def _reference(reference: str | None) -> dict[str, str]:
    """The gateway's reference for the payment, when its answer named one."""
    return {"gateway_reference": reference} if reference else {}
