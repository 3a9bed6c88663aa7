"""Sending an SMS code to verify a phone number, for the security phone or the mobile.

Steps 3 and 5.1 share it; their mutations take the code back in a `VerifyPhoneInput`.
"""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.types import Info

from models.codes import CodePurpose
from resolvers.errors import payload_mutation
from resolvers.registration import SendCodePayload
from resolvers.session import require_account


@strawberry.enum
class PhoneCodePurpose(Enum):
    SECURITY_PHONE = "SECURITY_PHONE"
    MOBILE_NUMBER = "MOBILE_NUMBER"


@strawberry.input
class SendPhoneCodeInput:
    purpose: PhoneCodePurpose
    region_code: str = strawberry.field(description="ISO 3166-1 alpha-2 of the number's country.")
    phone_number: str = strawberry.field(description="National or E.164 form.")


@strawberry.input
class VerifyPhoneInput:
    region_code: str
    phone_number: str
    code: str
    current_password: str | None = strawberry.field(
        default=None, description="Required to replace a security phone that is already set."
    )


@strawberry.type
class PhoneCodeMutation:
    @payload_mutation()
    async def send_phone_code(self, info: Info, input: SendPhoneCodeInput) -> SendCodePayload:
        account = await require_account(info)
        outcome = await info.context.services.phones.send_code(
            account,
            CodePurpose(input.purpose.value),
            input.region_code,
            input.phone_number,
            info.context.client_ip,
        )
        return SendCodePayload.of(outcome)
