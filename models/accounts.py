"""The account aggregate: one identity of one kind, registered in one region for good."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class AccountKind(StrEnum):
    HUAWEI_ID = "HUAWEI_ID"
    HUAWEI_CLOUD = "HUAWEI_CLOUD"


class Account(Model):
    id = fields.UUIDField(primary_key=True)
    kind = fields.CharEnumField(AccountKind, max_length=16)
    # Normalised (case-folded) address: the key an email is compared by.
    email = fields.CharField(max_length=320)
    # Exactly as typed at registration, for display and delivery.
    email_display = fields.CharField(max_length=320)
    region_code = fields.CharField(max_length=2)
    # BCP 47 tag of one of the supported languages: what every email, SMS, message and
    # Result of this account is written in. Accounts from before languages read English.
    locale = fields.CharField(max_length=16, default="en", db_default="en")
    password_hash = fields.CharField(max_length=255)
    created_at = fields.DatetimeField(auto_now_add=True)
    password_changed_at = fields.DatetimeField(null=True)
    # Step 3: a phone to reset a forgotten password with, or the choice to go without one.
    security_phone_e164 = fields.CharField(max_length=16, null=True)
    security_phone_region = fields.CharField(max_length=2, null=True)
    security_phone_verified_at = fields.DatetimeField(null=True)
    security_phone_skipped_at = fields.DatetimeField(null=True)
    # Step 4.
    cloud_enabled_at = fields.DatetimeField(null=True)
    # Step 5.1: for news, promotions and identity checks; never a login name.
    mobile_e164 = fields.CharField(max_length=16, null=True)
    mobile_region = fields.CharField(max_length=2, null=True)
    mobile_verified_at = fields.DatetimeField(null=True)
    # Step 5.3: the one card-binding attempt in flight, claimed by a conditional UPDATE so
    # that two concurrent bindCard calls cannot both start one.
    binding_attempt_id = fields.UUIDField(null=True)
    # Post-paid billing: set when arrears are suspected; bills are then issued at once.
    arrears_risk = fields.BooleanField(default=False, db_default=False)
    arrears_reason = fields.CharField(max_length=200, null=True)
    # Set by failed charges (lifted once every bill is paid), not by an operator (who lifts it).
    arrears_from_charges = fields.BooleanField(default=False, db_default=False)

    class Meta:
        table = "accounts"
        unique_together = (("email", "kind"),)
