"""Email addresses: syntax checked without DNS, and the normalised forms they are compared by."""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from services.i18n.text import tr
from services.problems import ProblemCode, Refused

# Providers known to deliver a.n.a@ to ana@, and the one domain each goes by.
DOTS_IGNORED = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


@dataclass(frozen=True)
class EmailAddress:
    display: str  # as typed (normalised): where messages go
    key: str  # case-folded: two spellings of one mailbox are one account

    @property
    def canonical(self) -> str:
        """The mailbox as far as caps count it: lower-cased, `+tag` dropped, and no dots at a
        provider that ignores them. Only for rate-limit keys: accounts are keyed by `key`."""
        local, _, domain = self.key.rpartition("@")
        local = local.split("+", 1)[0] or local
        if domain in DOTS_IGNORED:
            local, domain = local.replace(".", "") or local, DOTS_IGNORED[domain]
        return f"{local}@{domain}"


def parse_email(raw: str, field: str = "email") -> EmailAddress:
    try:
        valid = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise Refused.because(
            ProblemCode.INVALID_EMAIL, tr("Enter an email address like name@example.com."), field
        ) from None
    return EmailAddress(display=valid.normalized, key=valid.normalized.casefold())
