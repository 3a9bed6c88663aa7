"""What support sees of a customer: finding an account, and opening it (which is recorded).

Search is by exact keys (an email address, a ticket or bill number, a card's last four
digits with its expiry), never by fragments: staff find the account a customer names, not
browse. Card details never go past brand, first six, last four, expiry and holder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from models.accounts import Account
from models.billing import Bill
from models.cards import CardBindingAttempt, PaymentCard, ServiceTicket
from models.onboarding import AccountMessage
from models.outbox import OutboxMessage
from services.emails import parse_email
from services.problems import Refused
from services.staff.audit import Actor, Audit

# More than this many matches means the key was too loose to be useful.
MAX_MATCHES = 50
# The account view lists at most this many of each kind of row, newest first.
VIEW_LIMIT = 100


@dataclass(frozen=True)
class CardKey:
    last4: str
    expiry_month: int
    expiry_year: int


@dataclass(frozen=True)
class SearchKey:
    """Exactly one of these is set."""

    email: str | None = None
    ticket_number: str | None = None
    bill_number: str | None = None
    card: CardKey | None = None

    def described(self) -> dict[str, object]:
        if self.card is not None:
            return {
                "card": f"{self.card.last4} {self.card.expiry_month:02d}/{self.card.expiry_year}"
            }
        return {
            name: value
            for name, value in (
                ("email", self.email),
                ("ticketNumber", self.ticket_number),
                ("billNumber", self.bill_number),
            )
            if value is not None
        }


class StaffAccounts:
    def __init__(self, audit: Audit) -> None:
        self.audit = audit

    async def search(self, key: SearchKey, actor: Actor) -> list[Account]:
        """The accounts the key names; the search itself is recorded."""
        ids = await self._matching(key)
        await self.audit.record(actor, "accounts.search", after=key.described())
        return await Account.filter(id__in=ids).order_by("email", "kind").limit(MAX_MATCHES)

    async def _matching(self, key: SearchKey) -> list[Any]:
        if key.email is not None:
            try:
                email = parse_email(key.email)
            except Refused:
                return []
            return list(await Account.filter(email=email.key).values_list("id", flat=True))
        if key.ticket_number is not None:
            number = key.ticket_number.strip().upper()
            return list(
                await ServiceTicket.filter(number=number).values_list("account_id", flat=True)
            )
        if key.bill_number is not None:
            number = key.bill_number.strip().upper()
            return list(await Bill.filter(number=number).values_list("account_id", flat=True))
        if key.card is not None:
            card = key.card
            wanted = {
                "last4": card.last4.strip(),
                "expiry_month": card.expiry_month,
                "expiry_year": card.expiry_year,
            }
            # Bound cards and attempts alike: a card that failed to bind is what support is
            # most often asked about.
            bound = await PaymentCard.filter(**wanted).values_list("account_id", flat=True)
            tried = await CardBindingAttempt.filter(**wanted).values_list("account_id", flat=True)
            return list({*bound, *tried})  # an account with both is listed once
        return []

    async def open(self, account_id: UUID | None, actor: Actor) -> Account | None:
        """The account, for its view; opening it is recorded."""
        account = await Account.get_or_none(id=account_id) if account_id else None
        if account is not None:
            await self.audit.record(
                actor, "account.open", account_id=account.id, subject=account.email
            )
        return account

    # The view's lists, newest first

    async def attempts_of(self, account_id: UUID) -> list[CardBindingAttempt]:
        return (
            await CardBindingAttempt.filter(account_id=account_id)
            .order_by("-created_at")
            .limit(VIEW_LIMIT)
        )

    async def cards_of(self, account_id: UUID) -> list[PaymentCard]:
        """Removed cards too: support may be asked about one."""
        return (
            await PaymentCard.filter(account_id=account_id).order_by("-bound_at").limit(VIEW_LIMIT)
        )

    async def bills_of(self, account_id: UUID) -> list[Bill]:
        return await Bill.filter(account_id=account_id).order_by("-issued_at").limit(VIEW_LIMIT)

    async def messages_of(self, account_id: UUID) -> list[AccountMessage]:
        return (
            await AccountMessage.filter(account_id=account_id)
            .order_by("-created_at")
            .limit(VIEW_LIMIT)
        )

    async def emails_to(self, account: Account) -> list[OutboxMessage]:
        """The emails sent to the account's address (their bodies are never shown: some carry
        codes)."""
        return (
            await OutboxMessage.filter(recipient=account.email_display)
            .order_by("-created_at")
            .limit(VIEW_LIMIT)
        )
