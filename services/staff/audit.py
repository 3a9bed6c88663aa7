"""The audit trail: who did what, when, from where, to which account, before and after.

Every service action a staff member (or an operator at the command line) takes writes its
row with `Audit.record` inside the transaction of the change itself, so a change without
its row, or a row without its change, cannot be committed. Values recorded leave secrets
out: no password, code, token or second-factor secret is ever passed here.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from tortoise.queryset import QuerySet

from models.staff import AuditEntry, StaffMember
from services.clock import Clock
from services.pagination import NewestFirst


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in staff member (with the client's address), or the command line."""

    staff_id: UUID | None
    label: str
    client_ip: str | None

    @classmethod
    def staff(cls, member: StaffMember, client_ip: str) -> Actor:
        return cls(member.id, member.email, client_ip)

    @classmethod
    def command_line(cls) -> Actor:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
        return cls(None, f"command line ({user})"[:320], None)


class Audit:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def record(
        self,
        actor: Actor,
        action: str,
        *,
        account_id: UUID | None = None,
        subject: str = "",
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> AuditEntry:
        """Call inside the transaction of the change the row records."""
        return await AuditEntry.create(
            staff_id=actor.staff_id,
            actor=actor.label,
            action=action,
            account_id=account_id,
            subject=subject[:320],
            client_ip=actor.client_ip,
            before=before,
            after=after,
            reason=reason[:200] if reason else None,
            created_at=self.clock.now(),
        )

    def of_account(self, account_id: UUID | None) -> NewestFirst[AuditEntry]:
        """What was done to the account, newest first (nothing for an unknown id)."""
        return NewestFirst(_of(account_id=account_id), "created_at")

    def of_staff(self, staff_id: UUID | None) -> NewestFirst[AuditEntry]:
        """What the staff member did, newest first (nothing for an unknown id)."""
        return NewestFirst(_of(staff_id=staff_id), "created_at")


def _of(**key: UUID | None) -> QuerySet[AuditEntry]:
    # A missing id must match no row, not the rows whose column is null.
    if None in key.values():
        return AuditEntry.filter(id__in=[])
    return AuditEntry.filter(**key)
