"""The pub/sub port: in-process, and through Redis across separate connections."""

from __future__ import annotations

import asyncio
import uuid

from redis.asyncio import Redis

from services.pubsub import LocalPubSub, RedisPubSub

REDIS_URL = "redis://127.0.0.1:6379/0"


async def test_local_subscribers_get_what_is_published_after_they_subscribe() -> None:
    pubsub = LocalPubSub()
    await pubsub.publish("c", "before")
    async with pubsub.subscribe("c") as first, pubsub.subscribe("c") as second:
        await pubsub.publish("c", "after")
        assert await first.get() == await second.get() == "after"
        assert first.empty()
    await pubsub.publish("c", "nobody listens")  # no subscriber left: nothing kept


async def test_redis_carries_a_message_from_one_process_to_another() -> None:
    channel = f"test:{uuid.uuid4().hex}"
    publisher_redis, subscriber_redis = Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)
    try:
        publisher, subscriber = RedisPubSub(publisher_redis), RedisPubSub(subscriber_redis)
        async with subscriber.subscribe(channel) as messages:
            # Subscribed means confirmed: a publish right now is not lost.
            await publisher.publish(channel, "changed")
            assert await asyncio.wait_for(messages.get(), 5) == "changed"
    finally:
        await publisher_redis.aclose()
        await subscriber_redis.aclose()
