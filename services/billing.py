"""Post-paid billing: usage is recorded as it happens and billed on the 3rd of the month.

A monthly run on the 3rd bills every post-paid account for the previous calendar month;
it is idempotent (one bill per account and month, one charge per attempt of a bill), so it
is safe to run in several processes and again to catch up. A failed charge is retried after
1, 3 and 7 days; then the account is flagged for arrears risk, and while it is, usage is
billed and charged as it is recorded.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from uuid import UUID

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gateways.port import ChargeOutcome, PaymentGateway
from models.accounts import Account
from models.billing import (
    Bill,
    BillingRun,
    BillKind,
    BillLine,
    BillPayment,
    BillPaymentStatus,
    BillStatus,
    UsageRecord,
)
from models.cards import FailureReason, PaymentCard
from services import messages
from services.bill_payments import SWEEP_INTERVAL_S, BillPayments
from services.billing_dates import BILLING_DAY
from services.cards.results import GATEWAY_FAILURES
from services.clock import Clock
from services.jobs import Job, abandonable, stopping
from services.metrics import Metrics
from services.money import Money, minor_digits, quantize
from services.outbox import Outbox
from services.pagination import NewestFirst
from services.problems import ProblemCode, Refused
from services.public_ids import public_id
from services.pubsub import PubSub
from services.read_cache import ReadCache
from services.regions import find_region
from services.text import check_text

log = logging.getLogger("onramp.billing")

# Days after the first failed charge on which it is tried again.
RETRY_AFTER_DAYS = (1, 3, 7)
RUN_INTERVAL_S = 3600.0


@dataclass(frozen=True)
class RunReport:
    period: str | None
    bills_issued: int
    charges_attempted: int


def month_start(day: date) -> date:
    return day.replace(day=1)


def previous_month(day: date) -> date:
    """The first day of the month before `day`'s month."""
    first = month_start(day)
    return month_start(first - timedelta(days=1))


def next_month(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


def period_key(first: date) -> str:
    return f"{first.year:04d}-{first.month:02d}"


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def parse_amount(raw: str, currency: str) -> Decimal:
    try:
        amount = Decimal(raw.strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount <= 0:
        raise Refused.because(ProblemCode.INVALID_INPUT, "Give a positive amount.", "amount")
    if amount != quantize(amount, currency):
        raise Refused.because(
            ProblemCode.INVALID_INPUT,
            f"{currency} amounts have {minor_digits(currency)} decimal digits.",
            "amount",
        )
    return quantize(amount, currency)


class Billing:
    def __init__(
        self,
        *,
        clock: Clock,
        gateway: PaymentGateway,
        outbox: Outbox,
        frontend_url: str,
        pubsub: PubSub,
        read_cache: ReadCache,
        allowed_origins: tuple[str, ...],
        action_timeout: timedelta,
        metrics: Metrics,
    ) -> None:
        self.metrics = metrics
        self.read_cache = read_cache
        self.frontend_url = frontend_url
        self.clock = clock
        self.gateway = gateway
        self.outbox = outbox
        self.payments = BillPayments(
            clock=clock,
            gateway=gateway,
            outbox=outbox,
            pubsub=pubsub,
            frontend_url=frontend_url,
            allowed_origins=allowed_origins,
            action_timeout=action_timeout,
            after_paid=self.lift_arrears_if_settled,
        )
        self.pay_bill = self.payments.pay_bill
        self.receive = self.payments.receive
        self.payment_of = self.payments.payment_of

    # Usage

    async def record_usage(
        self, account: Account, raw_amount: str, description: str
    ) -> UsageRecord:
        if account.cloud_enabled_at is None:
            raise Refused.because(
                ProblemCode.PREREQUISITE_MISSING,
                "Usage is recorded only for accounts that have enabled cloud services.",
            )
        currency = _currency(account)
        amount = parse_amount(raw_amount, currency)
        text = check_text(description, "description").strip()
        if not 1 <= len(text) <= 200:
            raise Refused.because(
                ProblemCode.INVALID_INPUT,
                "Describe the usage in 1 to 200 characters.",
                "description",
            )
        usage = await UsageRecord.create(
            account_id=account.id,
            amount=str(amount),
            currency=currency,
            description=text,
            occurred_at=self.clock.now(),
        )
        if account.arrears_risk:
            await self._bill_at_once(account, usage)
        return usage

    async def _bill_at_once(self, account: Account, usage: UsageRecord) -> None:
        bill = await self._issue(
            account,
            kind=BillKind.IMMEDIATE,
            key=f"immediate:{usage.id}",
            start=usage.occurred_at.date(),
            end=usage.occurred_at.date(),
            usage=[usage],
        )
        if bill is not None:
            await self._charge(bill)

    # The monthly run

    async def run(self, today: date) -> RunReport:
        """On the 3rd: bill last month. Any day: retry the charges that are due."""
        issued = 0
        period = None
        if today.day == BILLING_DAY:
            start = previous_month(today)
            period = period_key(start)
            issued = await self._bill_month(start)
            await BillingRun.get_or_create(
                period=period, defaults={"completed_at": self.clock.now()}
            )
        charged = await self._retry_due()
        return RunReport(period=period, bills_issued=issued, charges_attempted=charged)

    async def _bill_month(self, start: date) -> int:
        end = next_month(start)
        issued = 0
        postpaid = await PaymentCard.filter(is_default=True).values_list("account_id", flat=True)
        for account in await Account.filter(id__in=list(postpaid)):
            if stopping():
                break  # the next run (any process's) bills the rest: one bill per month
            usage = await UsageRecord.filter(
                account_id=account.id,
                bill_id=None,
                occurred_at__gte=_midnight(start),
                occurred_at__lt=_midnight(end),
            ).order_by("occurred_at")
            if not usage:
                continue
            bill = await self._issue(
                account,
                kind=BillKind.MONTHLY,
                key=period_key(start),
                start=start,
                end=end - timedelta(days=1),
                usage=usage,
            )
            if bill is not None:
                issued += 1
                await self._charge(bill)
        return issued

    async def _issue(
        self,
        account: Account,
        *,
        kind: BillKind,
        key: str,
        start: date,
        end: date,
        usage: list[UsageRecord],
    ) -> Bill | None:
        """One bill for the usage; None when this account and period already have one."""
        region = find_region(account.region_code)
        assert region is not None
        currency = region.currency
        subtotal = sum((Decimal(u.amount) for u in usage), Decimal(0))
        tax = quantize(subtotal * region.tax_rate_percent / 100, currency)
        total = quantize(subtotal + tax, currency)
        now = self.clock.now()
        try:
            async with in_transaction():
                bill = await Bill.create(
                    account_id=account.id,
                    number=f"B-{start.year:04d}{start.month:02d}-{secrets.token_hex(4).upper()}",
                    kind=kind,
                    period_key=key,
                    period_start=start,
                    period_end=end,
                    currency=currency,
                    tax_rate_percent=str(region.tax_rate_percent),
                    subtotal=str(quantize(subtotal, currency)),
                    tax=str(tax),
                    total=str(total),
                    issued_at=now,
                )
                for item in usage:
                    await BillLine.create(
                        bill_id=bill.id,
                        description=item.description,
                        amount=item.amount,
                        occurred_at=item.occurred_at,
                    )
                await UsageRecord.filter(id__in=[u.id for u in usage], bill_id=None).update(
                    bill_id=bill.id
                )
        except IntegrityError:
            return None  # another run (or process) issued it first
        await self.outbox.send_email(
            account.email_display,
            messages.bill_issued(
                bill.number,
                f"{start.isoformat()} to {end.isoformat()}",
                [(u.description, f"{u.amount} {currency}") for u in usage],
                {
                    "subtotal": f"{bill.subtotal} {currency}",
                    "rate": str(region.tax_rate_percent),
                    "tax": f"{bill.tax} {currency}",
                    "total": f"{bill.total} {currency}",
                },
            ),
        )
        log.info("bill %s issued to account %s", bill.number, account.id)
        return bill

    # Charging

    async def _retry_due(self) -> int:
        due = await Bill.filter(status=BillStatus.UNPAID, next_charge_at__lte=self.clock.now())
        charged = 0
        for bill in due:
            if stopping():
                break  # still due: the next run (any process's) charges the rest
            await self._charge(bill)
            charged += 1
        return charged

    async def _charge(self, bill: Bill) -> None:
        attempt = bill.charge_attempts
        payment_id = uuid.uuid4()
        # One charge per attempt, whoever runs it: claim the attempt first. A bill whose
        # payment is under way (payBill waiting on the bank page) is skipped, its retry kept.
        claimed = await Bill.filter(
            id=bill.id, status=BillStatus.UNPAID, charge_attempts=attempt, active_payment_id=None
        ).update(
            charge_attempts=F("charge_attempts") + 1,
            next_charge_at=None,
            active_payment_id=payment_id,
        )
        if not claimed:
            return
        # Until the bill is PAID or its next try is scheduled, the claim is this process's:
        # cancelled past the shutdown's grace, it gives the claim back (`_release`).
        try:
            card = await PaymentCard.filter(
                account_id=bill.account_id, is_default=True, removed_at=None
            ).first()
            outcome = None
            if card is not None:
                outcome = await self._charge_card(
                    bill, card, f"bill:{bill.id}:{attempt}", payment_id
                )
            succeeded = outcome is not None and outcome.succeeded
            if succeeded:
                paid = await Bill.filter(id=bill.id, status=BillStatus.UNPAID).update(
                    status=BillStatus.PAID,
                    paid_at=self.clock.now(),
                    last_charge_error=None,
                    active_payment_id=None,
                )
            else:
                failures = attempt + 1
                retry_at = (
                    _midnight(
                        bill.issued_at.date() + timedelta(days=RETRY_AFTER_DAYS[failures - 1])
                    )
                    if failures <= len(RETRY_AFTER_DAYS)
                    else None
                )
                await Bill.filter(id=bill.id).update(
                    active_payment_id=None,
                    next_charge_at=retry_at,
                    last_charge_error=(
                        (outcome.failure_code if outcome else "no_default_card") or "failed"
                    ),
                )
        except asyncio.CancelledError:
            await self._release(bill, attempt, payment_id)
            raise
        self.metrics.bill_charges.labels("succeeded" if succeeded else "failed").inc()
        if succeeded:
            log.info("bill %s paid", bill.number)
            if paid:
                await self.lift_arrears_if_settled(bill.account_id)
            if paid and card is not None:
                account = await Account.get(id=bill.account_id)
                await self.outbox.send_email(
                    account.email_display,
                    messages.bill_paid(
                        bill.number,
                        f"{bill.total} {bill.currency}",
                        f"{card.brand.upper()} •••• {card.last4}",
                        f"{self.frontend_url}/bills/{public_id('Bill', bill.id)}",
                    ),
                )
            return
        account = await Account.get(id=bill.account_id)
        await self.outbox.send_email(
            account.email_display,
            messages.bill_payment_failed(
                bill.number,
                f"{bill.total} {bill.currency}",
                retry_at.date().isoformat() if retry_at else None,
                cards_link=f"{self.frontend_url}/cards",
                bills_link=f"{self.frontend_url}/bills",
                bill_link=f"{self.frontend_url}/bills/{public_id('Bill', bill.id)}",
                needs_the_person=bool(
                    outcome
                    and GATEWAY_FAILURES.get(outcome.failure_code or "")
                    is FailureReason.AUTHENTICATION_REQUIRED
                ),
            ),
        )
        if retry_at is None:
            await self.flag_arrears(
                account, f"bill {bill.number} unpaid after every retry", by_charges=True
            )

    async def _release(self, bill: Bill, attempt: int, payment_id: uuid.UUID) -> None:
        """Gives back a charge cancelled past the shutdown's grace, as if never claimed.

        The gateway may or may not have charged: the next try (any process's, at once) uses
        the same attempt number and so the same idempotency key, and the gateway answers it
        with that charge instead of making another.
        """
        released = await Bill.filter(
            id=bill.id, status=BillStatus.UNPAID, active_payment_id=payment_id
        ).update(active_payment_id=None, charge_attempts=attempt, next_charge_at=self.clock.now())
        if released:
            await BillPayment.filter(id=payment_id, status=BillPaymentStatus.PROCESSING).delete()
            self.metrics.bill_charges.labels("released").inc()
            log.warning("the charge of bill %s was released unfinished at shutdown", bill.number)

    async def _charge_card(
        self, bill: Bill, card: PaymentCard, idempotency_key: str, payment_id: uuid.UUID
    ) -> ChargeOutcome | None:
        """One automatic charge, recorded as a payment of the bill whatever happens."""
        payment = await BillPayment.create(
            id=payment_id,
            bill_id=bill.id,
            card_id=card.id,
            card_brand=card.brand,
            card_last4=card.last4,
            amount=bill.total,
            currency=bill.currency,
            off_session=True,
            status=BillPaymentStatus.PROCESSING,
            created_at=self.clock.now(),
        )
        outcome: ChargeOutcome | None
        try:
            outcome = await abandonable(
                self.gateway.charge_off_session(
                    token=card.gateway_payment_method,
                    amount=Money.of(bill.total, bill.currency),
                    idempotency_key=idempotency_key,
                )
            )
        except Exception:
            # Counted as a failed try: the bill's next retry is scheduled as for a decline.
            log.exception("charging bill %s failed at the gateway", bill.number)
            outcome = None
        succeeded = outcome is not None and outcome.succeeded
        code = None if succeeded else (outcome.failure_code if outcome else None)
        await BillPayment.filter(id=payment.id).update(
            status=BillPaymentStatus.SUCCEEDED if succeeded else BillPaymentStatus.FAILED,
            failure_reason=None
            if succeeded
            else GATEWAY_FAILURES.get(code or "", FailureReason.PROCESSING_ERROR).value,
            gateway_reference=outcome.reference if outcome else None,
            completed_at=self.clock.now(),
        )
        return outcome

    def payments_of(self, bill_ids: list[UUID]) -> QuerySet[BillPayment]:
        """Every charge of these bills, newest first."""
        return BillPayment.filter(bill_id__in=bill_ids).order_by("-created_at")

    # Arrears risk

    async def flag_arrears(
        self, account: Account, reason: str, *, by_charges: bool = False
    ) -> Account:
        """Flags the account; an operator's flag stays until an operator clears it."""
        flagged = await Account.filter(id=account.id).first()
        operator_flag = bool(flagged and flagged.arrears_risk and not flagged.arrears_from_charges)
        await Account.filter(id=account.id).update(
            arrears_risk=True,
            arrears_reason=reason[:200],
            arrears_from_charges=by_charges and not operator_flag,
        )
        await self.read_cache.account_changed(account.id)
        log.info("account %s flagged for arrears risk", account.id)
        return await Account.get(id=account.id)

    async def clear_arrears(self, account: Account) -> Account:
        await Account.filter(id=account.id).update(
            arrears_risk=False, arrears_reason=None, arrears_from_charges=False
        )
        await self.read_cache.account_changed(account.id)
        return await Account.get(id=account.id)

    async def lift_arrears_if_settled(self, account_id: UUID) -> None:
        """Once every bill is paid, a flag that failed charges set is lifted, and said so."""
        if await Bill.filter(account_id=account_id, status=BillStatus.UNPAID).exists():
            return
        lifted = await Account.filter(
            id=account_id, arrears_risk=True, arrears_from_charges=True
        ).update(arrears_risk=False, arrears_reason=None, arrears_from_charges=False)
        if lifted:
            await self.read_cache.account_changed(account_id)
            account = await Account.get(id=account_id)
            log.info("account %s no longer at arrears risk: every bill is paid", account.id)
            await self.outbox.send_email(account.email_display, messages.arrears_lifted())

    # Reading

    async def next_bill_date(self, account: Account) -> date | None:
        """The next 3rd on which this account's usage is billed; None before it is post-paid."""
        first_card = await PaymentCard.filter(account_id=account.id).order_by("bound_at").first()
        if first_card is None:
            return None
        today = self.clock.now().date()
        last_month = previous_month(today)
        # Last month is still to bill (on the 3rd of this month) if it was post-paid then and
        # its run has not completed yet.
        if first_card.bound_at.date() < month_start(today) and not await BillingRun.exists(
            period=period_key(last_month)
        ):
            return month_start(today).replace(day=BILLING_DAY)
        return next_month(month_start(today)).replace(day=BILLING_DAY)

    async def outstanding(self, account: Account) -> Money:
        """The sum of the account's unpaid bills (summed here: SQLite keeps amounts as text)."""
        currency = _currency(account)
        totals = await Bill.filter(account_id=account.id, status=BillStatus.UNPAID).values_list(
            "total", flat=True
        )
        return Money.of(sum((Decimal(str(t)) for t in totals), Decimal(0)), currency)

    def bills(self, account_id: UUID) -> NewestFirst[Bill]:
        """The account's bills, newest first."""
        return NewestFirst(Bill.filter(account_id=account_id), "issued_at")

    async def run_today(self) -> None:
        """The job's step: the same run for today, safe in every process and again."""
        await self.run(self.clock.now().date())

    def jobs(self) -> list[Job]:
        """`onramp serve`'s billing: today's run, once an hour."""
        return [
            Job("billing", self.run_today, RUN_INTERVAL_S),
            Job("bill-payments", self.payments.sweep, SWEEP_INTERVAL_S),
        ]


def _currency(account: Account) -> str:
    region = find_region(account.region_code)
    assert region is not None
    return region.currency
