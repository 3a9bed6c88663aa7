"""Open GraphQL websockets by session, so that ending a session ends its sockets too, and
all of them, so that a process shutting down closes each with 1001 (going away).

Sessions end in any process (logout, password reset); the ids travel on the pub/sub
channel, and every process closes the sockets it holds for them. Each socket is closed on
its own: one that its client has already left (closing it raises) must not keep the others
of the session, or of the sessions after it, open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from uuid import UUID

from starlette.websockets import WebSocket, WebSocketState

from services.pubsub import PubSub
from services.sessions import REVOKED_CHANNEL

log = logging.getLogger("onramp.sockets")
SESSION_ENDED = 4401
GOING_AWAY = 1001


def _open(websocket: WebSocket) -> bool:
    return (
        websocket.application_state is WebSocketState.CONNECTED
        and websocket.client_state is WebSocketState.CONNECTED
    )


class SocketRegistry:
    def __init__(self) -> None:
        # Weak: a socket nobody else holds any more is gone from here too.
        self._by_session: dict[UUID, weakref.WeakSet[WebSocket]] = {}
        self._all: weakref.WeakSet[WebSocket] = weakref.WeakSet()

    def track(self, websocket: WebSocket) -> None:
        """Every accepted GraphQL websocket, signed in or not."""
        self._all.add(websocket)

    async def close_all(self, code: int = GOING_AWAY, reason: str = "Server shutting down") -> None:
        """Closes every open socket at once; one that fails to close holds up no other."""
        await asyncio.gather(*(self._close(ws, code, reason) for ws in list(self._all)))

    def add(self, session_id: UUID, websocket: WebSocket) -> None:
        self._drop_ended()
        self._by_session.setdefault(session_id, weakref.WeakSet()).add(websocket)

    def _drop_ended(self) -> None:
        """Forgets sockets whose connection has ended, and sessions left without one."""
        for session_id, sockets in list(self._by_session.items()):
            for websocket in list(sockets):
                if not _open(websocket):
                    sockets.discard(websocket)
            if not sockets:
                del self._by_session[session_id]

    async def close_sessions(self, session_ids: list[UUID]) -> None:
        for session_id in session_ids:
            for websocket in list(self._by_session.pop(session_id, ())):
                await self._close(websocket, SESSION_ENDED, "Session ended")

    async def _close(self, websocket: WebSocket, code: int, reason: str) -> None:
        if not _open(websocket):
            return  # the client left, or the server already closed it: nothing to end
        try:
            await websocket.close(code=code, reason=reason)
        except Exception as error:
            # Whatever one socket does, the rest still close. Typically its client left
            # while we were closing (WebSocketDisconnect, OSError).
            log.info("a socket to close (%d) was already gone: %r", code, error)

    async def listen(self, pubsub: PubSub) -> None:
        async with pubsub.subscribe(REVOKED_CHANNEL) as revoked:
            while True:
                message = await revoked.get()
                ids = []
                for item in message.split(","):
                    with contextlib.suppress(ValueError):
                        ids.append(UUID(item))
                try:
                    await self.close_sessions(ids)
                except Exception:
                    log.exception("closing sockets of ended sessions failed")
