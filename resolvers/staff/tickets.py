"""The ticket queue and conversation: SUPPORT and above."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.enums import ServiceTicketStatus
from resolvers.errors import UserError
from resolvers.nodes import decode_id
from resolvers.staff.permissions import (
    SupportRole,
    require_staff_session,
    staff_mutation,
    staff_query,
)
from resolvers.staff.types import TicketConnection, TicketView
from resolvers.text_inputs import MULTILINE


@strawberry.type
class TicketPayload:
    ticket: TicketView | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class TicketInput:
    ticket_id: strawberry.ID


@strawberry.input
class ReplyToTicketInput:
    ticket_id: strawberry.ID
    body: str = strawberry.field(metadata=MULTILINE)


@strawberry.input
class MoveTicketInput:
    ticket_id: strawberry.ID
    status: ServiceTicketStatus = strawberry.field(
        description="A later status than the ticket's: OPEN → IN_PROGRESS → RESOLVED → CLOSED."
    )


@strawberry.type
class TicketQuery:
    @staff_query(
        SupportRole, description="Tickets in these statuses (all when none), oldest first."
    )
    async def tickets(
        self,
        info: Info,
        statuses: list[ServiceTicketStatus] | None = None,
        before: str | None = None,
        after: str | None = None,
        first: int | None = None,
        last: int | None = None,
    ) -> TicketConnection:
        return await TicketConnection.resolve_connection(
            info.context.services.tickets.queue(statuses),
            info=info,
            before=before,
            after=after,
            first=first,
            last=last,
        )

    @staff_query(SupportRole)
    async def ticket(self, info: Info, id: strawberry.ID) -> TicketView | None:
        ticket = await info.context.services.tickets.get(decode_id(id, "ServiceTicket"))
        return TicketView.from_model(ticket) if ticket else None


@strawberry.type
class TicketMutation:
    @staff_mutation(SupportRole, description="Assigns the ticket to oneself; OPEN → IN_PROGRESS.")
    async def assign_ticket(self, info: Info, input: TicketInput) -> TicketPayload:
        session = await require_staff_session(info)
        ticket = await info.context.services.tickets.assign_to_self(
            info.context.actor(session), decode_id(input.ticket_id, "ServiceTicket")
        )
        return TicketPayload(ticket=TicketView.from_model(ticket))

    @staff_mutation(
        SupportRole,
        description=(
            "Answers the customer, who sees it in ServiceTicket.replies and is told by email; "
            "an OPEN ticket becomes IN_PROGRESS; a CLOSED one answers TICKET_CLOSED."
        ),
    )
    async def reply_to_ticket(self, info: Info, input: ReplyToTicketInput) -> TicketPayload:
        session = await require_staff_session(info)
        ticket = await info.context.services.tickets.reply_as_staff(
            info.context.actor(session), decode_id(input.ticket_id, "ServiceTicket"), input.body
        )
        info.context.loaders.forget_ticket(ticket.id)
        return TicketPayload(ticket=TicketView.from_model(ticket))

    @staff_mutation(SupportRole, description="Moves the ticket forward; CLOSED is final.")
    async def move_ticket(self, info: Info, input: MoveTicketInput) -> TicketPayload:
        session = await require_staff_session(info)
        ticket = await info.context.services.tickets.move(
            info.context.actor(session), decode_id(input.ticket_id, "ServiceTicket"), input.status
        )
        return TicketPayload(ticket=TicketView.from_model(ticket))
