"""Step 3: setting the security phone (one way to reset a forgotten password), or skipping it."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.account import AccountPayload
from resolvers.errors import payload_mutation
from resolvers.phone_codes import VerifyPhoneInput
from resolvers.session import require_account, require_session


@strawberry.type
class SecurityPhoneMutation:
    @payload_mutation()
    async def set_security_phone(self, info: Info, input: VerifyPhoneInput) -> AccountPayload:
        session = await require_session(info)
        outcome = await info.context.services.phones.set_security_phone(
            session.account,
            region_code=input.region_code,
            raw=input.phone_number,
            code=input.code,
            current_password=input.current_password,
            session_id=session.id,
        )
        info.context.loaders.forget_account(session.account_id)
        return AccountPayload.of(outcome)

    @payload_mutation()
    async def skip_security_phone(self, info: Info) -> AccountPayload:
        account = await require_account(info)
        outcome = await info.context.services.phones.skip_security_phone(account)
        info.context.loaders.forget_account(account.id)
        return AccountPayload.of(outcome)
