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

from models.cards import ServiceTicket
from resolvers.cards import CardBindingAttemptType
from resolvers.enums import ServiceTicketStatus
from resolvers.errors import UserError, payload_mutation
from resolvers.nodes import decode_id, own_rows
from resolvers.session import require_account
from resolvers.text_inputs import MULTILINE


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
    created_at: datetime

    @strawberry.field
    async def card_binding_attempt(self, info: Info) -> CardBindingAttemptType | None:
        if self.model.attempt_id is None:
            return None
        attempt = await info.context.loaders.attempt.load(self.model.attempt_id)
        return CardBindingAttemptType.from_model(attempt) if attempt else None

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
