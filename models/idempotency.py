"""What every idempotency-key table holds (bindCard's, payBill's): one key of one account."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.accounts import Account


class IdempotencyKeyRow(Model):
    """Claimed before anything else of the request; the table's own column names what the
    key answered (its attempt, its payment), null while that request is in flight."""

    id = fields.UUIDField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "onramp.Account", on_delete=fields.CASCADE
    )
    account_id: UUID
    key = fields.CharField(max_length=128)
    request_hash = fields.CharField(max_length=64)
    created_at = fields.DatetimeField()
    # While the request that holds the key has not answered: a retry with the key waits.
    answering = fields.BooleanField(default=False, db_default=False)

    class Meta:
        abstract = True
