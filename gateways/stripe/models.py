"""The Stripe gateway's own table: which Stripe Customer stands for which Onramp account."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class StripeCustomer(Model):
    # The Onramp account's id (a UUID as text): the gateway's tables do not join onramp's.
    account_id = fields.CharField(max_length=36, primary_key=True)
    customer_id = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "stripe_customers"
