"""Post-paid billing: usage, bills with their lines, and which monthly runs are done."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

from tortoise import fields
from tortoise.models import Model

from models.idempotency import IdempotencyKeyRow

if TYPE_CHECKING:
    from models.accounts import Account
    from models.cards import PaymentCard


class BillKind(StrEnum):
    MONTHLY = "MONTHLY"
    # Issued as the usage is recorded, while arrears are suspected.
    IMMEDIATE = "IMMEDIATE"


class BillStatus(StrEnum):
    UNPAID = "UNPAID"
    PAID = "PAID"


class BillPaymentStatus(StrEnum):
    PROCESSING = "PROCESSING"
    REQUIRES_ACTION = "REQUIRES_ACTION"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class UsageRecord(Model):
    id = fields.UUIDField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "onramp.Account", related_name="usage", on_delete=fields.CASCADE
    )
    account_id: UUID
    # Money as text in the currency's minor digits; summed in Python, never in SQL.
    amount = fields.CharField(max_length=32)
    currency = fields.CharField(max_length=3)
    description = fields.CharField(max_length=200)
    occurred_at = fields.DatetimeField()
    bill: fields.ForeignKeyNullableRelation[Bill] = fields.ForeignKeyField(
        "onramp.Bill", related_name="usage", null=True, on_delete=fields.SET_NULL
    )
    bill_id: UUID | None

    class Meta:
        table = "usage_records"
        indexes = (("account_id", "occurred_at"),)


class Bill(Model):
    id = fields.UUIDField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "onramp.Account", related_name="bills", on_delete=fields.CASCADE
    )
    account_id: UUID
    number = fields.CharField(max_length=32, unique=True)
    kind = fields.CharEnumField(BillKind, max_length=16)
    # One monthly bill per account and month: "2026-11"; an immediate bill: its own id.
    period_key = fields.CharField(max_length=48)
    period_start = fields.DateField()
    period_end = fields.DateField()
    currency = fields.CharField(max_length=3)
    tax_rate_percent = fields.CharField(max_length=16)
    subtotal = fields.CharField(max_length=32)
    tax = fields.CharField(max_length=32)
    total = fields.CharField(max_length=32)
    status = fields.CharEnumField(BillStatus, max_length=16, default=BillStatus.UNPAID)
    issued_at = fields.DatetimeField()
    paid_at = fields.DatetimeField(null=True)
    charge_attempts = fields.IntField(default=0)
    next_charge_at = fields.DatetimeField(null=True)
    last_charge_error = fields.CharField(max_length=64, null=True)
    # The payment of this bill that is under way (PROCESSING or REQUIRES_ACTION), if any:
    # claimed by one conditional UPDATE, so that a bill has one payment at a time.
    active_payment_id = fields.UUIDField(null=True)

    class Meta:
        table = "bills"
        unique_together = (("account", "period_key"),)
        indexes = (("status", "next_charge_at"),)


class BillLine(Model):
    id = fields.UUIDField(primary_key=True)
    bill: fields.ForeignKeyRelation[Bill] = fields.ForeignKeyField(
        "onramp.Bill", related_name="lines", on_delete=fields.CASCADE
    )
    bill_id: UUID
    description = fields.CharField(max_length=200)
    amount = fields.CharField(max_length=32)
    occurred_at = fields.DatetimeField()

    class Meta:
        table = "bill_lines"


class BillingRun(Model):
    """A month whose bills have all been issued (the run on the 3rd of the next month)."""

    period = fields.CharField(max_length=7, primary_key=True)
    completed_at = fields.DatetimeField()

    class Meta:
        table = "billing_runs"


class BillPayment(Model):
    """One charge of a bill to a card, automatic or asked for, keeping its brand and last four."""

    id = fields.UUIDField(primary_key=True)
    bill: fields.ForeignKeyRelation[Bill] = fields.ForeignKeyField(
        "onramp.Bill", related_name="payments", on_delete=fields.CASCADE
    )
    bill_id: UUID
    card: fields.ForeignKeyNullableRelation[PaymentCard] = fields.ForeignKeyField(
        "onramp.PaymentCard", related_name="payments", null=True, on_delete=fields.SET_NULL
    )
    card_id: UUID | None
    card_brand = fields.CharField(max_length=16)
    card_last4 = fields.CharField(max_length=4)
    amount = fields.CharField(max_length=32)
    currency = fields.CharField(max_length=3)
    off_session = fields.BooleanField()
    status = fields.CharEnumField(
        BillPaymentStatus, max_length=16, default=BillPaymentStatus.PROCESSING
    )
    failure_reason = fields.CharField(max_length=32, null=True)
    gateway_reference = fields.CharField(max_length=64, null=True)
    # payBill's bank page, while REQUIRES_ACTION.
    redirect_url = fields.CharField(max_length=500, null=True)
    action_expires_at = fields.DatetimeField(null=True)
    # payBill's return URL: a repeated gateway call must send what the first one sent.
    return_url = fields.CharField(max_length=500, null=True)
    # While PROCESSING: when the gateway is asked again, with the same idempotency key
    # (its answer was lost, or is not final yet), and how often it has been asked again.
    next_check_at = fields.DatetimeField(null=True)
    checks = fields.IntField(default=0, db_default=0)
    created_at = fields.DatetimeField()
    completed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "bill_payments"
        indexes = (("bill_id", "created_at"), ("gateway_reference",), ("status", "next_check_at"))


class BillPaymentKey(IdempotencyKeyRow):
    """A payBill idempotency key of one account, for 24 hours."""

    payment: fields.ForeignKeyNullableRelation[BillPayment] = fields.ForeignKeyField(
        "onramp.BillPayment", on_delete=fields.CASCADE, null=True
    )
    payment_id: UUID | None

    class Meta:
        table = "bill_payment_keys"
        unique_together = (("account", "key"),)
