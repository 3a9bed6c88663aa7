"""Step 5.3: the payment gateway's configuration, binding a card, and Historical Cards.

The cards and binding attempts an account has are read here too; the attempt's live updates
are `resolvers/card_binding_updates.py`, tickets about a failed attempt `resolvers/tickets.py`.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info
from tortoise import timezone

from models.cards import CardBindingAttempt, PaymentCard
from resolvers.enums import CardBindingStatus, CardBrand, CardFailureReason, DepositStatus
from resolvers.errors import UserError, payload_mutation
from resolvers.locale import written
from resolvers.nodes import own_rows
from resolvers.pagination import KeysetConnection, PageInfo
from resolvers.reference import AgreementType, MoneyType
from resolvers.session import require_account
from services import agreements
from services.cards.results import result_sentence
from services.money import Money


@strawberry.enum
class NextActionType(Enum):
    REDIRECT_TO_BANK = "REDIRECT_TO_BANK"


@strawberry.type
class PaymentGatewayConfig:
    name: str = strawberry.field(description="E.g. sandbox.")
    tokenization_url: str = strawberry.field(
        description=(
            "Absolute URL where the frontend posts the card fields to get a paymentMethodToken."
        )
    )
    publishable_key: str = strawberry.field(
        description="Sent with the card fields; safe to expose."
    )
    accepted_brands: list[CardBrand]
    service_terms: AgreementType = strawberry.field(
        description=(
            "The service terms a person accepts when binding a card (acceptServiceTerms); "
            "versioned like the other agreements."
        )
    )


@strawberry.type(name="PaymentCard")
class PaymentCardType(relay.Node):
    id: relay.NodeID[str]
    brand: CardBrand
    last4: str
    expiry_month: int
    expiry_year: int
    holder_name: str
    is_default: bool
    bound_at: datetime

    @classmethod
    def from_model(cls, card: PaymentCard) -> PaymentCardType:
        return cls(
            id=str(card.id),
            brand=CardBrand(card.brand),
            last4=card.last4,
            expiry_month=card.expiry_month,
            expiry_year=card.expiry_year,
            holder_name=card.holder_name,
            is_default=card.is_default,
            bound_at=card.bound_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # see resolvers/nodes.py
        cls, *, info: Info, node_ids: Any, required: bool = False
    ) -> list[PaymentCardType | None]:
        rows = await own_rows(info.context.loaders.card, info, node_ids)
        return [cls.from_model(r) if r else None for r in rows]


@strawberry.type
class CardBindingNextAction:
    type: NextActionType
    redirect_url: str = strawberry.field(
        description=(
            "Absolute URL of the bank's identity-verification page; unguessable and single use."
        )
    )
    expires_at: datetime


def _masked_number(first6: str, last4: str) -> str:
    return f"{first6[:4]} {first6[4:6]}** **** {last4}"


@strawberry.type(
    name="CardBindingAttempt",
    description="One try at binding a card: a row of the Historical Cards page.",
)
class CardBindingAttemptType(relay.Node):
    id: relay.NodeID[str]
    model: strawberry.Private[CardBindingAttempt]
    status: CardBindingStatus
    brand: CardBrand
    last4: str
    masked_number: str = strawberry.field(
        description="First six and last four digits at most, e.g. 4000 00** **** 3220."
    )
    holder_name: str
    expiry_month: int
    expiry_year: int
    deposit: MoneyType = strawberry.field(
        description=(
            "The verification deposit: 1 USD converted to the account's region currency "
            "(Region.verificationDeposit)."
        )
    )
    deposit_status: DepositStatus
    next_action: CardBindingNextAction | None
    failure_reason: CardFailureReason | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None

    @strawberry.field(
        description=(
            "The Result column: a sentence saying what happened and, on failure, why; a "
            "different sentence for each failureReason. In the reader's language."
        )
    )
    async def result(self, info: Info) -> str:
        return await written(info, result_sentence(self.model))

    @strawberry.field(
        description="The version of the payment service terms accepted with this attempt."
    )
    def service_terms(self, info: Info) -> AgreementType:
        terms = agreements.find_agreement(self.model.service_terms_id)
        if terms is None:
            raise LookupError(f"service terms {self.model.service_terms_id} left the data file")
        return AgreementType.from_agreement(terms, info)

    @strawberry.field(description="The bound card, once status is SUCCEEDED.")
    async def card(self, info: Info) -> PaymentCardType | None:
        if self.model.card_id is None:
            return None
        card = await info.context.loaders.card.load(self.model.card_id)
        return PaymentCardType.from_model(card) if card else None

    @classmethod
    def from_model(cls, attempt: CardBindingAttempt) -> CardBindingAttemptType:
        next_action = None
        if (
            attempt.status is CardBindingStatus.REQUIRES_ACTION
            and attempt.redirect_url is not None
            and attempt.action_expires_at is not None
        ):
            next_action = CardBindingNextAction(
                type=NextActionType.REDIRECT_TO_BANK,
                redirect_url=attempt.redirect_url,
                expires_at=attempt.action_expires_at,
            )
        return cls(
            id=str(attempt.id),
            model=attempt,
            status=attempt.status,
            brand=CardBrand(attempt.brand),
            last4=attempt.last4,
            masked_number=_masked_number(attempt.first6, attempt.last4),
            holder_name=attempt.holder_name,
            expiry_month=attempt.expiry_month,
            expiry_year=attempt.expiry_year,
            deposit=MoneyType.of(Money.of(attempt.deposit_amount, attempt.deposit_currency)),
            deposit_status=attempt.deposit_status,
            next_action=next_action,
            failure_reason=attempt.failure_reason,
            created_at=attempt.created_at,
            updated_at=attempt.updated_at,
            completed_at=attempt.completed_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # see resolvers/nodes.py
        cls, *, info: Info, node_ids: Any, required: bool = False
    ) -> list[CardBindingAttemptType | None]:
        rows = await own_rows(info.context.loaders.attempt, info, node_ids)
        return [cls.from_model(r) if r else None for r in rows]


@strawberry.type
class CardBindingAttemptEdge(relay.Edge[CardBindingAttemptType]):
    cursor: str
    node: CardBindingAttemptType


@strawberry.type
class CardBindingAttemptConnection(KeysetConnection[CardBindingAttemptType]):
    page_info: PageInfo
    # The SDL names the edge type itself; relay.Connection types it as the generic Edge.
    edges: list[CardBindingAttemptEdge]  # type: ignore[assignment]

    edge_type = CardBindingAttemptEdge

    @classmethod
    def resolve_node(
        cls, node: CardBindingAttempt, *, info: Info, **kwargs: Any
    ) -> CardBindingAttemptType:
        return CardBindingAttemptType.from_model(node)


@strawberry.type
class BindCardPayload:
    attempt: CardBindingAttemptType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class BindCardInput:
    payment_method_token: str = strawberry.field(
        description=(
            "The token the payment gateway returned for the card fields (see "
            "Query.paymentGateway); card numbers and security codes never reach this API."
        )
    )
    accept_service_terms: bool = strawberry.field(
        description="Acceptance of PaymentGatewayConfig.serviceTerms."
    )
    return_url: str | None = strawberry.field(
        default=None,
        description=(
            "Where the bank page sends the browser back; its origin must be one the server "
            "allows exactly."
        ),
    )
    idempotency_key: str = strawberry.field(
        description=(
            "Scoped to the account and checked first: the same key within 24 hours returns "
            "the same attempt; the same key with any other input is IDEMPOTENCY_KEY_REUSED."
        )
    )


@strawberry.type
class CardQuery:
    @strawberry.field(description="Where and how the frontend tokenizes card fields.")
    def payment_gateway(self, info: Info) -> PaymentGatewayConfig:
        services = info.context.services
        terms = agreements.current_agreements(agreements.AgreementScope.PAYMENT, timezone.now())[0]
        return PaymentGatewayConfig(
            name=services.gateway.name,
            tokenization_url=services.gateway.tokenization_url,
            publishable_key=services.gateway.publishable_key,
            accepted_brands=[b for b in CardBrand if b in services.cards.rules.accepted_brands],
            service_terms=AgreementType.from_agreement(terms, info),
        )

    @strawberry.field(
        description="Every card-binding attempt of the signed-in account, newest first."
    )
    async def historical_cards(
        self,
        info: Info,
        before: str | None = None,
        after: str | None = None,
        first: int | None = None,
        last: int | None = None,
    ) -> CardBindingAttemptConnection | None:
        account = await require_account(info)
        return await CardBindingAttemptConnection.resolve_connection(
            info.context.services.cards.history(account.id),
            info=info,
            before=before,
            after=after,
            first=first,
            last=last,
        )


@strawberry.type
class CardMutation:
    @payload_mutation(
        description=(
            "On success the attempt is REQUIRES_ACTION with nextAction set; a payload with "
            "errors starts no attempt."
        )
    )
    async def bind_card(self, info: Info, input: BindCardInput) -> BindCardPayload:
        account = await require_account(info)
        attempt = await info.context.services.cards.bind(
            account,
            token=input.payment_method_token,
            accept_terms=input.accept_service_terms,
            return_url=input.return_url,
            idempotency_key=input.idempotency_key,
            caller=info.context.caller,
        )
        info.context.loaders.forget_attempts()
        return BindCardPayload(attempt=CardBindingAttemptType.from_model(attempt))
