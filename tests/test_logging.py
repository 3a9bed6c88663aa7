"""Logs: one configuration, JSON lines outside development, every line with its request id
(and its GraphQL operation's name where there is one), one access line per request."""

from __future__ import annotations

import asyncio
import logging
import re

from api.observability import TextFormatter
from api.settings import Settings
from services import log_context
from tests.conftest import GraphQLClient, http_client
from tests.logs import configured

NAMED_SEND = """mutation SendCode($input: SendRegistrationCodeInput!) {
  sendRegistrationCode(input: $input) { expiresAt errors { code } } }"""


def test_json_outside_development_text_in_development_unless_told() -> None:
    def json_lines(**values: str) -> bool:
        return Settings(secret_key="x" * 40, **values).log_json

    assert json_lines() is False
    assert json_lines(env="staging") is True
    assert json_lines(env="production") is True
    assert json_lines(env="development", log_format="json") is True
    assert json_lines(env="production", log_format="text") is False


async def test_every_line_of_a_request_carries_its_id_and_operation(app) -> None:
    gql = GraphQLClient(http_client(app))
    with configured("INFO") as logs:
        given = await gql.post(
            NAMED_SEND,
            {"input": {"email": "traced@example.com"}},
            **{"x-request-id": "given-id-0001"},
        )
        fresh = await gql.post("{ regions { code } }")
    records = logs.records()

    assert given.headers["x-request-id"] == "given-id-0001"
    mine = [r for r in records if r["request_id"] == "given-id-0001"]
    queued = next(r for r in mine if r["logger"] == "onramp.outbox")
    assert queued["message"] == "email registration-code to traced@example.com queued"
    assert queued["operation"] == "SendCode"
    [access] = [r for r in mine if r["logger"] == "onramp.access"]
    assert access["message"].startswith("POST /graphql 200 ")
    assert access["message"].endswith(" 198.51.100.10 mutation sendRegistrationCode")
    assert (access["method"], access["route"], access["status"]) == ("POST", "/graphql", 200)
    assert access["client_ip"] == "198.51.100.10"
    assert access["graphql"] == "mutation sendRegistrationCode"
    assert access["operation"] == "SendCode"
    assert isinstance(access["duration_ms"], float)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00", access["time"])
    # No id offered: one made up, the same in the response and the line; no name, none logged.
    made_up = fresh.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made_up)
    [other] = [r for r in records if r["request_id"] == made_up]
    assert other["graphql"] == "query regions"
    assert "operation" not in other
    assert len([r for r in records if r["logger"] == "onramp.access"]) == 2


async def test_text_lines_name_the_request_and_operation_in_brackets(app) -> None:
    gql = GraphQLClient(http_client(app))
    with configured("INFO", json_lines=False) as logs:
        await gql.post(
            NAMED_SEND,
            {"input": {"email": "plain@example.com"}},
            **{"x-request-id": "given-id-0002"},
        )
    lines = logs.lines()

    assert any(
        re.fullmatch(
            r"\S+ \S+ INFO onramp\.access \[given-id-0002 SendCode\] POST /graphql 200 "
            r"[\d.]+ms 198\.51\.100\.10 mutation sendRegistrationCode",
            line,
        )
        for line in lines
    ), lines


async def test_a_job_steps_lines_carry_an_id_of_their_own(app_factory) -> None:
    # Nothing listens on port 9: the outbox job's delivery fails, and says so.
    with configured("INFO") as logs:
        async with app_factory(smtp_host="127.0.0.1", smtp_port=9) as app:
            gql = GraphQLClient(http_client(app))
            await gql.post(NAMED_SEND, {"input": {"email": "later@example.com"}})
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 5
            while "retrying" not in logs.text:
                assert loop.time() < deadline, logs.text
                await asyncio.sleep(0.02)
    [failed] = [r for r in logs.records() if "retrying" in r["message"]]

    assert failed["logger"] == "onramp.outbox"
    assert re.fullmatch(r"job-outbox-[0-9a-f]{12}", failed["request_id"])
    assert "operation" not in failed


async def test_operations_sharing_a_websocket_each_name_their_own_lines() -> None:
    socket = log_context.Trail("socket-id-0001", shared=True)
    token = log_context.begin(socket)
    seen: dict[str, tuple[str, str | None]] = {}

    async def operation(name: str) -> None:
        log_context.name_operation(name, f"subscription {name}")
        await asyncio.sleep(0)  # the other one names itself meanwhile
        trail = log_context.current()
        assert trail is not None
        seen[name] = (trail.request_id, trail.operation)

    try:
        await asyncio.gather(operation("First"), operation("Second"))
    finally:
        log_context.end(token)

    assert seen == {"First": ("socket-id-0001", "First"), "Second": ("socket-id-0001", "Second")}
    assert socket.operation is None  # the socket's own trail names no operation


def test_a_text_line_keeps_loggings_own_time_across_seconds() -> None:
    """The text formatter writes the date once a second: it must still say what logging's
    own formatter says, on each side of a second's end."""
    ours, logging_own = TextFormatter(), logging.Formatter()
    for created in (1_795_000_000.998, 1_795_000_000.999, 1_795_000_001.0, 1_795_000_001.05):
        record = logging.LogRecord("onramp", logging.INFO, __file__, 1, "m", None, None)
        record.created, record.msecs = created, int((created % 1) * 1000)
        assert ours.formatTime(record) == logging_own.formatTime(record)
