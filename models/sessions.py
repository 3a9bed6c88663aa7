"""Sign-in sessions: the token itself is never stored, only its HMAC."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.accounts import Account


class Session(Model):
    id = fields.UUIDField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "onramp.Account", related_name="sessions", on_delete=fields.CASCADE
    )
    account_id: UUID
    token_mac = fields.CharField(max_length=64, unique=True)
    client_ip = fields.CharField(max_length=64)
    user_agent = fields.CharField(max_length=512)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "sessions"
        indexes = (("account_id", "revoked_at"),)
