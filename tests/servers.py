"""Real `onramp serve` processes (uvicorn) beside the test's app, on the same database (and
Redis): what several processes of one deployment share, and what a signal does to one."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import TEST_SECRET

ROOT = Path(__file__).resolve().parent.parent
SERVE = [sys.executable, "-m", "api", "serve"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`python -m api serve` on a free port; its log (JSON lines) is kept in a file.

    `settings` are more ONRAMP_ variables, named without the prefix (`READ_CACHE_TTL_S`);
    `env` any other variables.
    """

    def __init__(
        self,
        database_url: str,
        redis_url: str | None = None,
        *,
        workers: int = 1,
        env: dict[str, str] | None = None,
        **settings: str,
    ) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ONRAMP_")}
        self.env |= {
            "ONRAMP_DATABASE_URL": database_url,
            "ONRAMP_SECRET_KEY": TEST_SECRET,
            "ONRAMP_PUBLIC_URL": "http://testserver.local",
            "ONRAMP_FRONTEND_URL": "https://app.example.test",
            "ONRAMP_LOG_FORMAT": "json",
            "PYTHONPATH": str(ROOT),
            **({"ONRAMP_REDIS_URL": redis_url} if redis_url else {}),
            **{f"ONRAMP_{name}": value for name, value in settings.items()},
            **(env or {}),
        }
        self.log = Path(tempfile.mkstemp(prefix="onramp-serve-", suffix=".log")[1])
        self.process: subprocess.Popen[bytes] | None = None
        self._kept_log: str | None = None

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: ASYNC220 (returns at once)
                [*SERVE, "--port", str(self.port), "--workers", str(self.workers)],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        async with httpx.AsyncClient() as probe:
            for _ in range(400):
                assert self.process.poll() is None, f"the server exited: {self.log_text()}"
                with contextlib.suppress(httpx.HTTPError):
                    if (await probe.get(f"{self.base}/readyz")).status_code == 200:
                        return
                await asyncio.sleep(0.05)
        raise AssertionError(f"the server did not become ready: {self.log_text()}")

    def signal(self, sig: int = signal.SIGTERM) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    async def exited(self, within_s: float) -> int:
        """The exit status once the process has ended; fails if it takes longer."""
        assert self.process is not None
        return await asyncio.to_thread(self.process.wait, within_s)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def log_text(self) -> str:
        if self._kept_log is not None:
            return self._kept_log
        return self.log.read_text(errors="replace")

    def discard_log(self) -> None:
        """Keeps what the log says in memory, and removes its file."""
        self._kept_log = self.log_text()
        self.log.unlink(missing_ok=True)

    def log_records(self) -> list[dict[str, Any]]:
        """Every line of the log, decoded: each must be one JSON object."""
        return [json.loads(line) for line in self.log_text().splitlines() if line]

    async def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Its /metrics (read from loopback), as {(sample name, sorted labels): value}."""
        async with httpx.AsyncClient() as client:
            response = await client.get(f"{self.base}/metrics")
        assert response.status_code == 200, response.text
        return parse_metrics(response.text)


def parse_metrics(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@contextlib.asynccontextmanager
async def serving(
    database_url: str, redis_url: str | None = None, **options: Any
) -> AsyncIterator[Server]:
    """A started server, stopped (SIGTERM, then SIGKILL) however the test ends."""
    server = Server(database_url, redis_url, **options)
    try:
        await server.start()
        yield server
    finally:
        await asyncio.to_thread(server.stop)
        server.discard_log()


@contextlib.asynccontextmanager
async def second_process(database_url: str, redis_url: str, **settings: str) -> AsyncIterator[str]:
    """Yields the other process's base URL (`http://127.0.0.1:PORT`) once it is ready."""
    async with serving(database_url, redis_url, **settings) as server:
        yield server.base
