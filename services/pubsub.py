"""Publish/subscribe for live updates: in-process by default, Redis across processes.

A subscriber is listening once `subscribe` has entered, so a caller can subscribe first and
read the current state second without missing a change that falls between the two.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from redis.asyncio import Redis


class PubSub(Protocol):
    async def publish(self, channel: str, message: str) -> None: ...

    def subscribe(self, *channels: str) -> AbstractAsyncContextManager[asyncio.Queue[str]]: ...


class LocalPubSub:
    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[str]]] = defaultdict(set)

    async def publish(self, channel: str, message: str) -> None:
        for queue in list(self._queues.get(channel, ())):
            queue.put_nowait(message)

    @asynccontextmanager
    async def subscribe(self, *channels: str) -> AsyncIterator[asyncio.Queue[str]]:
        queue: asyncio.Queue[str] = asyncio.Queue()
        for channel in channels:
            self._queues[channel].add(queue)
        try:
            yield queue
        finally:
            for channel in channels:
                self._queues[channel].discard(queue)
                if not self._queues[channel]:
                    del self._queues[channel]


class RedisPubSub:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def publish(self, channel: str, message: str) -> None:
        await self.redis.publish(channel, message)

    @asynccontextmanager
    async def subscribe(self, *channels: str) -> AsyncIterator[asyncio.Queue[str]]:
        queue: asyncio.Queue[str] = asyncio.Queue()
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(*channels)
        # Wait for Redis to confirm every channel: only then is nothing missed.
        confirmed = 0
        while confirmed < len(channels):
            message = await pubsub.get_message(timeout=5.0)
            if message is None:
                raise TimeoutError("Redis did not confirm the subscription")
            if message["type"] == "subscribe":
                confirmed += 1

        async def pump() -> None:
            async for message in pubsub.listen():
                if message["type"] == "message":
                    data = message["data"]
                    queue.put_nowait(data.decode() if isinstance(data, bytes) else data)

        task = asyncio.create_task(pump())
        try:
            yield queue
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await pubsub.aclose()
