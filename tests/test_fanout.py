"""Two processes serve as one: a change made through one reaches a subscriber on the other
through the real Redis."""

from __future__ import annotations

import asyncio
import json

import websockets

from tests.conftest import GraphQLClient, http_client
from tests.flows import bind, ready_for_card, tokenize
from tests.servers import second_process

SUBSCRIPTION = """subscription($id: ID!) { cardBindingUpdates(attemptId: $id) { status } }"""


async def test_a_subscriber_on_another_process_sees_the_change(
    app_factory, database_url, redis_url
) -> None:
    async with app_factory(redis_url=redis_url) as app:
        gql = GraphQLClient(http_client(app))
        token = await ready_for_card(gql, app, "fan.out@example.com")
        card = (await tokenize(gql, "4242 4242 4242 4242")).json()["id"]
        attempt = (await bind(gql, card, "fan-out"))["attempt"]

        async with (
            second_process(database_url, redis_url) as base,
            websockets.connect(
                base.replace("http", "ws", 1) + "/graphql", subprotocols=["graphql-transport-ws"]
            ) as ws,
        ):
            await ws.send(
                json.dumps(
                    {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
                )
            )
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": SUBSCRIPTION, "variables": {"id": attempt["id"]}},
                    }
                )
            )
            first = json.loads(await asyncio.wait_for(ws.recv(), 5))
            # The answer reaches this process (A); the subscriber listens on the other (B).
            path = attempt["nextAction"]["redirectUrl"].removeprefix("http://testserver.local")
            await gql.http.post(path, data={"outcome": "approve"})
            second = json.loads(await asyncio.wait_for(ws.recv(), 5))

    assert first["payload"]["data"]["cardBindingUpdates"]["status"] == "REQUIRES_ACTION"
    assert second["payload"]["data"]["cardBindingUpdates"]["status"] == "SUCCEEDED"
