"""Traces: OpenTelemetry, only when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) is
set; otherwise nothing of it is imported, wrapped or called.

One span per request (the ASGI instrumentation, named by route template, with the request
id as `onramp.request_id`), one per background job step, and one per database query. The
queries are traced at Tortoise's level (opentelemetry-instrumentation-tortoiseorm), which is
the one instrumentation that works for both databases as the app uses them: the asyncpg
instrumentation knows only PostgreSQL, and the sqlite3 one would see aiosqlite's worker
thread, where the request's span is not current, so its spans would start traces of their
own. Tortoise's client methods run in the request's task, so each query's span is a child of
the request's.

Spans go out over OTLP/HTTP (protobuf, port 4318 by default), configured by OpenTelemetry's
own variables: endpoint, headers, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, the sampler.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from starlette.middleware import Middleware

from api.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

# Probes and scrapes come every few seconds and say nothing worth a trace.
UNTRACED_PATHS = "/healthz,/readyz,/metrics"


def exporting_provider(settings: Settings) -> TracerProvider | None:
    """A provider that exports to the configured OTLP endpoint; None when tracing is off."""
    if not settings.tracing_enabled:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, when set, name the service instead.
    named = "OTEL_SERVICE_NAME" in os.environ or "service.name=" in os.environ.get(
        "OTEL_RESOURCE_ATTRIBUTES", ""
    )
    provider = TracerProvider(resource=Resource.create({} if named else {"service.name": "onramp"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def asgi_middleware(provider: TracerProvider) -> Middleware:
    """The ASGI instrumentation, outermost: its span is the request's."""
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    instrumentation: Any = OpenTelemetryMiddleware
    return Middleware(
        instrumentation,
        tracer_provider=provider,
        excluded_urls=UNTRACED_PATHS,
        # A span per ASGI message would outnumber the queries; the request's span is enough.
        exclude_spans=["receive", "send"],
    )


def trace_queries(provider: TracerProvider) -> None:
    from opentelemetry.instrumentation.tortoiseorm import TortoiseORMInstrumentor

    TortoiseORMInstrumentor().instrument(tracer_provider=provider)


def untrace_queries() -> None:
    from opentelemetry.instrumentation.tortoiseorm import TortoiseORMInstrumentor

    TortoiseORMInstrumentor().uninstrument()
