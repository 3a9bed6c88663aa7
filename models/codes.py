"""Verification codes: one row per code sent, holding only its HMAC."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class CodePurpose(StrEnum):
    REGISTRATION = "REGISTRATION"
    PASSWORD_RESET = "PASSWORD_RESET"  # noqa: S105 (a purpose, not a password)
    SECURITY_PHONE = "SECURITY_PHONE"
    MOBILE_NUMBER = "MOBILE_NUMBER"


class VerificationCode(Model):
    id = fields.UUIDField(primary_key=True)
    purpose = fields.CharEnumField(CodePurpose, max_length=24)
    # Normalised email or E.164 number the code was sent to.
    destination = fields.CharField(max_length=320)
    # What else the code is bound to: the account kind, or the account it was sent for.
    scope = fields.CharField(max_length=64)
    code_mac = fields.CharField(max_length=64)
    attempts = fields.IntField(default=0)
    max_attempts = fields.IntField()
    expires_at = fields.DatetimeField()
    consumed_at = fields.DatetimeField(null=True)
    # Set when a newer code for the same purpose and destination replaced this one.
    superseded_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "verification_codes"
        indexes = (("purpose", "destination", "scope"),)
