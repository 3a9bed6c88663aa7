"""Service tickets: the one a person opens about a failed card binding, and their list.

A ticket may name one of the account's card-binding attempts; the Account type lists an
account's tickets through `ServiceTicketType`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from models.cards import ServiceTicket, ServiceTicketReply
from resolvers.cards import CardBindingAttemptType
from resolvers.enums import ServiceTicketStatus
from resolvers.errors import UserError, payload_mutation
from resolvers.nodes import decode_id, own_rows
from resolvers.session import require_account
from resolvers.text_inputs import MULTILINE
from services.public_ids import public_id


@strawberry.type(name="ServiceTicketReply")
class ServiceTicketReplyType:
    id: strawberry.ID
    body: str
    from_support: bool = strawberry.field(
        description="True when written by the provider's support staff (whose names are not shown)."
    )
    created_at: datetime

    @classmethod
    def from_model(cls, reply: ServiceTicketReply) -> ServiceTicketReplyType:
        return cls(
            id=strawberry.ID(public_id("ServiceTicketReply", reply.id)),
            body=reply.body,
            from_support=reply.from_support,
            created_at=reply.created_at,
        )


@strawberry.type(name="ServiceTicket")
class ServiceTicketType(relay.Node):
    id: relay.NodeID[str]
    model: strawberry.Private[ServiceTicket]
    number: str = strawberry.field(
        description="Human-facing reference, unique, ST-<year>-<six digits>, e.g. ST-2026-000042."
    )
    subject: str
    description: str
    status: ServiceTicketStatus

    @strawberry.field
    async def card_binding_attempt(self, info: Info) -> CardBindingAttemptType | None:
        if self.model.attempt_id is None:
            return None
        attempt = await info.context.loaders.attempt.load(self.model.attempt_id)
        return CardBindingAttemptType.from_model(attempt) if attempt else None

    @strawberry.field(description="The conversation after the description, oldest first.")
    async def replies(self, info: Info) -> list[ServiceTicketReplyType]:
        rows = await info.context.loaders.replies_of.load(self.model.id)
        return [ServiceTicketReplyType.from_model(row) for row in rows]

    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_model(cls, ticket: ServiceTicket) -> ServiceTicketType:
        return cls(
            id=str(ticket.id),
            model=ticket,
            number=ticket.number,
            subject=ticket.subject,
            description=ticket.description,
            status=ticket.status,
            created_at=ticket.created_at,
            updated_at=ticket.updated_at or ticket.created_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # see resolvers/nodes.py
        cls, *, info: Info, node_ids: Any, required: bool = False
    ) -> list[ServiceTicketType | None]:
        rows = await own_rows(info.context.loaders.ticket, info, node_ids)
        return [cls.from_model(r) if r else None for r in rows]


@strawberry.type
class ServiceTicketPayload:
    ticket: ServiceTicketType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class SubmitServiceTicketInput:
    subject: str
    description: str = strawberry.field(metadata=MULTILINE)
    card_binding_attempt_id: strawberry.ID | None = strawberry.field(
        default=None,
        description=(
            "An attempt of the signed-in account; another account's or an unknown one is NOT_FOUND."
        ),
    )


@strawberry.input
class ReplyToServiceTicketInput:
    ticket_id: strawberry.ID = strawberry.field(
        description="A ticket of the signed-in account that is not CLOSED."
    )
    body: str = strawberry.field(metadata=MULTILINE)


@strawberry.type
class TicketMutation:
    @payload_mutation()
    async def submit_service_ticket(
        self, info: Info, input: SubmitServiceTicketInput
    ) -> ServiceTicketPayload:
        account = await require_account(info)
        wanted = input.card_binding_attempt_id
        ticket = await info.context.services.tickets.submit(
            account,
            subject=input.subject,
            description=input.description,
            attempt_id=decode_id(wanted, "CardBindingAttempt") if wanted is not None else None,
            attempt_given=wanted is not None,
        )
        return ServiceTicketPayload(ticket=ServiceTicketType.from_model(ticket))

    @payload_mutation(
        description=(
            "Adds the person's reply; a RESOLVED ticket becomes OPEN again; a CLOSED one "
            "answers TICKET_CLOSED."
        )
    )
    async def reply_to_service_ticket(
        self, info: Info, input: ReplyToServiceTicketInput
    ) -> ServiceTicketPayload:
        account = await require_account(info)
        ticket = await info.context.services.tickets.reply_as_customer(
            account, decode_id(input.ticket_id, "ServiceTicket"), input.body
        )
        info.context.loaders.forget_ticket(ticket.id)
        return ServiceTicketPayload(ticket=ServiceTicketType.from_model(ticket))
