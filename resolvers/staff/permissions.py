"""Who may run each staff operation: one permission class per role, declared on the field.

Roles nest: SUPPORT reads accounts and answers tickets; BILLING may do that too, and also
handles arrears, usage, bill charges and stuck refunds; ADMIN may do everything, and manages
staff. Without a staff session the answer is UNAUTHENTICATED (a customer's session is no
staff session); with a role below the operation's, FORBIDDEN.
"""

from __future__ import annotations

from typing import Any, ClassVar

import strawberry
from strawberry.permission import BasePermission
from strawberry.types import Info

from models.staff import StaffRole, StaffSession
from resolvers.errors import RefusalsAsErrors, unauthenticated

RANK = {StaffRole.SUPPORT: 1, StaffRole.BILLING: 2, StaffRole.ADMIN: 3}
FORBIDDEN = "FORBIDDEN"


class RolePermission(BasePermission):
    role: ClassVar[StaffRole]
    message = "Your staff role may not do this."
    error_extensions = {"code": FORBIDDEN}  # noqa: RUF012 (read by Strawberry, never changed)

    async def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        session = await require_staff_session(info)
        return RANK[session.staff.role] >= RANK[self.role]


class SupportRole(RolePermission):
    role = StaffRole.SUPPORT


class BillingRole(RolePermission):
    role = StaffRole.BILLING


class AdminRole(RolePermission):
    role = StaffRole.ADMIN


async def require_staff_session(info: Info) -> StaffSession:
    session: StaffSession | None = await info.context.session()
    if session is None:
        raise unauthenticated()
    return session


def staff_query(role: type[RolePermission], *, description: str | None = None) -> Any:
    return strawberry.field(description=description, permission_classes=[role])


def staff_mutation(role: type[RolePermission], *, description: str | None = None) -> Any:
    """A staff mutation: its role first, then refusals as the payload's `errors`."""
    return strawberry.mutation(
        description=description, permission_classes=[role], extensions=[RefusalsAsErrors()]
    )
