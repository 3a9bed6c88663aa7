"""Concurrent calls for one key share the first call's answer (a "single flight").

When one event wakes a thousand subscribers at once, each would read the same row: the
first read is shared by all that ask while it runs. A key names what makes the answer
fresh enough (e.g. the attempt and the event that woke them), so no caller is handed an
answer older than what it asks for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    def __init__(self) -> None:
        self._flights: dict[K, asyncio.Future[V]] = {}

    async def run(self, key: K, call: Callable[[], Awaitable[V]]) -> V:
        running = self._flights.get(key)
        if running is not None:
            return await asyncio.shield(running)
        flight: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._flights[key] = flight
        try:
            value = await call()
        except BaseException as error:
            flight.set_exception(error)
            flight.exception()  # retrieved here: no "never retrieved" warning when alone
            raise
        else:
            flight.set_result(value)
            return value
        finally:
            del self._flights[key]
