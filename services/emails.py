"""Email addresses: syntax checked without DNS, and the normalised form they are compared by."""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from services.problems import ProblemCode, Refused


@dataclass(frozen=True)
class EmailAddress:
    display: str
    key: str  # case-folded: two spellings of one mailbox are one account


def parse_email(raw: str, field: str = "email") -> EmailAddress:
    try:
        valid = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise Refused.because(
            ProblemCode.INVALID_EMAIL, "Enter an email address like name@example.com.", field
        ) from None
    return EmailAddress(display=valid.normalized, key=valid.normalized.casefold())
