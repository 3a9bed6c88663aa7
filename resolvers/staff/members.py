"""Managing staff: ADMIN only. What enrols a member (setup code, otpauth address) is answered
once, to the admin who asked, and never stored in clear."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from models.staff import StaffMember, StaffRole
from resolvers.errors import UserError
from resolvers.nodes import decode_id
from resolvers.staff.permissions import (
    AdminRole,
    require_staff_session,
    staff_mutation,
    staff_query,
)
from resolvers.staff.types import StaffMemberType
from services.problems import ProblemCode, Refused


@strawberry.type
class EnrolmentPayload:
    staff: StaffMemberType | None = None
    setup_code: str | None = strawberry.field(
        default=None, description="One-time, for setPassword; shown only in this answer."
    )
    otpauth_url: str | None = strawberry.field(
        default=None,
        description="The second factor (otpauth://) for an authenticator app; shown only here.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class StaffPayload:
    staff: StaffMemberType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class CreateStaffInput:
    email: str
    role: StaffRole


@strawberry.input
class StaffInput:
    staff_id: strawberry.ID


async def _member(info: Info, staff_id: strawberry.ID) -> StaffMember:
    member: StaffMember | None = await info.context.services.staff.get(
        decode_id(staff_id, "StaffMember")
    )
    if member is None:
        raise Refused.because(ProblemCode.NOT_FOUND, "There is no such staff member.", "staffId")
    return member


@strawberry.type
class MembersQuery:
    @staff_query(AdminRole, description="Every staff member, by email.")
    async def staff_members(self, info: Info) -> list[StaffMemberType]:
        return [StaffMemberType.from_model(m) for m in await info.context.services.staff.all()]


@strawberry.type
class MembersMutation:
    @staff_mutation(AdminRole)
    async def create_staff_member(self, info: Info, input: CreateStaffInput) -> EnrolmentPayload:
        session = await require_staff_session(info)
        enrolment = await info.context.services.staff.create(
            input.email, input.role, info.context.actor(session)
        )
        return EnrolmentPayload(
            staff=StaffMemberType.from_model(enrolment.member),
            setup_code=enrolment.setup_code,
            otpauth_url=enrolment.otpauth_url,
        )

    @staff_mutation(AdminRole, description="Ends the member's access and sessions.")
    async def disable_staff_member(self, info: Info, input: StaffInput) -> StaffPayload:
        session = await require_staff_session(info)
        member = await info.context.services.staff.disable(
            await _member(info, input.staff_id), info.context.actor(session)
        )
        return StaffPayload(staff=StaffMemberType.from_model(member))

    @staff_mutation(
        AdminRole, description="A new second factor for a member who lost theirs; ends sessions."
    )
    async def reset_staff_second_factor(self, info: Info, input: StaffInput) -> EnrolmentPayload:
        session = await require_staff_session(info)
        enrolment = await info.context.services.staff.reset_second_factor(
            await _member(info, input.staff_id), info.context.actor(session)
        )
        return EnrolmentPayload(
            staff=StaffMemberType.from_model(enrolment.member), otpauth_url=enrolment.otpauth_url
        )
