"""Marking the account's messages read (the messages themselves hang off the Account type)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.account import AccountMessageType
from resolvers.errors import UserError, payload_mutation
from resolvers.nodes import decode_id
from resolvers.session import require_account


@strawberry.type
class MarkMessagesReadPayload:
    messages: list[AccountMessageType] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class MarkMessagesReadInput:
    message_ids: list[strawberry.ID]


@strawberry.type
class AccountMessagesMutation:
    @payload_mutation()
    async def mark_messages_read(
        self, info: Info, input: MarkMessagesReadInput
    ) -> MarkMessagesReadPayload:
        account = await require_account(info)
        wanted = [decode_id(value, "AccountMessage") for value in input.message_ids]
        read = await info.context.services.onboarding.messages.mark_read(account, wanted)
        info.context.loaders.forget_messages(wanted)
        return MarkMessagesReadPayload(messages=[AccountMessageType.from_model(m) for m in read])
