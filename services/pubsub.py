"""Publish/subscribe for live updates: in-process by default, Redis across processes.

A subscriber is listening once `subscribe` has entered, so a caller can subscribe first and
read the current state second without missing a change that falls between the two. A
message is a hint that something changed, never the state itself: a subscriber reacts to
any message (RESYNC included) by reading the state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.asyncio.client import PubSub as RedisPubSubConnection
from redis.exceptions import RedisError

log = logging.getLogger("onramp.pubsub")

# Sent to local subscribers after the shared connection came back: read the state afresh.
RESYNC = "resync"
CONFIRM_TIMEOUT_S = 5.0


class Inbox:
    """The messages one subscriber has not read yet: `asyncio.Queue`'s `get`, `get_nowait`,
    `put_nowait` and `empty`, for one reader at a time, at a tenth of its size.

    Every open subscription holds one for as long as it is open: an `asyncio.Queue` makes
    four deques (~3 KiB, measured with tracemalloc), this a list and, while its reader
    waits, one future.
    """

    __slots__ = ("_items", "_waiter")

    def __init__(self) -> None:
        self._items: list[str] = []
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, message: str) -> None:
        self._items.append(message)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def empty(self) -> bool:
        return not self._items

    def get_nowait(self) -> str:
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.pop(0)

    async def get(self) -> str:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.pop(0)


class PubSub(Protocol):
    @property
    def epoch(self) -> int | None:
        """None while a message published elsewhere might not reach this process; otherwise
        a number that changes whenever the connection was made again (and messages lost)."""
        ...

    async def publish(self, channel: str, message: str) -> None: ...

    def subscribe(self, *channels: str) -> AbstractAsyncContextManager[Inbox]: ...

    async def aclose(self) -> None: ...


class LocalPubSub:
    def __init__(self) -> None:
        self._queues: dict[str, set[Inbox]] = defaultdict(set)

    @property
    def epoch(self) -> int | None:
        return 0

    async def publish(self, channel: str, message: str) -> None:
        for queue in list(self._queues.get(channel, ())):
            queue.put_nowait(message)

    @asynccontextmanager
    async def subscribe(self, *channels: str) -> AsyncIterator[Inbox]:
        queue = Inbox()
        for channel in channels:
            self._queues[channel].add(queue)
        try:
            yield queue
        finally:
            for channel in channels:
                self._queues[channel].discard(queue)
                if not self._queues[channel]:
                    del self._queues[channel]

    async def aclose(self) -> None:
        self._queues.clear()


class RedisPubSub:
    """One Redis subscriber connection per process, fanned out to local subscribers.

    Publishing goes through the client's pool; every subscription of the process shares one
    subscriber connection, on which a channel is SUBSCRIBEd while it has a local listener.
    When the connection drops, it is made again with a growing delay, every channel is
    subscribed again, and each local subscriber is sent RESYNC: what was published while
    Redis was away is lost, so a subscriber reads the state afresh.
    """

    def __init__(
        self, redis: Redis, *, retry_base_s: float = 0.1, retry_cap_s: float = 5.0
    ) -> None:
        self.redis = redis
        self.retry_base_s = retry_base_s
        self.retry_cap_s = retry_cap_s
        self._local = LocalPubSub()
        self._listeners: dict[str, int] = defaultdict(int)
        self._confirmed: dict[str, asyncio.Future[None]] = {}
        self._pubsub: RedisPubSubConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._failures = 0
        self._reconnections = 0
        # redis-py's PubSub takes a pooled connection on its first command: two commands at
        # once would take two. Commands on the shared connection go one at a time.
        self._commands = asyncio.Lock()

    @property
    def epoch(self) -> int | None:
        if self._reader is None or self._reader.done() or self._failures:
            return None
        return self._reconnections

    async def publish(self, channel: str, message: str) -> None:
        await self.redis.publish(channel, message)

    @asynccontextmanager
    async def subscribe(self, *channels: str) -> AsyncIterator[Inbox]:
        async with self._local.subscribe(*channels) as queue:
            try:
                for channel in channels:
                    await self._listen(channel)
                yield queue
            finally:
                for channel in channels:
                    await self._forget(channel)

    async def _listen(self, channel: str) -> None:
        """Returns once Redis has confirmed the channel: only then is nothing missed."""
        self._listeners[channel] += 1
        if self._listeners[channel] == 1:
            self._confirmed[channel] = asyncio.get_running_loop().create_future()
            async with self._commands:
                await self._connection().subscribe(channel)
            self._start_reader()
        waiting = self._confirmed.get(channel)
        if waiting is not None:
            await asyncio.wait_for(asyncio.shield(waiting), CONFIRM_TIMEOUT_S)

    async def _forget(self, channel: str) -> None:
        self._listeners[channel] -= 1
        if self._listeners[channel] > 0:
            return
        del self._listeners[channel]
        self._confirmed.pop(channel, None)
        with contextlib.suppress(RedisError, OSError):
            async with self._commands:
                await self._connection().unsubscribe(channel)

    def _connection(self) -> RedisPubSubConnection:
        if self._pubsub is None:
            self._pubsub = self.redis.pubsub()
        return self._pubsub

    def _start_reader(self) -> None:
        if self._reader is None or self._reader.done():
            self._reader = asyncio.create_task(self._read(), name="redis-pubsub")

    async def _read(self) -> None:
        connection = self._connection()
        while True:
            try:
                message = await connection.get_message(timeout=1.0)
            except (RedisError, OSError) as error:
                self._failures += 1
                if self._failures == 1:
                    log.warning("redis pub/sub connection lost (%s); reconnecting", error)
                delay = self.retry_base_s * 2 ** (self._failures - 1)
                await asyncio.sleep(min(delay, self.retry_cap_s))
                continue
            if self._failures:
                self._failures = 0
                self._reconnections += 1
                log.info("redis pub/sub connection is back; subscribers re-read")
                for channel in list(self._listeners):
                    await self._local.publish(channel, RESYNC)
            if message is not None:
                await self._dispatch(message)

    async def _dispatch(self, message: dict[str, Any]) -> None:
        channel = _text(message["channel"])
        if message["type"] == "subscribe":
            waiting = self._confirmed.pop(channel, None)
            if waiting is not None and not waiting.done():
                waiting.set_result(None)
        elif message["type"] == "message":
            await self._local.publish(channel, _text(message["data"]))

    async def aclose(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)
        if self._pubsub is not None:
            await self._pubsub.aclose()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
