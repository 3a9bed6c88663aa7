"""Traces: one per request, its database queries inside it, the request id on it; nothing of
OpenTelemetry when no endpoint is set."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
import uvicorn
import wrapt
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tortoise.backends.asyncpg.client import AsyncpgDBClient
from tortoise.backends.sqlite.client import SqliteClient

from tests.conftest import GraphQLClient, http_client, latest_code
from tests.flows import REGISTER, SEND_CODE, answer_bank, bind, ready_for_card, tokenize
from tests.servers import _free_port

EMAIL = "traced@example.com"


@pytest.fixture
def exported() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def _trace_of(spans: Sequence[ReadableSpan], root: ReadableSpan) -> list[ReadableSpan]:
    assert root.context is not None
    return [
        s for s in spans if s.context is not None and s.context.trace_id == root.context.trace_id
    ]


def _descends_from(span: ReadableSpan, root: ReadableSpan, spans: Sequence[ReadableSpan]) -> bool:
    by_id = {s.context.span_id: s for s in spans if s.context is not None}
    while span.parent is not None:
        if root.context is not None and span.parent.span_id == root.context.span_id:
            return True
        span = by_id[span.parent.span_id]
    return False


async def test_each_request_is_one_trace_with_its_queries_and_its_request_id(
    app_factory, exported, is_postgres
) -> None:
    provider, exporter = exported
    async with app_factory(jobs=False, tracer_provider=provider) as app:
        gql = GraphQLClient(http_client(app))
        await gql.http.get("/healthz")  # probes are not traced
        sent = await gql.post(SEND_CODE, {"input": {"email": EMAIL}})
        code = await latest_code(app, EMAIL)
        variables = {
            "regionCode": "DE",
            "email": EMAIL,
            "emailCode": code,
            "password": "pass-word-1",
        }
        registered = await gql.post(REGISTER, {"input": variables})
    spans = exporter.get_finished_spans()

    requests = [s for s in spans if s.kind is SpanKind.SERVER]
    # sendRegistrationCode, the outbox read by latest_code, register: one trace each.
    assert len(requests) == 3
    assert len({s.context.trace_id for s in requests if s.context}) == 3
    assert all(s.parent is None for s in requests)
    by_request_id = {s.attributes["onramp.request_id"]: s for s in requests if s.attributes}
    for response, operation in (
        (sent, "mutation sendRegistrationCode"),
        (registered, "mutation register"),
    ):
        root = by_request_id[response.headers["x-request-id"]]
        assert root.name == "POST /graphql"
        assert root.attributes is not None
        assert root.attributes["onramp.graphql"] == operation
        trace = _trace_of(spans, root)
        queries = [s for s in trace if s.kind is SpanKind.CLIENT]
        assert queries, operation
        assert {q.attributes["db.system"] for q in queries if q.attributes} == {
            "postgresql" if is_postgres else "sqlite"
        }
        assert any(q.name == "INSERT" for q in queries)
        assert all(_descends_from(s, root, spans) for s in trace if s is not root)


async def test_a_job_step_is_a_trace_with_its_queries(app_factory, exported) -> None:
    provider, exporter = exported
    async with app_factory(tracer_provider=provider) as app:
        gql = GraphQLClient(http_client(app))
        await gql.post(SEND_CODE, {"input": {"email": EMAIL}})  # wakes the outbox job
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while not [s for s in exporter.get_finished_spans() if s.name == "job outbox"]:
            assert loop.time() < deadline, "no outbox step was traced"
            await asyncio.sleep(0.01)
    spans = exporter.get_finished_spans()
    step = next(s for s in spans if s.name == "job outbox")
    queries = [s for s in _trace_of(spans, step) if s.kind is SpanKind.CLIENT]

    assert step.parent is None
    assert queries
    assert all(_descends_from(q, step, spans) for q in queries)


async def test_the_bank_page_span_holds_its_route_never_its_token(app_factory, exported) -> None:
    provider, exporter = exported
    async with app_factory(tracer_provider=provider) as app:
        gql = GraphQLClient(http_client(app))
        gql.headers = {"authorization": f"Bearer {await ready_for_card(gql, app, EMAIL)}"}
        card = (await tokenize(gql, "4242 4242 4242 4242")).json()["id"]
        redirect_url = (await bind(gql, card, "traced"))["attempt"]["nextAction"]["redirectUrl"]
        await answer_bank(gql, redirect_url, "approve")
    token = redirect_url.rsplit("/", 1)[1]
    spans = exporter.get_finished_spans()
    pages = [s for s in spans if s.kind is SpanKind.SERVER and "/sandbox/bank" in s.name]

    assert sorted(s.name for s in pages) == [
        "GET /sandbox/bank/{token}",
        "POST /sandbox/bank/{token}",
    ]
    for span in spans:
        assert token not in span.name
        assert not [v for v in (span.attributes or {}).values() if token in str(v)], span.name


async def test_without_an_endpoint_nothing_of_opentelemetry_runs(app_factory, exported) -> None:
    provider, _ = exported
    async with app_factory() as app:
        untraced = [m.cls.__name__ for m in app.user_middleware]
        unwrapped = _wrapped()
    async with app_factory(tracer_provider=provider) as app:
        traced = [m.cls.__name__ for m in app.user_middleware]
        wrapped = _wrapped()
    after = _wrapped()

    assert "OpenTelemetryMiddleware" not in untraced
    assert traced[0] == "OpenTelemetryMiddleware"  # outermost: its span is the request's
    assert (unwrapped, wrapped, after) == (False, True, False)


def _wrapped() -> bool:
    """Whether Tortoise's query methods are wrapped by the instrumentation (wrapt)."""
    clients = (SqliteClient, AsyncpgDBClient)
    return any(isinstance(c.__dict__["execute_query"], wrapt.FunctionWrapper) for c in clients)


@contextlib.asynccontextmanager
async def _collector() -> AsyncIterator[tuple[str, list[bytes]]]:
    """An OTLP/HTTP receiver on loopback: keeps every body posted to /v1/traces."""
    bodies: list[bytes] = []

    async def traces(request: Request) -> Response:
        bodies.append(await request.body())
        return Response(status_code=200)

    port = _free_port()
    app = Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])])
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        log_level="warning",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 (uvicorn offers no event for it)
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}", bodies
    finally:
        server.should_exit = True
        await task


async def test_with_an_otlp_endpoint_the_spans_are_exported(app_factory, monkeypatch) -> None:
    async with _collector() as (endpoint, bodies):
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
        async with app_factory(jobs=False) as app:
            gql = GraphQLClient(http_client(app))
            response = await gql.post(SEND_CODE, {"input": {"email": EMAIL}})
        # The lifespan's end sent what was batched.
    spans: list[Any] = []
    services = set()
    for body in bodies:
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            services |= {
                a.value.string_value
                for a in resource_spans.resource.attributes
                if a.key == "service.name"
            }
            for scope in resource_spans.scope_spans:
                spans += scope.spans
    [request_span] = [s for s in spans if s.name == "POST /graphql"]
    attributes = {a.key: a.value.string_value for a in request_span.attributes}

    assert services == {"onramp"}
    assert attributes["onramp.request_id"] == response.headers["x-request-id"]
    assert [s for s in spans if s.trace_id == request_span.trace_id and s.kind == 3]  # CLIENT
