"""What the hottest reads need, kept in each process while it can hear every change.

A signed-in query names its session by token; nearly every screen then reads the account and
its progress. Those rows change only when the person acts (a mutation), when a step completes
in the background (a card bound by the gateway's webhook), when a session ends, or when an
operator flags arrears. Each of those announces the account or the sessions on a channel, and
every process drops what it kept for them, so a query after a change reads the database.

The cache is used only for queries, never to decide a mutation, and only while this
process's listener is subscribed and the pub/sub connection is up (its `epoch`): while Redis
is away, a change made in another process could not be heard, so nothing is served from
here, and everything is dropped when the connection comes back. An entry lives at most
`ttl`, which bounds how long a change that nobody announced (a shell command run against
the database, say) can go unseen.

A read that started before an announcement must not store what it read after it: every
announcement moves `generation`, and a result is kept only if it has not moved meanwhile.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Generic, TypeVar
from uuid import UUID

from tortoise.models import Model

from services.clock import Clock
from services.pubsub import RESYNC, PubSub

log = logging.getLogger("onramp.read_cache")

# An account's row, or what its progress is computed from, changed: read it again.
ACCOUNTS_CHANNEL = "accounts:changed"
# Ended sessions (the channel `services.sessions` announces on; named there too).
SESSIONS_CHANNEL = "sessions:revoked"  # services.sessions.REVOKED_CHANNEL

DEFAULT_TTL = timedelta(seconds=5)
DEFAULT_MAX_ENTRIES = 20_000

K = TypeVar("K")
V = TypeVar("V")
M = TypeVar("M", bound=Model)


def detached(row: M, **related: Model) -> M:
    """A copy of a cached row for one request: saving or refreshing it leaves ours alone.

    `related` sets fetched relations on the copy (`account=...`), as `select_related` does;
    the foreign key's column already holds the same id.
    """
    clone = type(row).__new__(type(row))
    fields = clone.__dict__
    fields.update(row.__dict__)
    fields["_await_when_save"] = {}
    for name, value in related.items():
        fields[f"_{name}"] = value
    return clone


class _Entries(Generic[K, V]):
    """A bounded map whose entries expire; the oldest goes first when it is full."""

    def __init__(self, clock: Clock, ttl: timedelta, max_entries: int) -> None:
        self.clock = clock
        self.ttl = ttl
        self.max_entries = max_entries
        self._items: dict[K, tuple[datetime, V]] = {}

    def get(self, key: K) -> V | None:
        found = self._items.get(key)
        if found is None:
            return None
        if found[0] <= self.clock.now():
            del self._items[key]
            return None
        return found[1]

    def put(self, key: K, value: V) -> None:
        self._items.pop(key, None)
        if len(self._items) >= self.max_entries:
            del self._items[next(iter(self._items))]
        self._items[key] = (self.clock.now() + self.ttl, value)

    def pop(self, key: K) -> V | None:
        found = self._items.pop(key, None)
        return found[1] if found else None

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


class ReadCache:
    def __init__(
        self,
        clock: Clock,
        pubsub: PubSub,
        *,
        ttl: timedelta = DEFAULT_TTL,
        max_entries: int = DEFAULT_MAX_ENTRIES,
    ) -> None:
        self.pubsub = pubsub
        self.ttl = ttl
        self.generation = 0
        self._listening = False
        self._epoch: int | None = None
        self._sessions: _Entries[str, Model] = _Entries(clock, ttl, max_entries)
        self._session_macs: dict[UUID, str] = {}
        self._accounts: _Entries[UUID, dict[str, object]] = _Entries(clock, ttl, max_entries)

    @property
    def serving(self) -> bool:
        """Whether every change can be heard right now; when not, reads go to the database."""
        epoch = self.pubsub.epoch if self._listening and self.ttl else None
        if epoch != self._epoch:
            # Whatever was kept may have missed a change while the channel was down.
            self._forget_everything()
            self._epoch = epoch
        return epoch is not None

    # Sessions

    def session(self, mac: str) -> Model | None:
        return self._sessions.get(mac) if self.serving else None

    def keep_session(self, mac: str, session: Model, since: int) -> None:
        if self.serving and since == self.generation:
            self._sessions.put(mac, session)
            self._session_macs[session.pk] = mac

    def sessions_ended(self, ids: list[UUID]) -> None:
        """Drops ended sessions here at once; `Sessions` announces them to the others."""
        self.generation += 1
        for session_id in ids:
            mac = self._session_macs.pop(session_id, None)
            if mac is not None:
                self._sessions.pop(mac)

    # Accounts: the row, and what hangs off it, each under its own name ("row", "progress")

    def account(self, account_id: UUID, part: str) -> object | None:
        parts = self._accounts.get(account_id) if self.serving else None
        return parts.get(part) if parts else None

    def keep_account(self, account_id: UUID, part: str, value: object, since: int) -> None:
        if not (self.serving and since == self.generation):
            return
        parts = self._accounts.get(account_id)
        if parts is None:
            self._accounts.put(account_id, {part: value})
        else:
            parts[part] = value

    async def account_part(
        self, account_id: UUID, part: str, kind: type[V], read: Callable[[], Awaitable[V]]
    ) -> V:
        """The account's `part` as kept here; else read now, and kept unless a change was
        announced while it was being read."""
        cached = self.account(account_id, part)
        if isinstance(cached, kind):
            return cached
        since = self.generation
        value = await read()
        self.keep_account(account_id, part, value, since)
        return value

    def forget_account(self, account_id: UUID) -> None:
        self.generation += 1
        self._accounts.pop(account_id)

    async def account_changed(self, account_id: UUID) -> None:
        """Drops the account here at once, then tells every other process."""
        self.forget_account(account_id)
        try:
            await self.pubsub.publish(ACCOUNTS_CHANNEL, str(account_id))
        except Exception:
            # The others' entries end with their ttl; the change itself is already made.
            log.warning("announcing a change of account %s failed", account_id, exc_info=True)

    def _forget_everything(self) -> None:
        self.generation += 1
        self._sessions.clear()
        self._session_macs.clear()
        self._accounts.clear()

    # The listener: one task per process, started with the app

    async def listen(self) -> None:
        async with self.pubsub.subscribe(ACCOUNTS_CHANNEL, SESSIONS_CHANNEL) as inbox:
            self._forget_everything()
            self._listening = True
            try:
                while True:
                    self._heard(await inbox.get())
            finally:
                self._listening = False
                self._forget_everything()

    def _heard(self, message: str) -> None:
        if message == RESYNC:
            self._forget_everything()
            return
        ids: list[UUID] = []
        for item in message.split(","):
            with contextlib.suppress(ValueError):
                ids.append(UUID(item))
        # Session ids and account ids are both random UUIDs: dropping by both is exact.
        self.sessions_ended(ids)
        for account_id in ids:
            self.forget_account(account_id)
