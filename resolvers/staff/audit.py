"""The audit trail, newest first: an account's (SUPPORT and above) and a staff member's
(ADMIN)."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.nodes import decode_id
from resolvers.staff.permissions import AdminRole, SupportRole, staff_query
from resolvers.staff.types import AuditEntryConnection


@strawberry.type
class AuditQuery:
    @staff_query(SupportRole, description="What staff did to this account, newest first.")
    async def account_audit_trail(
        self,
        info: Info,
        account_id: strawberry.ID,
        before: str | None = None,
        after: str | None = None,
        first: int | None = None,
        last: int | None = None,
    ) -> AuditEntryConnection:
        return await AuditEntryConnection.resolve_connection(
            info.context.services.audit.of_account(decode_id(account_id, "Account")),
            info=info,
            before=before,
            after=after,
            first=first,
            last=last,
        )

    @staff_query(AdminRole, description="What this staff member did, newest first.")
    async def staff_audit_trail(
        self,
        info: Info,
        staff_id: strawberry.ID,
        before: str | None = None,
        after: str | None = None,
        first: int | None = None,
        last: int | None = None,
    ) -> AuditEntryConnection:
        return await AuditEntryConnection.resolve_connection(
            info.context.services.audit.of_staff(decode_id(staff_id, "StaffMember")),
            info=info,
            before=before,
            after=after,
            first=first,
            last=last,
        )
