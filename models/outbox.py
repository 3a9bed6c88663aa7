"""The outbox: every email and SMS is a row first, then a delivery."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Channel(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"


class DeliveryStatus(StrEnum):
    # Waiting for (another) delivery attempt.
    PENDING = "PENDING"
    SENT = "SENT"
    # No transport is configured: the message lives in the outbox only.
    HELD = "HELD"


class OutboxMessage(Model):
    id = fields.UUIDField(primary_key=True)
    channel = fields.CharEnumField(Channel, max_length=8)
    # Template name, e.g. registration-code: what logs say instead of the body.
    kind = fields.CharField(max_length=64)
    recipient = fields.CharField(max_length=320)
    subject = fields.CharField(max_length=200, default="")
    body = fields.TextField()
    # The language it is written in (a BCP 47 tag): an email says so in Content-Language.
    # Rows written before it was kept have none.
    locale = fields.CharField(max_length=16, null=True)
    status = fields.CharEnumField(DeliveryStatus, max_length=8, default=DeliveryStatus.PENDING)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    # A process claims a delivery until then; another may take it over afterwards.
    lease_until = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=200, null=True)
    redacted = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "outbox_messages"
        # Staff see the messages sent to an account's address.
        indexes = (("status", "next_attempt_at"), ("recipient", "created_at"))
