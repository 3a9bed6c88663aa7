"""Card binding: attempts (the Historical Cards rows), bound cards, tickets and webhook dedup."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

from tortoise import fields
from tortoise.models import Model

from models.idempotency import IdempotencyKeyRow

if TYPE_CHECKING:
    from models.accounts import Account
    from models.staff import StaffMember


class BindingStatus(StrEnum):
    PROCESSING = "PROCESSING"
    REQUIRES_ACTION = "REQUIRES_ACTION"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class DepositStatus(StrEnum):
    NOT_CHARGED = "NOT_CHARGED"
    CHARGED = "CHARGED"
    REFUND_PENDING = "REFUND_PENDING"
    REFUNDED = "REFUNDED"
    # The gateway gave the refund up for good: final here; support refunds by hand.
    REFUND_FAILED = "REFUND_FAILED"


class FailureReason(StrEnum):
    DECLINED = "DECLINED"
    INSUFFICIENT_FUNDS = "INSUFFICIENT_FUNDS"
    EXPIRED_CARD = "EXPIRED_CARD"
    INCORRECT_CVC = "INCORRECT_CVC"
    LOST_OR_STOLEN = "LOST_OR_STOLEN"
    PROCESSING_ERROR = "PROCESSING_ERROR"
    AUTHENTICATION_FAILED = "AUTHENTICATION_FAILED"
    AUTHENTICATION_TIMEOUT = "AUTHENTICATION_TIMEOUT"
    CARD_NOT_SUPPORTED = "CARD_NOT_SUPPORTED"
    # The bank wants the person on its page: a charge made without them cannot pass.
    AUTHENTICATION_REQUIRED = "AUTHENTICATION_REQUIRED"


class PaymentCard(Model):
    id = fields.UUIDField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "onramp.Account", related_name="payment_cards", on_delete=fields.CASCADE
    )
    account_id: UUID
    gateway_payment_method = fields.CharField(max_length=64)
    brand = fields.CharField(max_length=16)
    first6 = fields.CharField(max_length=6, db_default="")
    last4 = fields.CharField(max_length=4)
    expiry_month = fields.IntField()
    expiry_year = fields.IntField()
    holder_name = fields.CharField(max_length=100)
    fingerprint = fields.CharField(max_length=64)
    is_default = fields.BooleanField(default=False)
    bound_at = fields.DatetimeField()
    # Removed by the person: no longer listed nor charged; its attempts stay in history.
    removed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "payment_cards"
        # Staff find an account by a card's last four digits and expiry.
        indexes = (("account_id", "is_default"), ("last4", "expiry_year"))


class CardBindingAttempt(Model):
    id = fields.UUIDField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "onramp.Account", related_name="card_binding_attempts", on_delete=fields.CASCADE
    )
    account_id: UUID
    status = fields.CharEnumField(BindingStatus, max_length=16, default=BindingStatus.PROCESSING)
    deposit_status = fields.CharEnumField(
        DepositStatus, max_length=16, default=DepositStatus.NOT_CHARGED
    )
    failure_reason = fields.CharEnumField(FailureReason, max_length=32, null=True)
    # What the gateway told us of the card: never its number or security code.
    gateway_payment_method = fields.CharField(max_length=64)
    brand = fields.CharField(max_length=16)
    first6 = fields.CharField(max_length=6)
    last4 = fields.CharField(max_length=4)
    expiry_month = fields.IntField()
    expiry_year = fields.IntField()
    holder_name = fields.CharField(max_length=100)
    fingerprint = fields.CharField(max_length=64)
    # Money as text: SQLite keeps decimals as text anyway, and nothing sums these in SQL.
    deposit_amount = fields.CharField(max_length=32)
    deposit_currency = fields.CharField(max_length=3)
    gateway_intent = fields.CharField(max_length=64, null=True)
    gateway_charge = fields.CharField(max_length=64, null=True)
    redirect_url = fields.CharField(max_length=500, null=True)
    action_expires_at = fields.DatetimeField(null=True)
    return_url = fields.CharField(max_length=500, null=True)
    service_terms_id = fields.UUIDField()
    terms_accepted_at = fields.DatetimeField()
    client_ip = fields.CharField(max_length=64)
    user_agent = fields.CharField(max_length=512)
    card: fields.ForeignKeyNullableRelation[PaymentCard] = fields.ForeignKeyField(
        "onramp.PaymentCard", related_name="attempts", null=True, on_delete=fields.SET_NULL
    )
    card_id: UUID | None
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()
    completed_at = fields.DatetimeField(null=True)
    # How often the sweep asked the gateway about it while PROCESSING: bounded, then FAILED.
    reconcile_tries = fields.IntField(default=0, db_default=0)
    # When staff last asked the gateway again for a refund stuck in REFUND_PENDING: one such
    # request at a time, claimed by a conditional UPDATE.
    refund_retried_at = fields.DatetimeField(null=True)

    class Meta:
        table = "card_binding_attempts"
        # Webhooks find an attempt by the gateway's references; the sweep by deposit status.
        indexes = (
            ("account_id", "created_at"),
            ("status", "updated_at"),
            ("gateway_intent",),
            ("gateway_charge",),
            ("deposit_status",),
            ("last4", "expiry_year"),
        )


class BindingIdempotencyKey(IdempotencyKeyRow):
    """A bindCard idempotency key of one account, for 24 hours.

    Claimed before anything else of the request; `attempt` is null while the request that
    claimed it is still in flight, so a concurrent retry with the key waits for its answer.
    """

    attempt: fields.ForeignKeyNullableRelation[CardBindingAttempt] = fields.ForeignKeyField(
        "onramp.CardBindingAttempt", on_delete=fields.CASCADE, null=True
    )
    attempt_id: UUID | None

    class Meta:
        table = "binding_idempotency_keys"
        unique_together = (("account", "key"),)


class ProcessedWebhookEvent(Model):
    """Payment webhook events already handled: a redelivery changes nothing."""

    event_id = fields.CharField(max_length=64, primary_key=True)
    received_at = fields.DatetimeField()

    class Meta:
        table = "processed_webhook_events"


class TicketStatus(StrEnum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"


class ServiceTicket(Model):
    id = fields.UUIDField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "onramp.Account", related_name="service_tickets", on_delete=fields.CASCADE
    )
    account_id: UUID
    number = fields.CharField(max_length=16, unique=True)
    subject = fields.CharField(max_length=120)
    description = fields.TextField()
    status = fields.CharEnumField(TicketStatus, max_length=16, default=TicketStatus.OPEN)
    attempt: fields.ForeignKeyNullableRelation[CardBindingAttempt] = fields.ForeignKeyField(
        "onramp.CardBindingAttempt", related_name="tickets", null=True, on_delete=fields.SET_NULL
    )
    attempt_id: UUID | None
    created_at = fields.DatetimeField()
    # Moved at every reply and status change; null only on tickets older than replies (read
    # as created_at). A RESOLVED ticket not updated for a week closes itself.
    updated_at = fields.DatetimeField(null=True)
    assignee: fields.ForeignKeyNullableRelation[StaffMember] = fields.ForeignKeyField(
        "onramp.StaffMember", related_name="tickets", null=True, on_delete=fields.SET_NULL
    )
    assignee_id: UUID | None

    class Meta:
        table = "service_tickets"
        indexes = (("account_id", "created_at"), ("status", "created_at"))


class ServiceTicketReply(Model):
    """One message of a ticket's conversation after its description."""

    id = fields.UUIDField(primary_key=True)
    ticket: fields.ForeignKeyRelation[ServiceTicket] = fields.ForeignKeyField(
        "onramp.ServiceTicket", related_name="replies", on_delete=fields.CASCADE
    )
    ticket_id: UUID
    # The staff member who wrote it; null when the customer did.
    staff: fields.ForeignKeyNullableRelation[StaffMember] = fields.ForeignKeyField(
        "onramp.StaffMember", related_name="replies", null=True, on_delete=fields.SET_NULL
    )
    staff_id: UUID | None
    from_support = fields.BooleanField()
    body = fields.TextField()
    created_at = fields.DatetimeField()

    class Meta:
        table = "service_ticket_replies"
        indexes = (("ticket_id", "created_at"),)
