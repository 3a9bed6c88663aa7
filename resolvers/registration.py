"""Steps 1 and 2: registration codes, register, sign-in, sign-out and password reset."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.types import Info

from resolvers.account import AccountType
from resolvers.enums import AccountKind
from resolvers.errors import UserError, payload_mutation
from services.accounts import SignedIn
from services.codes import Sent


@strawberry.type
class Session:
    token: str = strawberry.field(
        description=(
            "Bearer token for the Authorization header and the websocket connection_init payload."
        )
    )
    expires_at: datetime


@strawberry.type
class SendCodePayload:
    expires_at: datetime | None = strawberry.field(
        default=None, description="When the code (if one was sent) stops working."
    )
    resend_available_at: datetime | None = strawberry.field(
        default=None, description="Earliest moment another code may be asked for."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, sent: Sent) -> SendCodePayload:
        return cls(expires_at=sent.expires_at, resend_available_at=sent.resend_available_at)


@strawberry.type
class AuthPayload:
    account: AccountType | None = None
    session: Session | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class LogoutPayload:
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ResetPasswordPayload:
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class SendRegistrationCodeInput:
    email: str
    kind: AccountKind = AccountKind.HUAWEI_ID


@strawberry.input
class RegisterInput:
    kind: AccountKind = AccountKind.HUAWEI_ID
    region_code: str = strawberry.field(
        description=(
            "ISO 3166-1 alpha-2. An individual picks where they are; an enterprise, where it "
            "was registered. Never changes afterwards."
        )
    )
    email: str
    email_code: str
    password: str
    locale: str | None = strawberry.field(
        default=None,
        description=(
            "BCP 47 tag of one of `locales`; when left out, the best match of the request's "
            "Accept-Language."
        ),
    )


@strawberry.input
class LoginInput:
    email: str
    password: str
    kind: AccountKind = AccountKind.HUAWEI_ID


@strawberry.enum
class ResetChannel(Enum):
    EMAIL = "EMAIL"
    SECURITY_PHONE = "SECURITY_PHONE"


@strawberry.input
class RequestPasswordResetInput:
    email: str
    kind: AccountKind = AccountKind.HUAWEI_ID
    channel: ResetChannel = strawberry.field(
        default=ResetChannel.EMAIL,
        description=(
            "Where the code goes; the answer is the same whether or not the account or its "
            "security phone exists."
        ),
    )


@strawberry.input
class ResetPasswordInput:
    email: str
    kind: AccountKind = AccountKind.HUAWEI_ID
    code: str
    new_password: str


def _signed_in(info: Info, signed_in: SignedIn) -> AuthPayload:
    """The payload of a sign-in, written (like the rest of the answer) in the account's
    language."""
    session = signed_in.session
    info.context.cookie.set(session.token, session.expires_at)
    info.context.speak(signed_in.account.locale)
    return AuthPayload(
        account=AccountType.from_model(signed_in.account),
        session=Session(token=session.token, expires_at=session.expires_at),
    )


@strawberry.type
class RegistrationMutation:
    @payload_mutation()
    async def send_registration_code(
        self, info: Info, input: SendRegistrationCodeInput
    ) -> SendCodePayload:
        accounts = info.context.services.accounts
        return SendCodePayload.of(
            await accounts.send_registration_code(input.email, input.kind, info.context.caller)
        )

    @payload_mutation()
    async def register(self, info: Info, input: RegisterInput) -> AuthPayload:
        chosen = info.context.services.languages.find(input.locale or "")
        if chosen is not None:  # the person chose it: refusals speak it too
            info.context.speak(chosen)
        signed_in = await info.context.services.accounts.register(
            kind=input.kind,
            region_code=input.region_code,
            raw_email=input.email,
            email_code=input.email_code,
            password=input.password,
            caller=info.context.caller,
            locale=input.locale,
        )
        return _signed_in(info, signed_in)

    @payload_mutation()
    async def login(self, info: Info, input: LoginInput) -> AuthPayload:
        signed_in = await info.context.services.accounts.login(
            input.email, input.password, input.kind, info.context.caller
        )
        return _signed_in(info, signed_in)

    @payload_mutation()
    async def logout(self, info: Info) -> LogoutPayload:
        if info.context.token:
            await info.context.services.sessions.revoke(info.context.token)
        info.context.forget_session()
        info.context.cookie.clear()
        return LogoutPayload()

    @payload_mutation()
    async def request_password_reset(
        self, info: Info, input: RequestPasswordResetInput
    ) -> SendCodePayload:
        sent = await info.context.services.accounts.request_password_reset(
            input.email,
            input.kind,
            info.context.caller,
            by_security_phone=input.channel is ResetChannel.SECURITY_PHONE,
        )
        return SendCodePayload.of(sent)

    @payload_mutation()
    async def reset_password(self, info: Info, input: ResetPasswordInput) -> ResetPasswordPayload:
        await info.context.services.accounts.reset_password(
            input.email, input.kind, input.code, input.new_password
        )
        return ResetPasswordPayload()
