"""Step 4: accepting the current agreements and enabling cloud services."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.account import AccountPayload
from resolvers.errors import payload_mutation
from resolvers.nodes import decode_id
from resolvers.session import require_account


@strawberry.input
class EnableCloudServicesInput:
    accepted_agreement_ids: list[strawberry.ID] = strawberry.field(
        description="IDs of every Agreement that `agreements` lists."
    )


@strawberry.type
class CloudMutation:
    @payload_mutation(
        description="Needs no security phone: a security phone still PENDING becomes SKIPPED."
    )
    async def enable_cloud_services(
        self, info: Info, input: EnableCloudServicesInput
    ) -> AccountPayload:
        account = await require_account(info)
        accepted = [decode_id(value, "Agreement") for value in input.accepted_agreement_ids]
        outcome = await info.context.services.onboarding.cloud.enable(
            account, accepted, info.context.caller
        )
        info.context.loaders.forget_account(account.id)
        return AccountPayload.of(outcome)
