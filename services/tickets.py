"""Service tickets: a person's request to support, optionally about one card-binding attempt."""

from __future__ import annotations

import secrets
from uuid import UUID

from tortoise.exceptions import IntegrityError

from models.accounts import Account
from models.cards import CardBindingAttempt, ServiceTicket
from services import messages
from services.clock import Clock
from services.outbox import Outbox
from services.problems import ProblemCode, Problems

SUBJECT_MAX = 120
DESCRIPTION_MAX = 5000


class Tickets:
    def __init__(self, clock: Clock, outbox: Outbox) -> None:
        self.clock = clock
        self.outbox = outbox

    async def submit(
        self,
        account: Account,
        *,
        subject: str,
        description: str,
        attempt_id: UUID | None,
        attempt_given: bool,
    ) -> ServiceTicket:
        problems = Problems()
        subject, description = subject.strip(), description.strip()
        if not 1 <= len(subject) <= SUBJECT_MAX:
            problems.add(
                ProblemCode.INVALID_INPUT, f"Use 1 to {SUBJECT_MAX} characters.", "subject"
            )
        if not 1 <= len(description) <= DESCRIPTION_MAX:
            problems.add(
                ProblemCode.INVALID_INPUT, f"Use 1 to {DESCRIPTION_MAX} characters.", "description"
            )
        attempt = None
        if attempt_given:
            attempt = (
                await CardBindingAttempt.get_or_none(id=attempt_id, account_id=account.id)
                if attempt_id
                else None
            )
            if attempt is None:
                problems.add(
                    ProblemCode.NOT_FOUND,
                    "There is no such card-binding attempt.",
                    "cardBindingAttemptId",
                )
        problems.refuse_if_any()
        now = self.clock.now()
        for _ in range(10):
            # Random rather than counted, so a number tells nothing of how many there are.
            number = f"ST-{now.year}-{secrets.randbelow(1_000_000):06d}"
            try:
                ticket = await ServiceTicket.create(
                    account_id=account.id,
                    number=number,
                    subject=subject,
                    description=description,
                    attempt=attempt,
                    created_at=now,
                )
                break
            except IntegrityError:
                continue
        else:
            raise RuntimeError("no free ticket number after 10 tries")
        await self.outbox.send_email(
            account.email_display, messages.ticket_received(ticket.number, subject)
        )
        return ticket

    async def of_account(self, account_id: UUID) -> list[ServiceTicket]:
        return await ServiceTicket.filter(account_id=account_id).order_by("-created_at")
