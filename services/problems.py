"""Expected failures: what went wrong, where, and what to tell the person.

A service refuses by raising `Refused` with one or more problems and otherwise returns
plain values; the GraphQL layer turns a refusal into the payload's `errors` in one place.
Whatever must outlive a refusal (a code's try counter, a failed sign-in, a rate-limit hit)
is written in its own step before the check that may refuse, never inside a transaction
that the refusal rolls back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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
    CARD_ALREADY_BOUND = "CARD_ALREADY_BOUND"
    CARD_IS_DEFAULT = "CARD_IS_DEFAULT"
    NO_PAYMENT_CARD = "NO_PAYMENT_CARD"
    BILL_ALREADY_PAID = "BILL_ALREADY_PAID"
    PAYMENT_IN_PROGRESS = "PAYMENT_IN_PROGRESS"
    TICKET_CLOSED = "TICKET_CLOSED"
    # Staff API: the ticket, deposit or member is not in a status that allows the action.
    WRONG_STATUS = "WRONG_STATUS"


@dataclass(frozen=True)
class Problem:
    code: ProblemCode
    message: str
    field: str | None = None
    retry_after: datetime | None = None


class Refused(Exception):
    """Raised by a service to abandon an operation with the problems it found."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__(", ".join(p.code for p in problems))
        self.problems = list(problems)

    @classmethod
    def because(
        cls,
        code: ProblemCode,
        message: str,
        field: str | None = None,
        *,
        retry_after: datetime | None = None,
    ) -> Refused:
        return cls(Problem(code, message, field, retry_after))


class Problems:
    """Gathers every problem of one input, so that a form can show them all at once."""

    def __init__(self) -> None:
        self.found: list[Problem] = []

    def add(self, code: ProblemCode, message: str, field: str | None = None) -> None:
        self.found.append(Problem(code, message, field))

    @contextmanager
    def collecting(self) -> Iterator[None]:
        """Keeps the problems of a refusal raised inside the block and goes on after it."""
        try:
            yield
        except Refused as refused:
            self.found.extend(refused.problems)

    def refuse_if_any(self) -> None:
        if self.found:
            raise Refused(*self.found)
