"""Sign-in sessions: opaque random tokens, stored as HMACs, with expiry and revocation.

One implementation serves customers and staff alike, each with its own table, HMAC key and
lifetime (`CUSTOMER_SESSIONS`, `STAFF_SESSIONS`): a token of one kind is never found among
the other's.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar, cast
from uuid import UUID

from tortoise.models import Model

from models.sessions import Session
from models.staff import StaffSession
from services.clock import Clock
from services.keys import KeyRing, Purpose
from services.pubsub import PubSub
from services.read_cache import SESSIONS_CHANNEL, ReadCache, detached

SESSION_TTL = timedelta(days=14)
STAFF_SESSION_TTL = timedelta(hours=8)
# Ended sessions are announced here, so every process can close their sockets and forget them.
REVOKED_CHANNEL = SESSIONS_CHANNEL


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
    def __init__(
        self,
        keys: KeyRing,
        clock: Clock,
        pubsub: PubSub,
        kind: SessionKind[S],
        cache: ReadCache | None = None,
    ) -> None:
        self.keys = keys
        self.clock = clock
        self.pubsub = pubsub
        self.kind = kind
        self.cache = cache

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

    async def find_for_reading(self, token: str | None) -> S | None:
        """As `find`, from this process's read cache where there is one: for queries, which
        decide nothing. The rows returned (session and owner) are the request's own copies."""
        cache = self.cache
        if cache is None:
            return await self.find(token)
        if not token or len(token) > 128:
            return None
        mac = self._mac(token)
        row: Any = cache.session(mac)
        if row is None or row.expires_at <= self.clock.now():
            since = cache.generation
            row = await self.find(token)
            if row is None:
                return None
            owner: Model | None = getattr(row, self.kind.owner)
            cache.keep_session(mac, row, since)
            cache.keep_account(getattr(row, f"{self.kind.owner}_id"), "row", owner, since)
        else:
            owner = await self.owner_for_reading(getattr(row, f"{self.kind.owner}_id"))
        if owner is None:
            return None
        return cast(S, detached(row, **{self.kind.owner: detached(owner)}))

    async def owner_for_reading(self, owner_id: UUID) -> Model | None:
        """The session owner's row (an account), from the read cache where it can."""
        assert self.cache is not None
        cached = self.cache.account(owner_id, "row")
        if isinstance(cached, Model):
            return cached
        since = self.cache.generation
        field: Any = self.kind.model._meta.fields_map[self.kind.owner]
        owner: Model | None = await field.related_model.get_or_none(id=owner_id)
        if owner is not None:
            self.cache.keep_account(owner_id, "row", owner, since)
        return owner

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
        if self.cache is not None:
            self.cache.sessions_ended(ids)
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
