"""One access line per request, naming the route and never a secret the path carries."""

from __future__ import annotations

import logging

import pytest

from api.observability import configure_logging
from tests.conftest import GraphQLClient
from tests.flows import answer_bank, bearer, bind, ready_for_card, tokenize


async def test_the_bank_page_token_never_reaches_a_log_line(
    app, gql: GraphQLClient, caplog: pytest.LogCaptureFixture
) -> None:
    gql.headers = bearer(await ready_for_card(gql, app, "logs@example.com"))
    card = (await tokenize(gql, "4242 4242 4242 4242")).json()["id"]
    attempt = (await bind(gql, card, "log-key"))["attempt"]
    redirect_url = attempt["nextAction"]["redirectUrl"]
    bank_token = redirect_url.rsplit("/", 1)[1]

    with caplog.at_level(logging.INFO):
        answered = await answer_bank(gql, redirect_url, "approve")
        again = await gql.http.get(redirect_url.removeprefix("http://testserver.local"))

    assert answered.status_code in (200, 303)
    assert again.status_code == 410
    # httpx's own lines are this test's client speaking; the server keeps httpx quiet.
    lines = [r.getMessage() for r in caplog.records if not r.name.startswith("httpx")]
    assert not [line for line in lines if bank_token in line]
    access = [r.getMessage() for r in caplog.records if r.name == "onramp.access"]
    assert any(line.startswith("GET /sandbox/bank/{token} 200 ") for line in access), access
    assert any(line.startswith("POST /sandbox/bank/{token} ") for line in access), access
    assert any(line.startswith("GET /sandbox/bank/{token} 410 ") for line in access), access


async def test_every_request_gets_one_access_line(client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="onramp.access"):
        await client.get("/healthz")
        await client.get("/no/such/page/secret-in-path")
    access = [r.getMessage() for r in caplog.records if r.name == "onramp.access"]
    assert len(access) == 2
    assert access[0].startswith("GET /healthz 200 ")
    assert access[1].startswith("GET (no route) 404 ")
    assert "secret-in-path" not in access[1]


def test_the_loggers_that_would_print_secrets_are_kept_quiet() -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging("DEBUG")  # whatever level is asked for
        for name in ("httpx", "httpcore", "tortoise.db_client", "asyncpg", "aiosqlite", "stripe"):
            assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING, name
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        logging.captureWarnings(False)


@pytest.mark.parametrize("path", ["/graphql", "/sandbox/tokens", "/webhooks/payments"])
async def test_a_client_that_leaves_before_its_body_is_read_is_no_error(
    app, gql: GraphQLClient, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The client hangs up mid-request (a closed tab, a timed-out load balancer): no 500, no
    traceback; the access line says 499, as nginx does."""
    # The tokenizer reads the body only for a known publishable key.
    key = (await gql("{ paymentGateway { publishableKey } }"))["data"]["paymentGateway"]
    headers = [(b"host", b"testserver.local"), (b"content-type", b"application/json")]
    headers.append((b"authorization", f"Bearer {key['publishableKey']}".encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("203.0.113.9", 40000),
        "server": ("testserver.local", 80),
    }
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    with caplog.at_level(logging.INFO):
        await app(scope, receive, send)

    assert sent == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    access = [r.getMessage() for r in caplog.records if r.name == "onramp.access"]
    assert len(access) == 1, access
    assert access[0].startswith("POST "), access
    assert " 499 " in access[0], access
