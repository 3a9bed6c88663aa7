"""Sign-in sessions: opaque random tokens, stored as HMACs, with expiry and revocation."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from models.accounts import Account
from models.sessions import Session
from services.clock import Clock
from services.keys import KeyRing, Purpose
from services.pubsub import PubSub
from services.read_cache import SESSIONS_CHANNEL, ReadCache, detached

SESSION_TTL = timedelta(days=14)
# Ended sessions are announced here, so every process can close their sockets and forget them.
REVOKED_CHANNEL = SESSIONS_CHANNEL


@dataclass(frozen=True)
class IssuedSession:
    token: str
    expires_at: datetime
    session_id: UUID


class Sessions:
    def __init__(self, keys: KeyRing, clock: Clock, pubsub: PubSub, cache: ReadCache) -> None:
        self.keys = keys
        self.clock = clock
        self.pubsub = pubsub
        self.cache = cache

    def _mac(self, token: str) -> str:
        return self.keys.mac(Purpose.SESSIONS, token)

    async def start(self, account: Account, client_ip: str, user_agent: str) -> IssuedSession:
        token = secrets.token_urlsafe(32)
        expires_at = self.clock.now() + SESSION_TTL
        row = await Session.create(
            account=account,
            token_mac=self._mac(token),
            client_ip=client_ip[:64],
            user_agent=user_agent[:512],
            expires_at=expires_at,
        )
        return IssuedSession(token, expires_at, row.id)

    async def find(self, token: str | None) -> Session | None:
        """The live session a token names, with its account; None for anything else."""
        if not token or len(token) > 128:
            return None
        return (
            await Session.filter(
                token_mac=self._mac(token), revoked_at=None, expires_at__gt=self.clock.now()
            )
            .select_related("account")
            .first()
        )

    async def find_for_reading(self, token: str | None) -> Session | None:
        """As `find`, from this process's read cache where it can: for queries, which decide
        nothing. The rows returned are the request's own copies."""
        if not token or len(token) > 128:
            return None
        mac = self._mac(token)
        row = self.cache.session(mac)
        if row is None or row.expires_at <= self.clock.now():
            since = self.cache.generation
            row = await self.find(token)
            if row is None:
                return None
            self.cache.keep_session(mac, row, since)
            self.cache.keep_account(row.account_id, "row", row.account, since)
            found: Account | None = row.account
        else:
            found = await self.account_for_reading(row.account_id)
        if found is None:
            return None
        session = detached(row)
        session.account = detached(found)
        return session

    async def account_for_reading(self, account_id: UUID) -> Account | None:
        cached = self.cache.account(account_id, "row")
        if isinstance(cached, Account):
            return cached
        since = self.cache.generation
        account = await Account.get_or_none(id=account_id)
        if account is not None:
            self.cache.keep_account(account_id, "row", account, since)
        return account

    async def revoke(self, token: str) -> bool:
        session = await Session.get_or_none(token_mac=self._mac(token), revoked_at=None)
        if session is None:
            return False
        revoked = await Session.filter(id=session.id, revoked_at=None).update(
            revoked_at=self.clock.now()
        )
        await self._announce([session.id])
        return bool(revoked)

    async def _announce(self, ids: list[UUID]) -> None:
        self.cache.sessions_ended(ids)
        if ids:
            await self.pubsub.publish(REVOKED_CHANNEL, ",".join(str(i) for i in ids))

    async def revoke_all(self, account_id: UUID, keep: UUID | None = None) -> list[UUID]:
        """Ends every live session of the account (but `keep`); returns the ids it ended."""
        query = Session.filter(account_id=account_id, revoked_at=None)
        if keep is not None:
            query = query.exclude(id=keep)
        ids: list[UUID] = [row.id for row in await query.only("id")]
        if ids:
            await Session.filter(id__in=ids, revoked_at=None).update(revoked_at=self.clock.now())
            await self._announce(ids)
        return ids
