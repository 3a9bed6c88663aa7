"""Open GraphQL websockets by session, so that ending a session ends its sockets too.

Sessions end in any process (logout, password reset); the ids travel on the pub/sub
channel, and every process closes the sockets it holds for them.
"""

from __future__ import annotations

import contextlib
import logging
import weakref
from collections import defaultdict
from uuid import UUID

from starlette.websockets import WebSocket, WebSocketState

from services.pubsub import PubSub
from services.sessions import REVOKED_CHANNEL

log = logging.getLogger("onramp.sockets")
SESSION_ENDED = 4401


class SocketRegistry:
    def __init__(self) -> None:
        self._by_session: dict[UUID, weakref.WeakSet[WebSocket]] = defaultdict(weakref.WeakSet)

    def add(self, session_id: UUID, websocket: WebSocket) -> None:
        self._by_session[session_id].add(websocket)

    async def close_sessions(self, session_ids: list[UUID]) -> None:
        for session_id in session_ids:
            for websocket in list(self._by_session.pop(session_id, ())):
                if websocket.application_state is WebSocketState.CONNECTED:
                    with contextlib.suppress(RuntimeError):
                        await websocket.close(code=SESSION_ENDED, reason="Session ended")

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
