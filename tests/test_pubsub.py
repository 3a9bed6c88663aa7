"""The pub/sub port: in-process, and through Redis with one subscriber connection a process."""

from __future__ import annotations

import asyncio
import uuid

from redis.asyncio import BlockingConnectionPool, Redis

from services.pubsub import RESYNC, LocalPubSub, RedisPubSub


async def test_local_subscribers_get_what_is_published_after_they_subscribe() -> None:
    pubsub = LocalPubSub()
    await pubsub.publish("c", "before")
    async with pubsub.subscribe("c") as first, pubsub.subscribe("c") as second:
        await pubsub.publish("c", "after")
        assert await first.get() == await second.get() == "after"
        assert first.empty()
    await pubsub.publish("c", "nobody listens")  # no subscriber left: nothing kept


def _small_pool(redis_url: str, size: int, name: str) -> Redis:
    """A pool whose connections carry `name`, so a test counts its own among the server's."""
    return Redis(
        connection_pool=BlockingConnectionPool.from_url(
            redis_url, max_connections=size, timeout=5, client_name=name
        )
    )


async def test_redis_carries_a_message_from_one_process_to_another(redis_url: str) -> None:
    channel = f"test:{uuid.uuid4().hex}"
    publisher, subscriber = (
        RedisPubSub(Redis.from_url(redis_url)),
        RedisPubSub(Redis.from_url(redis_url)),
    )
    try:
        async with subscriber.subscribe(channel) as messages:
            # Subscribed means confirmed: a publish right now is not lost.
            await publisher.publish(channel, "changed")
            assert await asyncio.wait_for(messages.get(), 5) == "changed"
    finally:
        for side in (publisher, subscriber):
            await side.aclose()
            await side.redis.aclose()


async def _clients(redis: Redis) -> list[dict[str, str]]:
    return [dict(c) for c in await redis.client_list()]  # type: ignore[misc]


async def test_many_subscriptions_share_one_connection_within_a_small_pool(
    redis_url: str,
) -> None:
    """More subscriptions than the pool holds, at once: every one gets its message."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    pubsub = RedisPubSub(_small_pool(redis_url, 2, name))
    probe = Redis.from_url(redis_url)
    channels = [f"test:{uuid.uuid4().hex}" for _ in range(60)]
    try:
        async with asyncio.TaskGroup() as group:
            ready = asyncio.Event()
            entered = 0
            received: list[str] = []

            async def listen(channel: str) -> None:
                nonlocal entered
                async with pubsub.subscribe(channel) as messages:
                    entered += 1
                    if entered == len(channels):
                        ready.set()
                    received.append(await asyncio.wait_for(messages.get(), 10))

            for channel in channels:
                group.create_task(listen(channel))
            await asyncio.wait_for(ready.wait(), 10)
            ours = [c for c in await probe.client_list() if c.get("name") == name]
            subscribers = [c for c in ours if int(c.get("sub", 0)) > 0]
            assert len(subscribers) == 1  # one subscriber connection for all 60
            await asyncio.gather(*(pubsub.publish(c, "changed") for c in channels))
        assert received == ["changed"] * len(channels)
    finally:
        await pubsub.aclose()
        await pubsub.redis.aclose()
        await probe.aclose()


async def test_a_dropped_connection_comes_back_and_subscribers_re_read(redis_url: str) -> None:
    pubsub = RedisPubSub(Redis.from_url(redis_url), retry_base_s=0.01)
    probe = Redis.from_url(redis_url)
    channel = f"test:{uuid.uuid4().hex}"
    try:
        async with pubsub.subscribe(channel) as messages:
            await probe.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
            # The subscriber learns it may have missed something...
            assert await asyncio.wait_for(messages.get(), 10) == RESYNC
            # ...and what is published afterwards reaches it again.
            for _ in range(100):
                if await probe.pubsub_numsub(channel) == [(channel.encode(), 1)]:
                    break
                await asyncio.sleep(0.02)
            await pubsub.publish(channel, "changed")
            assert await asyncio.wait_for(messages.get(), 10) == "changed"
    finally:
        await pubsub.aclose()
        await pubsub.redis.aclose()
        await probe.aclose()
