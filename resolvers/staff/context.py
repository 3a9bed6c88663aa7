"""What a staff resolver may know of its request: the staff session, never a customer's."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from models.staff import StaffSession
from resolvers.context import CookieJar
from resolvers.loaders import Loaders
from services.accounts import Caller
from services.runtime import Services
from services.staff.audit import Actor


@dataclass
class StaffContext:
    request: Any
    response: Any
    request_id: str
    client_ip: str
    user_agent: str
    services: Services
    token: str | None
    cookie: CookieJar
    _session: StaffSession | None = field(default=None, init=False)
    _looked_up: bool = field(default=False, init=False)
    _lookup: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)
    _loaders: Loaders | None = field(default=None, init=False)

    @property
    def caller(self) -> Caller:
        return Caller(client_ip=self.client_ip, user_agent=self.user_agent)

    async def session(self) -> StaffSession | None:
        """The live staff session of the request's credential, of a member not disabled."""
        async with self._lookup:
            if not self._looked_up:
                found = await self.services.staff_sessions.find(self.token)
                self._session = found if found and found.staff.disabled_at is None else None
                self._looked_up = True
        return self._session

    def actor(self, session: StaffSession) -> Actor:
        return Actor.staff(session.staff, self.client_ip)

    @property
    def loaders(self) -> Loaders:
        """This request's DataLoaders (an HTTP request is one operation: they cache)."""
        if self._loaders is None:
            self._loaders = Loaders()
        return self._loaders

    def forget_session(self) -> None:
        self._session, self._looked_up = None, True

    async def after_mutation(self) -> None:
        """Nothing to announce: the services staff call announce the accounts they change."""
