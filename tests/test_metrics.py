"""`GET /metrics`: the series the contract names move with the work, and who may read them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient
from tortoise import timezone

from api.app import create_app
from models.outbox import OutboxMessage
from services.clock import FrozenClock
from tests.conftest import GraphQLClient, _empty_tables, http_client, take_step
from tests.flows import (
    ME,
    answer_bank,
    attempt_until,
    bind,
    ready_for_card,
    register_payload,
    send_code,
    tokenize,
)
from tests.servers import parse_metrics
from tests.test_subscriptions import SUBSCRIPTION, Browser

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
TOKEN = "metrics-token-that-is-long-enough-0123456789"


async def scrape(app: Any, client_ip: str = "127.0.0.1", **headers: str) -> Samples:
    async with http_client(app, client_ip=client_ip) as client:
        response = await client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse_metrics(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def graphql_requests(operation: str) -> dict[str, str]:
    return {"method": "POST", "route": "/graphql", "operation": operation, "status": "200"}


async def test_a_sign_up_and_a_card_binding_move_the_counts(app) -> None:
    gql = GraphQLClient(http_client(app))
    before = await scrape(app)

    await ready_for_card(gql, app, "counted@example.com")
    card = (await tokenize(gql, "4242 4242 4242 4242")).json()["id"]
    attempt = (await bind(gql, card, "counted"))["attempt"]
    await answer_bank(gql, attempt["nextAction"]["redirectUrl"], "approve")
    await attempt_until(
        gql, attempt["id"], lambda a: (a["status"], a["depositStatus"]) == ("SUCCEEDED", "REFUNDED")
    )
    failed = (await tokenize(gql, "4000 0000 0000 0002")).json()["id"]
    declined = (await bind(gql, failed, "declined"))["attempt"]
    await answer_bank(gql, declined["nextAction"]["redirectUrl"], "approve")
    await attempt_until(gql, declined["id"], lambda a: a["status"] == "FAILED")
    after = await scrape(app)

    requests = "onramp_http_requests_total"
    for operation in ("sendRegistrationCode", "register", "bindCard", "completeAccountDetails"):
        expected = 2 if operation == "bindCard" else 1
        assert moved(before, after, requests, **graphql_requests(f"mutation {operation}")) == (
            expected
        ), operation
    latency = "onramp_http_request_duration_seconds_count"
    assert moved(before, after, latency, route="/graphql", operation="mutation register") == 1
    bank_page = {"method": "POST", "route": "/sandbox/bank/{token}", "operation": ""}
    assert (
        moved(before, after, requests, **bank_page, status="303")
        + moved(before, after, requests, **bank_page, status="200")
        == 2
    )
    outcomes = "onramp_card_bindings_total"
    assert moved(before, after, outcomes, status="SUCCEEDED", reason="") == 1
    assert moved(before, after, outcomes, status="FAILED", reason="DECLINED") == 1
    assert moved(before, after, "onramp_deposit_refunds_total", outcome="REFUNDED") == 1
    # The sandbox's webhooks and refunds were background work, counted as such.
    jobs = "onramp_job_runs_total"
    assert moved(before, after, jobs, job="sandbox-webhooks", outcome="ok") >= 2
    assert value(after, "onramp_job_last_success_timestamp_seconds", job="sandbox-webhooks") > 0
    assert value(after, "onramp_job_interval_seconds", job="card-binding") == 1.0
    # This scrape is a request in progress; the pool (SQLite's one connection, or asyncpg's).
    assert value(after, "onramp_http_requests_in_progress") == 1
    assert value(after, "onramp_db_pool_max_connections") >= 1
    assert value(after, "onramp_db_pool_connections", state="idle") >= 0


async def test_graphql_errors_are_counted_by_code(app, gql) -> None:
    await gql(ME + " {")  # not a document
    await gql("{ nothingHere }")  # not in the schema
    await gql("{ onboarding { nextStep } }")  # needs a session
    await send_code(gql, "wrong.code@example.com")
    await register_payload(gql, "wrong.code@example.com", "000000")  # a refusal in the payload
    samples = await scrape(app)

    errors = "onramp_graphql_errors_total"
    assert value(samples, errors, code="GRAPHQL_PARSE_FAILED", where="response") == 1
    assert value(samples, errors, code="GRAPHQL_VALIDATION_FAILED", where="response") == 1
    assert value(samples, errors, code="UNAUTHENTICATED", where="response") == 1
    assert value(samples, errors, code="CODE_INVALID", where="payload") == 1


async def test_the_outbox_backlog_and_failed_deliveries(app_factory) -> None:
    clock = FrozenClock(datetime(2026, 11, 2, 9, tzinfo=UTC))
    # Nothing listens on port 9: every delivery fails and the message waits in the outbox.
    async with app_factory(clock=clock, jobs=False, smtp_host="127.0.0.1", smtp_port=9) as app:
        gql = GraphQLClient(http_client(app))
        await send_code(gql, "waiting@example.com")
        await take_step(app, "outbox")
        written = timezone.now() - timedelta(minutes=2)
        await OutboxMessage.all().update(created_at=written)
        samples = await scrape(app)

    assert value(samples, "onramp_outbox_backlog", channel="EMAIL") == 1
    assert value(samples, "onramp_outbox_backlog", channel="SMS") == 0
    assert value(samples, "onramp_outbox_oldest_pending_age_seconds") == pytest.approx(120, abs=5)
    deliveries = "onramp_outbox_deliveries_total"
    assert value(samples, deliveries, channel="EMAIL", outcome="failed") == 1
    assert value(samples, deliveries, channel="EMAIL", outcome="sent") == 0


async def test_metrics_are_served_to_loopback_or_with_the_token(app_factory) -> None:
    async with app_factory(metrics_token=TOKEN) as app:
        async with http_client(app, client_ip="203.0.113.7") as outside:
            anonymous = await outside.get("/metrics")
            wrong = await outside.get("/metrics", headers={"authorization": "Bearer nope"})
            raw = await outside.get("/metrics", headers={"authorization": TOKEN})
            right = await outside.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
        await scrape(app, client_ip="127.0.0.1")
        await scrape(app, client_ip="::1")
    async with app_factory() as app, http_client(app, client_ip="203.0.113.7") as outside:
        unset = await outside.get("/metrics", headers={"authorization": "Bearer "})

    assert [r.status_code for r in (anonymous, wrong, raw, unset)] == [401] * 4
    assert "onramp_http_requests_total" not in anonymous.text
    assert right.status_code == 200
    assert "onramp_http_requests_total" in right.text


async def test_behind_a_trusted_proxy_the_client_is_who_the_proxy_says(app_factory) -> None:
    """A reverse proxy on the same host, trusted, does not make every client local."""
    async with (
        app_factory(trusted_proxies=["127.0.0.1"]) as app,
        http_client(app, client_ip="127.0.0.1") as via_proxy,
    ):
        forwarded = await via_proxy.get("/metrics", headers={"x-forwarded-for": "203.0.113.7"})
        local = await via_proxy.get("/metrics")

    assert forwarded.status_code == 401
    assert local.status_code == 200


def test_open_websockets_and_subscriptions_are_gauged(settings_for) -> None:
    app = create_app(settings_for(limit_codes_per_destination="50/minute"))
    with TestClient(app, base_url="http://testserver.local", client=("127.0.0.1", 50000)) as client:
        client.portal.call(_empty_tables)
        browser = Browser(client)
        token = browser.sign_up("gauged@example.com")
        attempt = browser.start_binding()
        registry = app.state.metrics.registry
        sockets, subscriptions = "onramp_open_websockets", "onramp_open_subscriptions"
        labels = {"subscription": "cardBindingUpdates"}
        with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            ws.send_json(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
            )
            assert ws.receive_json()["type"] == "connection_ack"
            connected = registry.get_sample_value(sockets)
            ws.send_json(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": SUBSCRIPTION, "variables": {"id": attempt["id"]}},
                }
            )
            assert ws.receive_json()["type"] == "next"
            subscribed = registry.get_sample_value(subscriptions, labels)
            ws.send_json({"id": "1", "type": "complete"})
            ws.send_json({"type": "ping"})
            assert ws.receive_json()["type"] == "pong"
            unsubscribed = registry.get_sample_value(subscriptions, labels)
        closed = registry.get_sample_value(sockets)

    assert (connected, subscribed, unsubscribed, closed) == (1, 1, 0, 0)


async def test_metrics_off_count_nothing_and_serve_nothing(app_factory) -> None:
    async with app_factory(metrics=False) as app:
        await GraphQLClient(http_client(app)).post("{ regions { code } }")
        async with http_client(app, client_ip="127.0.0.1") as local:
            scraped = await local.get("/metrics")
        counted = app.state.metrics.registry.get_sample_value(
            "onramp_http_requests_total", graphql_requests("query regions")
        )

    assert scraped.status_code == 404
    assert counted is None
