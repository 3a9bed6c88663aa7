"""`onramp serve --workers 2`: /metrics adds up what every worker counted, whichever answers.

Several workers need PostgreSQL and Redis (the CLI refuses them otherwise), so this runs in
the PostgreSQL pass (`make test-postgres`), against a real two-worker server.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector

from tests.servers import serving

HEALTHZ = {"method": "GET", "route": "/healthz", "operation": "", "status": "200"}


def _pids(directory: Path, kind: str) -> set[str]:
    return {
        m.group(1) for f in directory.iterdir() if (m := re.fullmatch(rf"{kind}_(\d+)\.db", f.name))
    }


def _healthz_of(directory: Path, pid: str) -> float:
    """What one worker counted, read from its own file (made at its first count)."""
    counters = directory / f"counter_{pid}.db"
    if not counters.exists():
        return 0.0
    for family in MultiProcessCollector.merge([str(counters)]):
        for sample in family.samples:
            if sample.name == "onramp_http_requests_total" and sample.labels == HEALTHZ:
                return sample.value
    return 0.0


async def test_two_workers_add_up_in_one_answer(
    app_factory, database_url, redis_url, is_postgres, tmp_path
) -> None:
    if not is_postgres:
        pytest.skip("--workers 2 needs PostgreSQL: this runs in `make test-postgres`")
    shared = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    async with app_factory(jobs=False):
        async with serving(database_url, redis_url, workers=2, env=shared) as server:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 20
            # Each worker writes its live gauges' file as it starts.
            while len(_pids(tmp_path, "gauge_livesum")) < 2:
                assert loop.time() < deadline, "the second worker did not start"
                await asyncio.sleep(0.05)
            workers = _pids(tmp_path, "gauge_livesum")
            sent = 0
            # A connection of its own for each request: the workers take turns accepting.
            while sent < 400 and not all(_healthz_of(tmp_path, pid) for pid in workers):
                async with httpx.AsyncClient() as client:
                    assert (await client.get(f"{server.base}/healthz")).status_code == 200
                sent += 1
            per_worker = {pid: _healthz_of(tmp_path, pid) for pid in workers}
            metrics = await server.metrics()
        left = _pids(tmp_path, "gauge_livesum")

    assert all(per_worker.values()), per_worker  # both answered some
    assert sum(per_worker.values()) == sent
    key = ("onramp_http_requests_total", tuple(sorted(HEALTHZ.items())))
    assert metrics[key] == sent  # one scrape of one worker: the sum of both
    assert left == set()  # each worker took its live gauges away as it stopped
