"""Two processes serve as one: a change made through one reaches a subscriber on the other
through the real Redis."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import websockets

from tests.conftest import TEST_SECRET, GraphQLClient, http_client
from tests.flows import bind, ready_for_card, tokenize

ROOT = Path(__file__).resolve().parent.parent
SUBSCRIPTION = """subscription($id: ID!) { cardBindingUpdates(attemptId: $id) { status } }"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@asynccontextmanager
async def _second(database_url: str, redis_url: str) -> AsyncIterator[str]:
    """A second server process (real uvicorn) on the same database and Redis."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONRAMP_")}
    env |= {
        "ONRAMP_DATABASE_URL": database_url,
        "ONRAMP_REDIS_URL": redis_url,
        "ONRAMP_SECRET_KEY": TEST_SECRET,
        "ONRAMP_PUBLIC_URL": "http://testserver.local",
        "ONRAMP_FRONTEND_URL": "https://app.example.test",
        "PYTHONPATH": str(ROOT),
    }
    process = subprocess.Popen(  # noqa: ASYNC220 (a server for the whole test)
        [sys.executable, "-m", "api", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as probe:
            for _ in range(200):
                try:
                    if (await probe.get(f"{base}/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the second process did not become ready")
        yield f"ws://127.0.0.1:{port}/graphql"
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_a_subscriber_on_another_process_sees_the_change(
    app_factory, database_url, redis_url
) -> None:
    async with app_factory(redis_url=redis_url) as app:
        gql = GraphQLClient(http_client(app))
        token = await ready_for_card(gql, app, "fan.out@example.com")
        card = (await tokenize(gql, "4242 4242 4242 4242")).json()["id"]
        attempt = (await bind(gql, card, "fan-out"))["attempt"]

        async with (
            _second(database_url, redis_url) as url,
            websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws,
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
