"""Bodies nobody expected: a clear 400 with a JSON error, never a 500, and the connection
stays usable; a document with several operations needs operationName."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn

from gateways.sandbox.models import SandboxPaymentMethod
from tests.conftest import GraphQLClient
from tests.flows import GATEWAY

DEEP = b"[" * 100_000
BAD_BODIES = {
    "not UTF-8": b'{"query": "{ __typename }", "x": "\xe9"}',
    "UTF-16": '{"query": "{ __typename }"}'.encode("utf-16"),
    "null": b"null",
    "a string": b'"{ __typename }"',
    "a number": b"42",
    "deep brackets": DEEP,
    "deep variables": b'{"query": "{ __typename }", "variables": {"a": ' + DEEP + b"}",
    "not JSON": b"{query",
    "empty": b"",
}


@pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
async def test_a_body_that_is_no_graphql_request_is_a_clear_400(client, body: bytes) -> None:
    response = await client.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert len(error["message"]) > 10


@contextlib.asynccontextmanager
async def _served(app: Any) -> AsyncIterator[int]:
    """The app (its lifespan already running) behind a real uvicorn on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:
                assert not task.done(), "uvicorn stopped before it started"
                await asyncio.sleep(0.01)
        yield port
    finally:
        server.should_exit = True
        await task


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, body: bytes
) -> tuple[int, bytes]:
    writer.write(
        b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    return status, await reader.readexactly(length)


async def test_the_connection_serves_the_next_request_after_a_bad_body(app) -> None:
    async with _served(app) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            answers = [
                await _exchange(reader, writer, body)
                for body in (b"null", DEEP, b"\xff\xfe", b'{"query": "{ __typename }"}')
            ]
        finally:
            writer.close()
    assert [status for status, _ in answers] == [400, 400, 400, 200]
    assert json.loads(answers[-1][1]) == {"data": {"__typename": "Query"}}


async def test_several_operations_need_an_operation_name(gql: GraphQLClient) -> None:
    document = "query First { __typename } query Second { regions { code } }"
    unnamed = await gql(document)
    assert unnamed["data"] is None
    assert unnamed["errors"][0]["extensions"]["code"] == "OPERATION_NAME_REQUIRED"
    named = (
        await gql.http.post("/graphql", json={"query": document, "operationName": "Second"})
    ).json()
    assert "regions" in named["data"]


TOKENIZER_CASES: dict[str, tuple[str, str, str]] = {
    # label: (raw JSON body, code, field)
    "superscript digit": (
        '{"number": "4242 4242 4242 424\\u00b2", "expMonth": 12, "expYear": 2030, '
        '"cvc": "123", "holderName": "A"}',
        "incorrect_number",
        "number",
    ),
    "fullwidth digits": (
        '{"number": "\\uff14\\uff12\\uff14\\uff12\\uff14\\uff12\\uff14\\uff12\\uff14\\uff12'
        '\\uff14\\uff12\\uff14\\uff12\\uff14\\uff12", "expMonth": 12, "expYear": 2030, '
        '"cvc": "123", "holderName": "A"}',
        "incorrect_number",
        "number",
    ),
    "Arabic-Indic security code": (
        '{"number": "4242424242424242", "expMonth": 12, "expYear": 2030, '
        '"cvc": "\\u0661\\u0662\\u0663", "holderName": "A"}',
        "invalid_cvc",
        "cvc",
    ),
    "Infinity": (
        '{"number": "4242424242424242", "expMonth": Infinity, "expYear": 2030, '
        '"cvc": "123", "holderName": "A"}',
        "invalid_request",
        "expMonth",
    ),
    "1e400": (
        '{"number": "4242424242424242", "expMonth": 12, "expYear": 1e400, '
        '"cvc": "123", "holderName": "A"}',
        "invalid_request",
        "expYear",
    ),
    "a fraction": (
        '{"number": "4242424242424242", "expMonth": 12.5, "expYear": 2030, '
        '"cvc": "123", "holderName": "A"}',
        "invalid_request",
        "expMonth",
    ),
    "a boolean": (
        '{"number": "4242424242424242", "expMonth": true, "expYear": 2030, '
        '"cvc": "123", "holderName": "A"}',
        "invalid_request",
        "expMonth",
    ),
    "a month as text": (
        '{"number": "4242424242424242", "expMonth": "12", "expYear": 2030, '
        '"cvc": "123", "holderName": "A"}',
        "invalid_request",
        "expMonth",
    ),
    "a number as a number": (
        '{"number": 4242424242424242, "expMonth": 12, "expYear": 2030, '
        '"cvc": "123", "holderName": "A"}',
        "invalid_request",
        "number",
    ),
    "holder null": (
        '{"number": "4242424242424242", "expMonth": 12, "expYear": 2030, '
        '"cvc": "123", "holderName": null}',
        "invalid_request",
        "holderName",
    ),
    "holder NUL": (
        '{"number": "4242424242424242", "expMonth": 12, "expYear": 2030, '
        '"cvc": "123", "holderName": "\\u0000"}',
        "invalid_request",
        "holderName",
    ),
    "an array": ("[]", "invalid_request", ""),
    "deep nesting": ("[" * 5000, "invalid_request", ""),
}


@pytest.mark.parametrize(
    ("body", "code", "field"), TOKENIZER_CASES.values(), ids=TOKENIZER_CASES.keys()
)
async def test_the_tokenizer_takes_ascii_digits_and_exact_json_types(
    app, gql: GraphQLClient, body: str, code: str, field: str
) -> None:
    gateway = (await gql(GATEWAY))["data"]["paymentGateway"]
    path = gateway["tokenizationUrl"].removeprefix("http://testserver.local")
    response = await gql.http.post(
        path,
        content=body.encode(),
        headers={
            "authorization": f"Bearer {gateway['publishableKey']}",
            "content-type": "application/json",
        },
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"] or "") == (code, field)
    assert not await SandboxPaymentMethod.exists()
