"""Step 5.1: associating a mobile number, verified by an SMS code (never a login name)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.account import AccountPayload
from resolvers.errors import payload_mutation
from resolvers.phone_codes import VerifyPhoneInput
from resolvers.session import require_account


@strawberry.type
class MobileMutation:
    @payload_mutation()
    async def associate_mobile(self, info: Info, input: VerifyPhoneInput) -> AccountPayload:
        account = await require_account(info)
        outcome = await info.context.services.phones.associate_mobile(
            account, region_code=input.region_code, raw=input.phone_number, code=input.code
        )
        info.context.loaders.forget_account(account.id)
        return AccountPayload.of(outcome)
