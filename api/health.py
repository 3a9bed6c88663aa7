"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse
from tortoise import connections

log = logging.getLogger("onramp.health")
PROBE_TIMEOUT_S = 2.0


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    if request.app.state.shutdown.draining:
        # SIGTERM came: the load balancer should send nothing more here.
        return JSONResponse({"status": "shutting down", "checks": {}}, status_code=503)
    checks = {"database": await _probe(_database)}
    redis = request.app.state.redis
    if redis is not None:
        checks["redis"] = await _probe(redis.ping)
    ready = all(checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )


async def _database() -> None:
    await connections.get("default").execute_query("SELECT 1")


async def _probe(check: Callable[[], Awaitable[object]]) -> bool:
    try:
        await asyncio.wait_for(check(), PROBE_TIMEOUT_S)
    except Exception as error:  # a probe answers; it never raises
        log.warning("readiness check failed: %s", type(error).__name__)
        return False
    return True
