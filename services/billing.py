"""Post-paid billing: usage is recorded as it happens and billed on the 3rd of the month.

A monthly run on the 3rd bills every post-paid account for the previous calendar month;
it is idempotent (one bill per account and month, one charge per attempt of a bill), so it
is safe to run in several processes and again to catch up. A failed charge is retried after
1, 3 and 7 days; then the account is flagged for arrears risk, and while it is, usage is
billed and charged as it is recorded.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from uuid import UUID

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from gateways.port import PaymentGateway
from models.accounts import Account
from models.billing import (
    Bill,
    BillingRun,
    BillKind,
    BillLine,
    BillPayment,
    BillStatus,
    UsageRecord,
)
from models.cards import PaymentCard
from services import messages
from services.arrears import Arrears
from services.bill_payments import SWEEP_INTERVAL_S, BillPayments
from services.billing_dates import BILLING_DAY, midnight
from services.clock import Clock
from services.i18n.text import tr, trn
from services.jobs import Job, stopping
from services.metrics import Metrics
from services.money import Money, minor_digits, quantize
from services.outbox import Outbox
from services.pagination import NewestFirst
from services.pay_bill import PayBill
from services.problems import ProblemCode, Refused
from services.pubsub import PubSub
from services.read_cache import ReadCache
from services.regions import find_region
from services.staff.audit import Actor, Audit
from services.text import check_text

log = logging.getLogger("onramp.billing")

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


def parse_amount(raw: str, currency: str) -> Decimal:
    try:
        amount = Decimal(raw.strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount <= 0:
        raise Refused.because(ProblemCode.INVALID_INPUT, tr("Give a positive amount."), "amount")
    if amount != quantize(amount, currency):
        raise Refused.because(
            ProblemCode.INVALID_INPUT,
            trn(
                "{currency} amounts have {count} decimal digit.",
                "{currency} amounts have {count} decimal digits.",
                minor_digits(currency),
                currency=currency,
            ),
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
        audit: Audit,
        metrics: Metrics,
    ) -> None:
        self.frontend_url = frontend_url
        self.clock = clock
        self.gateway = gateway
        self.outbox = outbox
        self.audit = audit
        self.arrears = Arrears(outbox=outbox, read_cache=read_cache, audit=audit)
        self.payments = BillPayments(
            clock=clock,
            gateway=gateway,
            outbox=outbox,
            pubsub=pubsub,
            frontend_url=frontend_url,
            action_timeout=action_timeout,
            arrears=self.arrears,
            metrics=metrics,
        )
        self.pay_bill = PayBill(
            clock=clock, payments=self.payments, allowed_origins=allowed_origins
        ).pay_bill
        self.receive = self.payments.receive
        self.payment_of = self.payments.payment_of
        # Staff's or an operator's flag stays until one of them clears it.
        self.flag_arrears = self.arrears.flag
        self.clear_arrears = self.arrears.clear

    # Usage

    async def record_usage(
        self, account: Account, raw_amount: str, description: str, *, actor: Actor | None = None
    ) -> UsageRecord:
        """Usage as metered; recorded by staff or an operator (`actor`), with its audit row."""
        if account.cloud_enabled_at is None:
            raise Refused.because(
                ProblemCode.PREREQUISITE_MISSING,
                tr("Usage is recorded only for accounts that have enabled cloud services."),
            )
        currency = _currency(account)
        amount = parse_amount(raw_amount, currency)
        text = check_text(description, "description").strip()
        if not 1 <= len(text) <= 200:
            raise Refused.because(
                ProblemCode.INVALID_INPUT,
                tr("Describe the usage in 1 to 200 characters."),
                "description",
            )
        async with in_transaction():
            usage = await UsageRecord.create(
                account_id=account.id,
                amount=str(amount),
                currency=currency,
                description=text,
                occurred_at=self.clock.now(),
            )
            if actor is not None:
                await self.audit.record(
                    actor,
                    "usage.record",
                    account_id=account.id,
                    subject=account.email,
                    after={"amount": str(amount), "currency": currency, "description": text},
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
            await self.payments.charge_automatically(bill)

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
                occurred_at__gte=midnight(start),
                occurred_at__lt=midnight(end),
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
                await self.payments.charge_automatically(bill)
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
                start,
                end,
                [(u.description, Money.of(u.amount, currency)) for u in usage],
                messages.BillTotals(
                    subtotal=Money.of(bill.subtotal, currency),
                    tax_rate_percent=region.tax_rate_percent,
                    tax=Money.of(bill.tax, currency),
                    total=Money.of(bill.total, currency),
                ),
            ),
            account.locale,
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
            await self.payments.charge_automatically(bill)
            charged += 1
        return charged

    async def charge_now(self, bill_id: UUID | None, actor: Actor) -> BillPayment:
        """Staff (or an operator) run an UNPAID bill's charge now, as its next retry, to the
        default card; the claim and its audit row are one transaction."""
        bill = await Bill.get_or_none(id=bill_id) if bill_id else None
        if bill is None:
            raise Refused.because(ProblemCode.NOT_FOUND, tr("There is no such bill."), "billId")
        card = await PaymentCard.filter(
            account_id=bill.account_id, is_default=True, removed_at=None
        ).first()
        if card is None:
            raise Refused.because(
                ProblemCode.NO_PAYMENT_CARD,
                tr("The account has no default card to charge."),
                "billId",
            )

        async def record(payment_id: UUID) -> None:
            await self.audit.record(
                actor,
                "bill.charge",
                account_id=bill.account_id,
                subject=bill.number,
                before={"status": bill.status.value, "chargeAttempts": bill.charge_attempts},
                after={"chargeAttempts": bill.charge_attempts + 1, "payment": str(payment_id)},
            )

        payment = (
            await self.payments.begin(bill, card, off_session=True, also=record)
            if bill.status is BillStatus.UNPAID
            else None
        )
        if payment is not None:
            await self.payments.call(payment)
            return await BillPayment.get(id=payment.id)
        if (await Bill.get(id=bill.id)).status is BillStatus.PAID:
            raise Refused.because(
                ProblemCode.BILL_ALREADY_PAID, tr("This bill is already paid."), "billId"
            )
        raise Refused.because(
            ProblemCode.PAYMENT_IN_PROGRESS,
            tr("A payment of this bill is already being processed."),
            "billId",
        )

    async def bill_by_number(self, number: str) -> Bill | None:
        return await Bill.get_or_none(number=number.strip().upper())

    def payments_of(self, bill_ids: list[UUID]) -> QuerySet[BillPayment]:
        """Every charge of these bills, newest first."""
        return BillPayment.filter(bill_id__in=bill_ids).order_by("-created_at")

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
