"""Sign-in sessions: opaque random tokens, stored as HMACs, with expiry and revocation.

One implementation serves customers and staff alike, each with its own table, HMAC key and
lifetime (`CUSTOMER_SESSIONS`, `STAFF_SESSIONS`): a token of one kind is never found among
the other's.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar
from uuid import UUID

from tortoise.models import Model

from models.sessions import Session
from models.staff import StaffSession
from services.clock import Clock
from services.keys import KeyRing, Purpose
from services.pubsub import PubSub

SESSION_TTL = timedelta(days=14)
STAFF_SESSION_TTL = timedelta(hours=8)
# Ended sessions are announced here, so every process can close their sockets.
REVOKED_CHANNEL = "sessions:revoked"


S = TypeVar("S", bound=Model)


@dataclass(frozen=True)
class SessionKind(Generic[S]):
    """Where one kind of session lives: its table, whose it is, its key and lifetime."""

    model: type[S]
    owner: str  # the relation to the account or staff member it belongs to
    purpose: Purpose
    ttl: timedelta


CUSTOMER_SESSIONS = SessionKind(Session, "account", Purpose.SESSIONS, SESSION_TTL)
STAFF_SESSIONS = SessionKind(StaffSession, "staff", Purpose.STAFF_SESSIONS, STAFF_SESSION_TTL)


@dataclass(frozen=True)
class IssuedSession:
    token: str
    expires_at: datetime
    session_id: UUID


class Sessions(Generic[S]):
    def __init__(self, keys: KeyRing, clock: Clock, pubsub: PubSub, kind: SessionKind[S]) -> None:
        self.keys = keys
        self.clock = clock
        self.pubsub = pubsub
        self.kind = kind

    def _mac(self, token: str) -> str:
        return self.keys.mac(self.kind.purpose, token)

    async def start(self, owner: Model, client_ip: str, user_agent: str) -> IssuedSession:
        token = secrets.token_urlsafe(32)
        expires_at = self.clock.now() + self.kind.ttl
        model: Any = self.kind.model  # created by the relation's name, which varies by kind
        row = await model.create(
            **{self.kind.owner: owner},
            token_mac=self._mac(token),
            client_ip=client_ip[:64],
            user_agent=user_agent[:512],
            expires_at=expires_at,
        )
        return IssuedSession(token, expires_at, row.id)

    async def find(self, token: str | None) -> S | None:
        """The live session a token names, with its owner; None for anything else."""
        if not token or len(token) > 128:
            return None
        return (
            await self.kind.model.filter(
                token_mac=self._mac(token), revoked_at=None, expires_at__gt=self.clock.now()
            )
            .select_related(self.kind.owner)
            .first()
        )

    async def revoke(self, token: str) -> bool:
        session: Any = await self.kind.model.get_or_none(
            token_mac=self._mac(token), revoked_at=None
        )
        if session is None:
            return False
        revoked = await self.kind.model.filter(id=session.id, revoked_at=None).update(
            revoked_at=self.clock.now()
        )
        await self._announce([session.id])
        return bool(revoked)

    async def _announce(self, ids: list[UUID]) -> None:
        if ids:
            await self.pubsub.publish(REVOKED_CHANNEL, ",".join(str(i) for i in ids))

    async def revoke_all(self, owner_id: UUID, keep: UUID | None = None) -> list[UUID]:
        """Ends every live session of the owner (but `keep`); returns the ids it ended."""
        query = self.kind.model.filter(**{f"{self.kind.owner}_id": owner_id}, revoked_at=None)
        if keep is not None:
            query = query.exclude(id=keep)
        ids: list[UUID] = [row.pk for row in await query.only("id")]
        if ids:
            await self.kind.model.filter(id__in=ids, revoked_at=None).update(
                revoked_at=self.clock.now()
            )
            await self._announce(ids)
        return ids
