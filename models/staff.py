"""The provider's staff: members with a role, their sign-in sessions, and the audit trail.

Staff are never customer accounts: their own table, their own sessions (another table,
another HMAC key, another cookie), so a credential of one side means nothing on the other.
The audit trail keeps plain ids, not foreign keys: nothing that happens to a row later can
take its audit rows with it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from uuid import UUID

from tortoise import fields
from tortoise.models import Model

from models.sessions import SessionRow


class StaffRole(StrEnum):
    # Each role may do everything the roles before it may.
    SUPPORT = "SUPPORT"
    BILLING = "BILLING"
    ADMIN = "ADMIN"


class StaffMember(Model):
    id = fields.UUIDField(primary_key=True)
    # Normalised (case-folded) address, the key it is found by; and as typed, for display.
    email = fields.CharField(max_length=320, unique=True)
    email_display = fields.CharField(max_length=320)
    role = fields.CharEnumField(StaffRole, max_length=16)
    # Null until the member sets one with the one-time setup code.
    password_hash = fields.CharField(max_length=255, null=True)
    password_set_at = fields.DatetimeField(null=True)
    # The one-time password-setting code, as an HMAC; null once used.
    setup_code_mac = fields.CharField(max_length=64, null=True, unique=True)
    setup_code_expires_at = fields.DatetimeField(null=True)
    # The TOTP secret, sealed with a key derived for it (it must be read back to check codes).
    totp_secret_sealed = fields.CharField(max_length=255)
    # The newest time step a code was accepted for: no code works twice.
    totp_last_step = fields.BigIntField(null=True)
    created_at = fields.DatetimeField()
    disabled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "staff_members"


class StaffSession(SessionRow):
    """Like a customer's session, in a table of its own: the token only as an HMAC."""

    staff: fields.ForeignKeyRelation[StaffMember] = fields.ForeignKeyField(
        "onramp.StaffMember", related_name="sessions", on_delete=fields.CASCADE
    )
    staff_id: UUID

    class Meta:
        table = "staff_sessions"
        indexes = (("staff_id", "revoked_at"),)


class AuditEntry(Model):
    """One thing a staff member (or an operator at the command line) did, and to what."""

    id = fields.UUIDField(primary_key=True)
    # Null for the command line; `actor` then says so.
    staff_id = fields.UUIDField(null=True)
    actor = fields.CharField(max_length=320)
    action = fields.CharField(max_length=64)
    account_id = fields.UUIDField(null=True)
    # What was acted on, in words a person can look up: a ticket or bill number, an email.
    subject = fields.CharField(max_length=320, default="")
    client_ip = fields.CharField(max_length=64, null=True)
    before: Any = fields.JSONField(null=True)
    after: Any = fields.JSONField(null=True)
    reason = fields.CharField(max_length=200, null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "audit_entries"
        indexes = (("account_id", "created_at"), ("staff_id", "created_at"))
