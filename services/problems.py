"""Expected failures as values: what went wrong, where, and what to tell the person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ProblemCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    INVALID_EMAIL = "INVALID_EMAIL"
    INVALID_PHONE = "INVALID_PHONE"
    UNKNOWN_REGION = "UNKNOWN_REGION"
    PASSWORD_POLICY = "PASSWORD_POLICY"  # noqa: S105 (a code, not a password)
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


@dataclass(frozen=True)
class Problem:
    code: ProblemCode
    message: str
    field: str | None = None
    retry_after: datetime | None = None


class Refused(Exception):
    """Raised inside a service to abandon an operation with the problems it found."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__(", ".join(p.code for p in problems))
        self.problems = list(problems)
