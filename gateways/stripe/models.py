"""The Stripe gateway's own tables: its Customers, and the creates it has sent."""

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


class StripeRequest(Model):
    """A create sent to Stripe under an idempotency key: when first, and what it made.

    Stripe keeps a key at least 24 hours; a retry after that would create again. So every
    create is recorded before it is sent, and the object's id once it is known: a later
    retry retrieves that object, or, for a key Stripe may have forgotten and no id known
    (the answer was lost), searches for the object by the key in its metadata first.
    """

    idempotency_key = fields.CharField(max_length=255, primary_key=True)
    object_id = fields.CharField(max_length=255, null=True)
    first_sent_at = fields.DatetimeField()

    class Meta:
        table = "stripe_requests"
