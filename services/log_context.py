"""Where a log line comes from: the request (or job step) and GraphQL operation it serves.

A `Trail` is set for every HTTP request and websocket (by api/observability.py) and for every
step of a background job (services/jobs.py); the logging configuration writes its request id,
and its operation name where there is one, into every line. The GraphQL extension that learns
the operation writes it here, so that the resolvers' own lines and the access line name it.
"""

from __future__ import annotations

import os
from contextvars import ContextVar, Token
from dataclasses import dataclass

# A GraphQL name is at most this long in a log line or a label (the grammar allows any length).
MAX_NAME = 64


@dataclass(slots=True)
class Trail:
    request_id: str
    # The operation's name as the client gave it (or the document's), where there is one.
    operation: str | None = None
    # What ran, bounded by the schema: "<type> <first root field>", e.g. "mutation register".
    graphql: str | None = None
    # A websocket carries many operations: each names itself on a Trail of its own.
    shared: bool = False


_current: ContextVar[Trail | None] = ContextVar("trail", default=None)


def new_id() -> str:
    """A fresh request id: 128 random bits in hex."""
    return os.urandom(16).hex()


def current() -> Trail | None:
    return _current.get()


def begin(trail: Trail) -> Token[Trail | None]:
    return _current.set(trail)


def end(token: Token[Trail | None]) -> None:
    _current.reset(token)


def name_operation(operation: str | None, graphql: str) -> None:
    """Records the operation being executed on the current trail.

    An HTTP request serves one operation: its trail is named, so its access line says which.
    A websocket's operations run side by side, each in a task of its own: each gets a trail
    of its own with the socket's request id, so one operation's lines never name another.
    """
    trail = _current.get()
    if trail is None:
        return
    name = operation[:MAX_NAME] if operation else None
    if trail.shared:
        _current.set(Trail(trail.request_id, name, graphql))
    else:
        trail.operation, trail.graphql = name, graphql
