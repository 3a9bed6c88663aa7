"""The HTTP frame: health, readiness, request ids, client IPs, CORS, GraphiQL, error masking."""

from __future__ import annotations

import gc
import logging
import re

from starlette.responses import PlainTextResponse
from starlette.routing import Route

from resolvers.schema import MAX_DEPTH
from services import regions
from tests.conftest import http_client


async def test_healthz_and_readyz_answer_while_the_database_does(client) -> None:
    assert (await client.get("/healthz")).status_code == 200
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True}


async def test_readyz_is_503_while_redis_does_not_answer(app_factory) -> None:
    # Nothing listens on port 1: the configured Redis is unreachable.
    async with app_factory(redis_url="redis://127.0.0.1:1/0") as app, http_client(app) as client:
        ready = await client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": True, "redis": False}


async def test_readyz_checks_redis_when_configured(app_factory) -> None:
    async with app_factory(redis_url="redis://127.0.0.1:6379/0") as app, http_client(app) as client:
        ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": True, "redis": True}


async def test_every_response_carries_a_request_id(client) -> None:
    generated = (await client.get("/healthz")).headers["x-request-id"]
    assert len(generated) == 32
    echoed = await client.get("/healthz", headers={"x-request-id": "edge-1234abcd"})
    assert echoed.headers["x-request-id"] == "edge-1234abcd"
    forged = await client.get("/healthz", headers={"x-request-id": "bad id\nINFO forged"})
    assert forged.headers["x-request-id"] != "bad id\nINFO forged"


def _with_client_probe(app) -> None:
    async def whoami(request):
        return PlainTextResponse(request.client.host)

    app.router.routes.append(Route("/_probe/client", whoami))


async def test_forwarded_for_is_believed_only_from_trusted_proxies(app_factory) -> None:
    forwarded = {"x-forwarded-for": "203.0.113.7"}
    async with app_factory(trusted_proxies=["10.0.0.1"]) as app:
        _with_client_probe(app)
        async with http_client(app, client_ip="10.0.0.1") as via_proxy:
            assert (await via_proxy.get("/_probe/client", headers=forwarded)).text == "203.0.113.7"
        async with http_client(app, client_ip="192.0.2.50") as direct:
            assert (await direct.get("/_probe/client", headers=forwarded)).text == "192.0.2.50"


async def test_no_proxy_is_trusted_by_default(app) -> None:
    _with_client_probe(app)
    async with http_client(app, client_ip="10.0.0.1") as client:
        response = await client.get("/_probe/client", headers={"x-forwarded-for": "203.0.113.7"})
    assert response.text == "10.0.0.1"


async def test_cors_allows_only_the_configured_origins(client) -> None:
    preflight = {"access-control-request-method": "POST"}
    allowed = await client.options(
        "/graphql", headers={**preflight, "origin": "https://app.example.test"}
    )
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.test"
    assert allowed.headers["access-control-allow-credentials"] == "true"
    refused = await client.options("/graphql", headers={**preflight, "origin": "https://evil.test"})
    assert "access-control-allow-origin" not in refused.headers


async def test_graphiql_is_served_in_development(client) -> None:
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()


STAGING = {
    "env": "staging",
    "smtp_host": "127.0.0.1",
    "sms_webhook_url": "http://127.0.0.1:9/sms",
}


async def test_graphiql_is_off_outside_development_unless_asked_for(app_factory) -> None:
    async with app_factory(**STAGING) as app, http_client(app) as client:
        hidden = await client.get("/graphql", headers={"accept": "text/html"})
    assert hidden.status_code == 404
    async with app_factory(**STAGING, graphiql=True) as app, http_client(app) as client:
        shown = await client.get("/graphql", headers={"accept": "text/html"})
    assert shown.status_code == 200


async def test_queries_are_not_accepted_over_get(client) -> None:
    response = await client.get("/graphql", params={"query": "{ passwordPolicy { minLength } }"})
    assert response.status_code in (400, 405)


async def test_unexpected_errors_are_masked_and_logged_with_the_request_id(
    gql, monkeypatch, caplog
) -> None:
    def broken() -> list:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(regions, "all_regions", broken)
    caplog.set_level(logging.ERROR, logger="onramp.graphql")

    response = await gql.post("{ regions { code } }")

    error = response.json()["errors"][0]
    assert error["message"] == "Unexpected error."
    assert "hunter2" not in response.text
    request_id = response.headers["x-request-id"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged
    assert logged[0].exc_info is not None


async def test_validation_errors_are_shown_and_not_logged(gql, caplog) -> None:
    caplog.set_level(logging.ERROR, logger="onramp.graphql")
    body = await gql("{ regions { nope } }")
    assert "nope" in body["errors"][0]["message"]
    assert not caplog.records


async def test_too_many_aliases_are_refused(gql) -> None:
    query = "{ " + " ".join(f"a{i}: passwordPolicy {{ minLength }}" for i in range(31)) + " }"
    body = await gql(query)
    assert body["data"] is None
    assert "aliases" in body["errors"][0]["message"].lower()


async def test_too_deep_queries_are_refused(gql) -> None:
    # No path of today's schema nests this deep: the limiter must refuse it before anything
    # else looks at the fields.
    inner = "code"
    for _ in range(MAX_DEPTH + 1):
        inner = f"regions {{ {inner} }}"
    body = await gql(f"{{ {inner} }}")
    assert body["data"] is None
    assert any("maximum operation depth" in e["message"] for e in body["errors"])


async def test_too_many_tokens_are_refused(gql) -> None:
    query = "{ " + " ".join("passwordPolicy { minLength }" for _ in range(1500)) + " }"
    body = await gql(query)
    assert body["data"] is None
    assert "token" in body["errors"][0]["message"].lower()


async def test_readyz_is_503_while_the_database_does_not_answer(
    app_factory, is_postgres, tmp_path
) -> None:
    # Same dialect as this test process (it must not switch): a server nobody runs, or a
    # "database file" that is a directory.
    unreachable = (
        "postgres://postgres@127.0.0.1:1/onramp" if is_postgres else f"sqlite://{tmp_path}"
    )
    async with (
        app_factory(database_url=unreachable, truncate=False, jobs=False) as app,
        http_client(app) as client,
    ):
        ready = await client.get("/readyz")
        alive = await client.get("/healthz")
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": False}
    assert alive.status_code == 200


async def test_graphiql_is_served_whole_by_onramp(client) -> None:
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources, "the page loads its scripts and styles"
    assert [s for s in sources if s.startswith(("http:", "https:", "//"))] == []
    for source in sources:
        if source.startswith("/"):
            asset = await client.get(source)
            assert asset.status_code == 200, source
            assert len(asset.content) > 500, source


async def test_graphiql_assets_are_not_served_where_graphiql_is_off(app_factory) -> None:
    async with app_factory(**STAGING) as app, http_client(app) as client:
        asset = await client.get("/graphiql/assets/graphiql.min.js")
    assert asset.status_code == 404


async def test_a_started_app_leaves_its_start_up_objects_out_of_collections(app_factory) -> None:
    async with app_factory(jobs=False, settle_heap=True):
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0  # stopped, in a process that goes on
