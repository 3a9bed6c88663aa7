"""The sandbox payment gateway's own tables: it keeps what a real PSP would keep."""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model


class SandboxPaymentMethod(Model):
    id = fields.CharField(max_length=64, primary_key=True)
    brand = fields.CharField(max_length=16)
    first6 = fields.CharField(max_length=6)
    last4 = fields.CharField(max_length=4)
    expiry_month = fields.IntField()
    expiry_year = fields.IntField()
    holder_name = fields.CharField(max_length=100)
    # An HMAC of the number under its own key: the same card twice is recognisable, the
    # number is not recoverable.
    fingerprint = fields.CharField(max_length=64)
    # How this test card behaves after approval (the test-card table), e.g. "succeed".
    behavior = fields.CharField(max_length=32)
    attached_at = fields.DatetimeField(null=True)
    # Detached by the merchant (a removed card): it charges nothing any more.
    detached_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "sandbox_payment_methods"


class SandboxIntent(Model):
    """A verification of a payment method by a deposit, with the bank's identity check."""

    id = fields.CharField(max_length=64, primary_key=True)
    idempotency_key = fields.CharField(max_length=128, unique=True)
    payment_method: fields.ForeignKeyRelation[SandboxPaymentMethod] = fields.ForeignKeyField(
        "onramp.SandboxPaymentMethod", on_delete=fields.CASCADE
    )
    payment_method_id: str
    amount = fields.CharField(max_length=32)
    currency = fields.CharField(max_length=3)
    return_url = fields.CharField(max_length=500, null=True)
    # requires_action, processing, succeeded, failed, canceled
    status = fields.CharField(max_length=16)
    failure_code = fields.CharField(max_length=32, null=True)
    bank_token_mac = fields.CharField(max_length=64, unique=True)
    bank_token_used_at = fields.DatetimeField(null=True)
    charge = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "sandbox_intents"


class SandboxCharge(Model):
    id = fields.CharField(max_length=64, primary_key=True)
    payment_method: fields.ForeignKeyRelation[SandboxPaymentMethod] = fields.ForeignKeyField(
        "onramp.SandboxPaymentMethod", on_delete=fields.CASCADE
    )
    payment_method_id: str
    amount = fields.CharField(max_length=32)
    currency = fields.CharField(max_length=3)
    # captured, failed
    status = fields.CharField(max_length=16)
    failure_code = fields.CharField(max_length=32, null=True)
    off_session = fields.BooleanField(default=False)
    # none, pending, succeeded
    refund_status = fields.CharField(max_length=16, default="none")
    refund_attempts = fields.IntField(default=0)
    refund_next_attempt_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "sandbox_charges"
        indexes = (("refund_status", "refund_next_attempt_at"),)


class SandboxWebhook(Model):
    """An event to deliver to the merchant, at least once, with backoff."""

    id = fields.CharField(max_length=64, primary_key=True)
    type = fields.CharField(max_length=64)
    payload: fields.Field[dict[str, Any]] = fields.JSONField()
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    lease_until = fields.DatetimeField(null=True)
    delivered_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "sandbox_webhooks"
        indexes = (("delivered_at", "next_attempt_at"),)
