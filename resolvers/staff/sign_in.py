"""Staff sign-in (password and TOTP), sign-out, setting the password with the setup code,
and `me`."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from resolvers.errors import UserError, payload_mutation
from resolvers.staff.permissions import require_staff_session
from resolvers.staff.types import StaffMemberType


@strawberry.type(name="Session")
class StaffSessionType:
    token: str = strawberry.field(
        description="Also set as the staff session cookie; a browser console relies on that."
    )
    expires_at: datetime


@strawberry.type
class SignInPayload:
    staff: StaffMemberType | None = None
    session: StaffSessionType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SignOutPayload:
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SetPasswordPayload:
    staff: StaffMemberType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class SignInInput:
    email: str
    password: str
    totp_code: str | None = strawberry.field(
        default=None,
        description="The six digits of the authenticator app; required outside development.",
    )


@strawberry.input
class SetPasswordInput:
    email: str
    setup_code: str = strawberry.field(description="The one-time code given at enrolment.")
    password: str
    totp_code: str | None = strawberry.field(
        default=None, description="Proves the authenticator app holds the second factor."
    )


@strawberry.type
class SignInQuery:
    @strawberry.field(description="The signed-in staff member, or null.")
    async def me(self, info: Info) -> StaffMemberType | None:
        session = await info.context.session()
        return StaffMemberType.from_model(session.staff) if session else None


@strawberry.type
class SignInMutation:
    @payload_mutation()
    async def sign_in(self, info: Info, input: SignInInput) -> SignInPayload:
        signed_in = await info.context.services.staff.sign_in(
            input.email, input.password, input.totp_code, info.context.caller
        )
        info.context.cookie.set(signed_in.session.token, signed_in.session.expires_at)
        return SignInPayload(
            staff=StaffMemberType.from_model(signed_in.member),
            session=StaffSessionType(
                token=signed_in.session.token, expires_at=signed_in.session.expires_at
            ),
        )

    @payload_mutation(description="Ends this staff session (recorded).")
    async def sign_out(self, info: Info) -> SignOutPayload:
        session = await require_staff_session(info)
        token = info.context.token
        assert token is not None  # a session was found by it
        await info.context.services.staff.sign_out(session, token, info.context.client_ip)
        info.context.cookie.clear()
        info.context.forget_session()
        return SignOutPayload()

    @payload_mutation(description="Sets the password with the one-time setup code.")
    async def set_password(self, info: Info, input: SetPasswordInput) -> SetPasswordPayload:
        member = await info.context.services.staff.set_password(
            input.email, input.setup_code, input.password, input.totp_code, info.context.caller
        )
        return SetPasswordPayload(staff=StaffMemberType.from_model(member))
