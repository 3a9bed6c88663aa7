"""Service tickets: a person's request to support, optionally about one card-binding attempt,
and the conversation that follows.

A ticket moves OPEN → IN_PROGRESS → RESOLVED → CLOSED. Support moves it forward; the person's
reply makes a RESOLVED ticket OPEN again; a RESOLVED ticket with no reply or change for a
week closes itself (the `tickets` job); CLOSED is final. Each move is one conditional UPDATE.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from uuid import UUID

from tortoise.exceptions import IntegrityError
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from models.accounts import Account
from models.cards import CardBindingAttempt, ServiceTicket, ServiceTicketReply, TicketStatus
from services import messages
from services.clock import Clock
from services.jobs import Job
from services.outbox import Outbox
from services.pagination import OldestFirst
from services.problems import ProblemCode, Problems, Refused
from services.public_ids import public_id
from services.staff.audit import Actor, Audit

log = logging.getLogger("onramp.tickets")

SUBJECT_MAX = 120
DESCRIPTION_MAX = 5000
ORDER = [TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, TicketStatus.CLOSED]
LIVE = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED)
RESOLVED_CLOSES_AFTER = timedelta(days=7)
CLOSE_INTERVAL_S = 3600.0


class Tickets:
    def __init__(self, clock: Clock, outbox: Outbox, audit: Audit, frontend_url: str) -> None:
        self.clock = clock
        self.outbox = outbox
        self.audit = audit
        self.frontend_url = frontend_url

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
                    updated_at=now,
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

    def replies_of(self, ticket_ids: list[UUID]) -> QuerySet[ServiceTicketReply]:
        """The conversations of these tickets, oldest first."""
        return ServiceTicketReply.filter(ticket_id__in=ticket_ids).order_by("created_at", "id")

    # The conversation

    async def reply_as_customer(
        self, account: Account, ticket_id: UUID | None, body: str
    ) -> ServiceTicket:
        """The person's reply: a RESOLVED ticket is OPEN again; a CLOSED one takes none."""
        text = _reply_body(body)
        ticket = (
            await ServiceTicket.get_or_none(id=ticket_id, account_id=account.id)
            if ticket_id
            else None
        )
        if ticket is None:
            raise Refused.because(ProblemCode.NOT_FOUND, "There is no such ticket.", "ticketId")
        now = self.clock.now()
        async with in_transaction():
            # Each move is one conditional UPDATE, so a reply racing the week's closing
            # either lands before it (and reopens) or finds the ticket CLOSED.
            moved = await ServiceTicket.filter(id=ticket.id, status=TicketStatus.RESOLVED).update(
                status=TicketStatus.OPEN, updated_at=now
            ) or await ServiceTicket.filter(id=ticket.id, status__in=LIVE).update(updated_at=now)
            if not moved:
                raise _closed()
            await ServiceTicketReply.create(
                ticket_id=ticket.id, from_support=False, body=text, created_at=now
            )
        return await ServiceTicket.get(id=ticket.id)

    async def reply_as_staff(
        self, actor: Actor, ticket_id: UUID | None, body: str
    ) -> ServiceTicket:
        """Support's answer: the person sees it in the ticket and is told by email."""
        text = _reply_body(body)
        ticket = await self._ticket(ticket_id)
        now = self.clock.now()
        async with in_transaction():
            # An OPEN ticket that support answers is being worked on.
            moved = await ServiceTicket.filter(id=ticket.id, status=TicketStatus.OPEN).update(
                status=TicketStatus.IN_PROGRESS, updated_at=now
            ) or await ServiceTicket.filter(id=ticket.id, status__in=LIVE).update(updated_at=now)
            if not moved:
                raise _closed()
            reply = await ServiceTicketReply.create(
                ticket_id=ticket.id,
                staff_id=actor.staff_id,
                from_support=True,
                body=text,
                created_at=now,
            )
            after = await ServiceTicket.get(id=ticket.id)
            await self.audit.record(
                actor,
                "ticket.reply",
                account_id=ticket.account_id,
                subject=ticket.number,
                before={"status": ticket.status.value},
                after={"status": after.status.value, "reply": str(reply.id), "body": text},
            )
        account = await Account.get(id=ticket.account_id)
        await self.outbox.send_email(
            account.email_display,
            messages.ticket_answered(
                ticket.number,
                ticket.subject,
                f"{self.frontend_url}/tickets/{public_id('ServiceTicket', ticket.id)}",
            ),
        )
        return after

    async def assign_to_self(self, actor: Actor, ticket_id: UUID | None) -> ServiceTicket:
        ticket = await self._ticket(ticket_id)
        now = self.clock.now()
        async with in_transaction():
            moved = await ServiceTicket.filter(id=ticket.id, status=TicketStatus.OPEN).update(
                status=TicketStatus.IN_PROGRESS, assignee_id=actor.staff_id, updated_at=now
            ) or await ServiceTicket.filter(id=ticket.id, status__in=LIVE).update(
                assignee_id=actor.staff_id, updated_at=now
            )
            if not moved:
                raise _closed()
            after = await ServiceTicket.get(id=ticket.id)
            await self.audit.record(
                actor,
                "ticket.assign",
                account_id=ticket.account_id,
                subject=ticket.number,
                before=_assignment(ticket),
                after=_assignment(after),
            )
        return after

    async def move(
        self, actor: Actor, ticket_id: UUID | None, status: TicketStatus
    ) -> ServiceTicket:
        """Staff move a ticket forward along OPEN → IN_PROGRESS → RESOLVED → CLOSED."""
        ticket = await self._ticket(ticket_id)
        if ticket.status is TicketStatus.CLOSED:
            raise _closed()
        if ORDER.index(status) <= ORDER.index(ticket.status):
            raise Refused.because(
                ProblemCode.WRONG_STATUS,
                f"A {ticket.status.value} ticket moves only forward, towards CLOSED.",
                "status",
            )
        async with in_transaction():
            moved = await ServiceTicket.filter(id=ticket.id, status=ticket.status).update(
                status=status, updated_at=self.clock.now()
            )
            if not moved:  # it moved meanwhile: look again
                raise Refused.because(
                    ProblemCode.WRONG_STATUS,
                    "The ticket changed meanwhile. Look at it again.",
                    "ticketId",
                )
            await self.audit.record(
                actor,
                "ticket.status",
                account_id=ticket.account_id,
                subject=ticket.number,
                before={"status": ticket.status.value},
                after={"status": status.value},
            )
        return await ServiceTicket.get(id=ticket.id)

    async def close_stale(self) -> None:
        """The job's step: RESOLVED tickets without a reply or change for a week close."""
        cutoff = self.clock.now() - RESOLVED_CLOSES_AFTER
        closed = await ServiceTicket.filter(
            status=TicketStatus.RESOLVED, updated_at__lte=cutoff
        ).update(status=TicketStatus.CLOSED, updated_at=self.clock.now())
        if closed:
            log.info("%d resolved ticket(s) closed after a week without a reply", closed)

    def jobs(self) -> list[Job]:
        return [Job("tickets", self.close_stale, CLOSE_INTERVAL_S)]

    # Reading (staff)

    def queue(self, statuses: list[TicketStatus] | None) -> OldestFirst[ServiceTicket]:
        """Tickets in these statuses (any, when none is given), oldest first."""
        query = ServiceTicket.all()
        if statuses:
            query = query.filter(status__in=statuses)
        return OldestFirst(query, "created_at")

    async def get(self, ticket_id: UUID | None) -> ServiceTicket | None:
        return await ServiceTicket.get_or_none(id=ticket_id) if ticket_id else None

    async def by_number(self, number: str) -> ServiceTicket | None:
        return await ServiceTicket.get_or_none(number=number.strip().upper())

    async def _ticket(self, ticket_id: UUID | None) -> ServiceTicket:
        ticket = await self.get(ticket_id)
        if ticket is None:
            raise Refused.because(ProblemCode.NOT_FOUND, "There is no such ticket.", "ticketId")
        return ticket


def _reply_body(body: str) -> str:
    text = body.strip()
    if not 1 <= len(text) <= DESCRIPTION_MAX:
        raise Refused.because(
            ProblemCode.INVALID_INPUT, f"Use 1 to {DESCRIPTION_MAX} characters.", "body"
        )
    return text


def _closed() -> Refused:
    return Refused.because(
        ProblemCode.TICKET_CLOSED,
        "This ticket is closed. Submit a new ticket if you still need help.",
        "ticketId",
    )


def _assignment(ticket: ServiceTicket) -> dict[str, str | None]:
    return {
        "status": ticket.status.value,
        "assignee": str(ticket.assignee_id) if ticket.assignee_id else None,
    }
