"""Sign-in sessions: the token itself is never stored, only its HMAC."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.accounts import Account


class SessionRow(Model):
    """What every sessions table holds (customers', staff's); each adds its owner."""

    id = fields.UUIDField(primary_key=True)
    token_mac = fields.CharField(max_length=64, unique=True)
    client_ip = fields.CharField(max_length=64)
    user_agent = fields.CharField(max_length=512)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        abstract = True


class Session(SessionRow):
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "onramp.Account", related_name="sessions", on_delete=fields.CASCADE
    )
    account_id: UUID

    class Meta:
        table = "sessions"
        indexes = (("account_id", "revoked_at"),)
