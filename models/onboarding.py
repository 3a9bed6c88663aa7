"""What onboarding records beside the account: agreement acceptances, details, messages."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from models.accounts import Account


class AgreementAcceptance(Model):
    """One accepted version of one agreement, with the evidence of who accepted it."""

    id = fields.UUIDField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "onramp.Account", related_name="agreement_acceptances", on_delete=fields.CASCADE
    )
    account_id: UUID
    agreement_id = fields.UUIDField()
    agreement_key = fields.CharField(max_length=64)
    version = fields.CharField(max_length=32)
    accepted_at = fields.DatetimeField()
    client_ip = fields.CharField(max_length=64)
    user_agent = fields.CharField(max_length=512)

    class Meta:
        table = "agreement_acceptances"
        unique_together = (("account", "agreement_id"),)


class DetailsType(StrEnum):
    INDIVIDUAL = "INDIVIDUAL"
    ENTERPRISE = "ENTERPRISE"


class AccountDetails(Model):
    """Individual or enterprise details, with an address in the account's own region."""

    id = fields.UUIDField(primary_key=True)
    account: fields.OneToOneRelation[Account] = fields.OneToOneField(
        "onramp.Account", related_name="details", on_delete=fields.CASCADE
    )
    account_id: UUID
    type = fields.CharEnumField(DetailsType, max_length=16)
    full_name = fields.CharField(max_length=100, null=True)
    company_name = fields.CharField(max_length=200, null=True)
    registration_number = fields.CharField(max_length=64, null=True)
    tax_id = fields.CharField(max_length=64, null=True)
    contact_name = fields.CharField(max_length=100, null=True)
    address_line1 = fields.CharField(max_length=200, null=True)
    address_line2 = fields.CharField(max_length=200, null=True)
    address_city = fields.CharField(max_length=100, null=True)
    address_state = fields.CharField(max_length=100, null=True)
    address_postal_code = fields.CharField(max_length=20, null=True)
    completed_at = fields.DatetimeField()
    updated_at = fields.DatetimeField()

    class Meta:
        table = "account_details"


class AccountMessage(Model):
    """A message on the account's own page, withdrawn once it no longer applies."""

    id = fields.UUIDField(primary_key=True)
    account: fields.ForeignKeyRelation[Account] = fields.ForeignKeyField(
        "onramp.Account", related_name="messages", on_delete=fields.CASCADE
    )
    account_id: UUID
    kind = fields.CharField(max_length=64)
    title = fields.CharField(max_length=200)
    body = fields.TextField()
    link = fields.CharField(max_length=500, null=True)
    created_at = fields.DatetimeField()
    read_at = fields.DatetimeField(null=True)
    withdrawn_at = fields.DatetimeField(null=True)

    class Meta:
        table = "account_messages"
        indexes = (("account_id", "created_at"),)
