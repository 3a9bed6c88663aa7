"""Request ids, the access line, HTTP metrics and the logging configuration.

One middleware does everything a request needs to be followed (a request id in scope, in
the logging context and in the response; one access line; the request counters; the request
id on the trace's span), so the hot path pays for one layer, not four. Websockets are
counted while open and closed with 1001 when the process shuts down (api/shutdown.py).

Logs go through one configuration (`configure_logging`): JSON lines (python-json-logger)
outside development, text in development, `ONRAMP_LOG_FORMAT` to choose; every line carries
the request id of the request or job step it belongs to, and the GraphQL operation's name
where there is one (services/log_context.py).
"""

from __future__ import annotations

import ipaddress
import logging
import re
import sys
import time
from collections.abc import Callable
from typing import IO, Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services import log_context
from services.metrics import Metrics

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_HEADER = REQUEST_ID_HEADER.encode()
# A caller's id is echoed only when it is short and plain, so logs cannot be forged through it.
_ACCEPTABLE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
NO_ROUTE = "(no route)"
GOING_AWAY = 1001
# What the access line and the metrics say of a request whose client left before it was
# read (nginx's "client closed request"): no answer was sent, and nothing went wrong here.
CLIENT_CLOSED_REQUEST = 499

access_log = logging.getLogger("onramp.access")


def _offered_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == _REQUEST_ID_HEADER:
            offered = value.decode("latin-1")
            return offered if _ACCEPTABLE_ID.match(offered) else None
    return None


def _client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "-"


def is_loopback(scope: Scope) -> bool:
    try:
        return ipaddress.ip_address(_client_ip(scope)).is_loopback
    except ValueError:
        return False


class Observability:
    """Request id, access line, metrics and span attributes of every request, in one layer.

    The route is the matched template (`/sandbox/bank/{token}`), never the path itself: a
    path may carry a secret, such as the bank page's single-use token.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: Metrics | None,
        traced: bool = False,
        draining: Callable[[], bool] = lambda: False,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.traced = traced
        self.draining = draining
        # Labelled children, looked up once: `labels()` takes a lock and checks its input.
        self._counters: dict[tuple[str, str, str, int], Any] = {}
        self._histograms: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request_id = _offered_id(scope) or log_context.new_id()
        scope.setdefault("state", {})["request_id"] = request_id
        trail = log_context.Trail(request_id)
        token = log_context.begin(trail)
        header = (_REQUEST_ID_HEADER, request_id.encode())
        status = 500  # what the client gets when the app fails before answering
        metrics = self.metrics
        if metrics is not None:
            metrics.requests_in_progress.inc()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
                if self.traced:
                    # Now: the instrumentation ends the span once the response is sent.
                    _name_span(scope, request_id, trail)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except ClientDisconnect:
            status = CLIENT_CLOSED_REQUEST  # not an error: no traceback, no 500
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or NO_ROUTE
            method = scope.get("method", "-")
            operation = trail.graphql or ""
            if metrics is not None:
                metrics.requests_in_progress.dec()
                self._count(metrics, method, route, operation, status, elapsed)
            if access_log.isEnabledFor(logging.INFO):
                self._log(scope, method, route, status, elapsed, operation)
            log_context.end(token)

    @staticmethod
    def _log(
        scope: Scope, method: str, route: str, status: int, elapsed: float, operation: str
    ) -> None:
        """The access line: a sentence for text logs, and its parts as fields for JSON."""
        client_ip = _client_ip(scope)
        fields: dict[str, object] = {
            "method": method,
            "route": route,
            "status": status,
            "duration_ms": round(elapsed * 1000, 2),
            "client_ip": client_ip,
        }
        if operation:
            fields["graphql"] = operation
        access_log.info(
            "%s %s %s %.1fms %s%s",
            method,
            route,
            status,
            elapsed * 1000,
            client_ip,
            f" {operation}" if operation else "",
            extra=fields,
        )

    def _count(
        self,
        metrics: Metrics,
        method: str,
        route: str,
        operation: str,
        status: int,
        elapsed: float,
    ) -> None:
        key = (method, route, operation, status)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = metrics.requests.labels(
                method, route, operation, str(status)
            )
        counter.inc()
        timing = self._histograms.get((route, operation))
        if timing is None:
            timing = self._histograms[(route, operation)] = metrics.request_seconds.labels(
                route, operation
            )
        timing.observe(elapsed)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """One trail and one access line per socket; open sockets are counted."""
        started = time.perf_counter()
        request_id = _offered_id(scope) or log_context.new_id()
        scope.setdefault("state", {})["request_id"] = request_id
        token = log_context.begin(log_context.Trail(request_id, shared=True))
        if self.draining():
            # Shutting down: a socket opened now would be closed again at once. Closed
            # before it is accepted, the handshake is refused (HTTP 403).
            await send({"type": "websocket.close", "code": GOING_AWAY})
            log_context.end(token)
            return
        status = 403  # closed before it was accepted, unless it is

        async def send_noting(message: Message) -> None:
            nonlocal status
            if message["type"] == "websocket.accept":
                status = 101
            await send(message)

        if self.metrics is not None:
            self.metrics.open_websockets.inc()
        try:
            await self.app(scope, receive, send_noting)
        finally:
            if self.metrics is not None:
                self.metrics.open_websockets.dec()
            route = getattr(scope.get("route"), "path", None) or NO_ROUTE
            elapsed = time.perf_counter() - started
            access_log.info(
                "WEBSOCKET %s %s %.1fms %s",
                route,
                status,
                elapsed * 1000,
                _client_ip(scope),
                extra={
                    "method": "WEBSOCKET",
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "client_ip": _client_ip(scope),
                },
            )
            log_context.end(token)


def _name_span(scope: Scope, request_id: str, trail: log_context.Trail) -> None:
    """The request's span is named by its route, and says nothing the path may hide."""
    from opentelemetry import trace

    span = trace.get_current_span()
    if not span.is_recording():
        return
    method = scope.get("method", "-")
    route = getattr(scope.get("route"), "path", None) or NO_ROUTE
    span.update_name(f"{method} {route}")
    span.set_attribute("http.route", route)
    span.set_attribute("onramp.request_id", request_id)
    # The instrumentation recorded the raw path, which may carry the bank page's token.
    for attribute in ("http.target", "url.path"):
        span.set_attribute(attribute, route)
    for attribute in ("http.url", "url.full"):
        span.set_attribute(attribute, route)
    if trail.graphql:
        span.set_attribute("graphql.operation.type", trail.graphql.split(" ", 1)[0])
        span.set_attribute("onramp.graphql", trail.graphql)
    if trail.operation:
        span.set_attribute("graphql.operation.name", trail.operation)


class TrailFilter(logging.Filter):
    """Writes the trail's request id, and its operation where there is one, into the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        trail = log_context.current()
        if trail is None:
            record.request_id = "-"
        else:
            record.request_id = trail.request_id
            if trail.operation:
                record.operation = trail.operation
        return True


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(trail)s] %(message)s")
        self._second = -1
        self._stamp = ""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """As logging's own (`2026-11-26 14:30:00,123`), its date written once a second."""
        second = int(record.created)
        if second != self._second:  # under the handler's lock
            self._stamp = time.strftime(self.default_time_format, self.converter(second))
            self._second = second
        return f"{self._stamp},{int(record.msecs):03d}"  # logging's default_msec_format

    def format(self, record: logging.LogRecord) -> str:
        operation = getattr(record, "operation", None)
        request_id = getattr(record, "request_id", "-")
        record.trail = f"{request_id} {operation}" if operation else request_id
        return super().format(record)


def json_formatter() -> logging.Formatter:
    """One JSON object per line: time, level, logger, message, request_id, operation (where
    there is one), the fields a line adds (`extra=`), and exc_info with its traceback."""
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
        # uvicorn adds its message again with terminal colours.
        reserved_attrs=[*RESERVED_ATTRS, "color_message"],
        json_ensure_ascii=False,
    )


def log_handler(*, json_lines: bool, stream: IO[str] | None = None) -> logging.Handler:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(TrailFilter())
    handler.setFormatter(json_formatter() if json_lines else TextFormatter())
    return handler


# Their debug lines carry SQL parameters (message bodies, codes, hashes), httpx's info lines
# whole URLs (a provider's webhook URL may hold a key), and stripe's the calls it makes.
QUIET_LOGGERS = (
    "tortoise",
    "tortoise.db_client",
    "aiosqlite",
    "asyncpg",
    "httpx",
    "httpcore",
    "stripe",
    "multipart",
    "python_multipart",
)


def configure_logging(
    level: str = "INFO", *, json_lines: bool = False, stream: IO[str] | None = None
) -> None:
    """The one logging configuration of a process: every logger's lines go through it."""
    # No line names the source line, thread or process of its call, so logging need not find
    # them out for every record (the "Optimization" section of Python's logging HOWTO).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    root = logging.getLogger()
    root.handlers[:] = [log_handler(json_lines=json_lines, stream=stream)]
    root.setLevel(level)
    logging.captureWarnings(True)
    # Never log them, whatever the level asked for.
    for noisy in QUIET_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
