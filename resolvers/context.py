"""What a resolver may know of the request it serves; built by api/ for every operation."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from models.sessions import Session
from resolvers.loaders import Loaders
from services.accounts import Caller
from services.runtime import Services


class CookieJar(Protocol):
    def set(self, token: str, expires_at: datetime) -> None: ...
    def clear(self) -> None: ...


@dataclass
class RequestContext:
    request: Any
    response: Any
    request_id: str
    client_ip: str
    user_agent: str
    frontend_url: str
    services: Services
    token: str | None
    cookie: CookieJar
    # The request's Accept-Language header (a websocket's: its upgrade request's).
    accept_language: str | None = None
    # A websocket's context lives as long as the connection: its session is read afresh at
    # every operation, so a revoked session stops at the next subscribe.
    remember_session: bool = True
    connection_params: dict[str, Any] | None = None
    _session: Session | None = field(default=None, init=False)
    _looked_up: bool = field(default=False, init=False)
    _lookup: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)
    _loaders: Loaders | None = field(default=None, init=False)
    _spoken: str | None = field(default=None, init=False)

    @property
    def caller(self) -> Caller:
        return Caller(
            client_ip=self.client_ip, user_agent=self.user_agent, locale=self.requested_locale
        )

    @property
    def requested_locale(self) -> str:
        """The offered language that best matches Accept-Language (English when none)."""
        return self.services.languages.negotiate(self.accept_language)

    async def locale(self, *, for_reading: bool) -> str:
        """The language this request is answered in: the signed-in account's; signed out,
        Accept-Language's best match; or what this operation has just chosen (`speak`)."""
        if self._spoken is not None:
            return self._spoken
        session = await self.session(for_reading=for_reading)
        if session is None:
            return self.requested_locale
        return self.services.languages.find(session.account.locale) or self.requested_locale

    def speak(self, locale: str) -> None:
        """Answers the rest of the operation in `locale` (register, sign-in, setLocale)."""
        self._spoken = locale

    async def session(self, *, for_reading: bool = False) -> Session | None:
        """The live session the request's credential names, looked up once per context.

        `for_reading`: a query's, which decides nothing, may come from the process's read
        cache (services/read_cache.py); a mutation's or a subscription's is read afresh.
        """
        if self._looked_up and self.remember_session:
            return self._session
        sessions = self.services.sessions
        find = sessions.find_for_reading if for_reading else sessions.find
        if not self.remember_session:
            return await find(self.token)
        # Sibling fields resolve concurrently: the first looks the session up, the rest wait.
        async with self._lookup:
            if not self._looked_up:
                self._session = await find(self.token)
                self._looked_up = True
        return self._session

    async def after_mutation(self) -> None:
        """Whatever a mutation wrote, every process's read cache reads its account again."""
        if self._session is not None:
            await self.services.read_cache.account_changed(self._session.account_id)

    @property
    def loaders(self) -> Loaders:
        """This operation's DataLoaders, made on first use.

        An HTTP context serves one operation, so its loaders cache. A websocket's context
        serves every operation of the connection: its loaders only batch, so each
        subscription message reads fresh rows.
        """
        if self._loaders is None:
            self._loaders = Loaders(cache=self.remember_session)
        return self._loaders

    def forget_session(self) -> None:
        self._session, self._looked_up, self._spoken = None, True, None

    @contextmanager
    def open_subscription(self, name: str) -> Iterator[None]:
        """Counts a subscription as open (metrics) while the block runs."""
        gauge = self.services.metrics.open_subscriptions.labels(name)
        gauge.inc()
        try:
            yield
        finally:
            gauge.dec()
