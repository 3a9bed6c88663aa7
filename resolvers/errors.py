"""The UserError payload entry and its codes: expected failures are data, never exceptions."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from graphql import GraphQLError


@strawberry.enum
class ErrorCode(Enum):
    INVALID_INPUT = "INVALID_INPUT"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_PHONE = "INVALID_PHONE"
    UNKNOWN_REGION = "UNKNOWN_REGION"
    PASSWORD_POLICY = "PASSWORD_POLICY"  # noqa: S105 (an error code, not a password)
    CODE_INVALID = "CODE_INVALID"
    CODE_EXPIRED = "CODE_EXPIRED"
    CODE_ATTEMPTS_EXCEEDED = "CODE_ATTEMPTS_EXCEEDED"
    RATE_LIMITED = "RATE_LIMITED"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    PREREQUISITE_MISSING = "PREREQUISITE_MISSING"
    ALREADY_COMPLETED = "ALREADY_COMPLETED"
    CLOUD_NOT_AVAILABLE_FOR_ACCOUNT_KIND = "CLOUD_NOT_AVAILABLE_FOR_ACCOUNT_KIND"
    AGREEMENTS_NOT_ACCEPTED = "AGREEMENTS_NOT_ACCEPTED"
    TERMS_NOT_ACCEPTED = "TERMS_NOT_ACCEPTED"
    PAYMENT_METHOD_INVALID = "PAYMENT_METHOD_INVALID"
    CARD_EXPIRED = "CARD_EXPIRED"
    CARD_BRAND_NOT_SUPPORTED = "CARD_BRAND_NOT_SUPPORTED"
    BINDING_IN_PROGRESS = "BINDING_IN_PROGRESS"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    RETURN_URL_NOT_ALLOWED = "RETURN_URL_NOT_ALLOWED"
    ACCOUNT_TYPE_LOCKED = "ACCOUNT_TYPE_LOCKED"
    NOT_FOUND = "NOT_FOUND"


@strawberry.type
class UserError:
    field: str | None = strawberry.field(
        description=(
            "Dotted path of the input field at fault (camelCase), or null for the whole input."
        )
    )
    code: ErrorCode
    message: str = strawberry.field(
        description="A sentence fit to show to the person filling in the form."
    )
    retry_after: datetime | None = strawberry.field(
        default=None,
        description="With RATE_LIMITED: the earliest moment the same call may succeed.",
    )


UNAUTHENTICATED = "UNAUTHENTICATED"


def unauthenticated() -> GraphQLError:
    """The top-level error of a field that needs a session, asked without one."""
    return GraphQLError("Sign in to see this.", extensions={"code": UNAUTHENTICATED})
