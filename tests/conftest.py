"""Fixtures: one migrated database per pytest process, a fresh app lifespan per test.

SQLite by default; PostgreSQL when ONRAMP_TEST_DATABASE_URL is set, on a database
made for this process and dropped at the end.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from redis.asyncio import Redis
from tortoise import Tortoise, connections

from api.app import create_app
from api.settings import Settings
from models.config import APP_LABEL
from models.migrate import apply_migrations
from services.clock import Clock

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"
CLIENT_IP = "198.51.100.10"
# Tests that need Redis use a database of their own, emptied before each: rate-limit
# counts left by an earlier run must not refuse this one. Two checkouts testing at once
# each set ONRAMP_TEST_REDIS_URL to a database of their own.
TEST_REDIS_URL = os.environ.get("ONRAMP_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "asyncpg://"))


async def _admin(url: str) -> asyncpg.Connection:
    server = url.replace("asyncpg://", "postgres://", 1).rsplit("/", 1)[0]
    return await asyncpg.connect(server + "/postgres")


@pytest.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    base = os.environ.get("ONRAMP_TEST_DATABASE_URL")
    if not base:
        url = f"sqlite://{tmp_path_factory.mktemp('db') / 'onramp.sqlite3'}"
        await apply_migrations(url)
        yield url
        return
    name = f"{base.rsplit('/', 1)[1]}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = await _admin(base)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = f"{base.rsplit('/', 1)[0]}/{name}"
        await apply_migrations(url)
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    client = Redis.from_url(TEST_REDIS_URL)
    try:
        await client.flushdb()
        yield TEST_REDIS_URL
    finally:
        await client.aclose()


@pytest.fixture
def is_postgres(database_url: str) -> bool:
    return _is_postgres(database_url)


@pytest.fixture
def settings_for(database_url: str, tmp_path: Path) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "env": "development",
            "database_url": database_url,
            "secret_key": TEST_SECRET,
            "public_url": "http://testserver.local",
            "frontend_url": "https://app.example.test",
            "redis_url": None,
            "smtp_host": None,
            "sms_webhook_url": None,
            "trusted_proxies": [],
            "allowed_origins": [],
        }
        values.update(overrides)
        return Settings(**values)

    return make


async def _empty_tables() -> None:
    models = list(Tortoise.apps[APP_LABEL].values())
    tables = [model._meta.db_table for model in models]
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        await connection.execute_script(
            "TRUNCATE " + ", ".join(f'"{table}"' for table in tables) + " CASCADE"
        )
    else:
        for table in tables:
            await connection.execute_script(f'DELETE FROM "{table}"')


@pytest.fixture
def app_factory(settings_for: Callable[..., Settings]):
    """Starts an app's lifespan on the test database; one at a time per test.

    `jobs=False` starts no periodic job: the test takes their steps (`take_step`) itself.
    The garbage collector is left alone unless `settle_heap=True` (a full collection at
    every start would cost the suite a minute).
    """

    @asynccontextmanager
    async def start(
        clock: Clock | None = None,
        truncate: bool = True,
        jobs: bool = True,
        tracer_provider: Any = None,
        settle_heap: bool = False,
        **overrides: Any,
    ) -> AsyncIterator[Any]:
        app = create_app(
            settings_for(**overrides),
            clock=clock,
            start_jobs=jobs,
            tracer_provider=tracer_provider,
            settle_heap=settle_heap,
        )
        async with LifespanManager(app):
            if truncate:
                await _empty_tables()
            yield app

    return start


async def take_step(app: Any, job_name: str) -> object:
    """Takes one step of the app's job by that name, as its runner would."""
    steps = {job.name: job.step for job in app.state.jobs}
    assert job_name in steps, f"no job {job_name!r}: {sorted(steps)}"
    return await steps[job_name]()


def http_client(app: Any, client_ip: str = CLIENT_IP) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(client_ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver.local")


@pytest.fixture
async def app(app_factory) -> AsyncIterator[Any]:
    async with app_factory() as started:
        yield started


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with http_client(app) as session:
        yield session


class GraphQLClient:
    """Posts operations as a browser or GraphiQL would, and returns the decoded body."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.headers: dict[str, str] = {}

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> dict[str, Any]:
        response = await self.post(query, variables, **headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> httpx.Response:
        return await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={**self.headers, **headers},
        )


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(client)


async def outbox(app: Any) -> list[dict[str, Any]]:
    """The messages the server wrote, newest first, read as a developer would."""
    async with http_client(app, client_ip="127.0.0.1") as local:
        response = await local.get("/dev/outbox.json")
    assert response.status_code == 200, response.text
    return response.json()["messages"]


async def latest_code(app: Any, recipient: str) -> str:
    for message in await outbox(app):
        if message["recipient"].casefold() == recipient.casefold():
            codes = re.findall(r"^(\d{6})$", message["body"], flags=re.MULTILINE)
            assert codes, f"no code in the newest message to {recipient}: {message['kind']}"
            return codes[0]
    raise AssertionError(f"no message to {recipient}")
