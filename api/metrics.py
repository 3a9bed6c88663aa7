"""`GET /metrics`: Prometheus' text format, to loopback clients or with the metrics token.

A scraper on the same host reads it freely; any other needs `Authorization: Bearer
ONRAMP_METRICS_TOKEN` (and without that setting, none may). With `PROMETHEUS_MULTIPROC_DIR`
set (several worker processes), the answer adds up the files of every process, whichever
process answers.
"""

from __future__ import annotations

import hmac
import logging
import os

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from api.observability import is_loopback
from services.metrics import Metrics

log = logging.getLogger("onramp.metrics")


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def _allowed(request: Request) -> bool:
    if is_loopback(request.scope):
        return True
    expected = request.app.state.settings.metrics_token
    offered = request.headers.get("authorization", "")
    return bool(expected) and hmac.compare_digest(offered.encode(), f"Bearer {expected}".encode())


async def metrics(request: Request) -> Response:
    if not _allowed(request):
        return PlainTextResponse(
            "Metrics are served to loopback clients, or with the metrics token.\n",
            status_code=401,
            headers={"www-authenticate": 'Bearer realm="metrics"'},
        )
    services = request.app.state.services
    recorded: Metrics = services.metrics
    recorded.sample_database_pool()
    try:
        await recorded.sample_outbox()
    except Exception as error:  # the rest of the series still answer
        log.warning("reading the outbox backlog failed: %s", type(error).__name__)
    registry = recorded.registry
    directory = multiprocess_dir()
    if directory:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=directory)
    # The classic text format's type, which every Prometheus version reads.
    return Response(generate_latest(registry), headers={"content-type": CONTENT_TYPE_PLAIN_0_0_4})
