"""A second server process (real uvicorn) beside the test's app, on the same database and
Redis: what several processes of one deployment share."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from tests.conftest import TEST_SECRET

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@asynccontextmanager
async def second_process(database_url: str, redis_url: str, **settings: str) -> AsyncIterator[str]:
    """Yields the other process's base URL (`http://127.0.0.1:PORT`) once it is ready;
    `settings` are more ONRAMP_ variables, named without the prefix (`READ_CACHE_TTL_S`)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONRAMP_")}
    env |= {
        "ONRAMP_DATABASE_URL": database_url,
        "ONRAMP_REDIS_URL": redis_url,
        "ONRAMP_SECRET_KEY": TEST_SECRET,
        "ONRAMP_PUBLIC_URL": "http://testserver.local",
        "ONRAMP_FRONTEND_URL": "https://app.example.test",
        "PYTHONPATH": str(ROOT),
        **{f"ONRAMP_{name}": value for name, value in settings.items()},
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
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
