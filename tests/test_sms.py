"""SMS: delivered by webhook to a real local endpoint, retried, and capped because they cost."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from models.outbox import Channel, DeliveryStatus, OutboxMessage
from services.clock import FrozenClock
from tests.conftest import GraphQLClient, http_client
from tests.flows import SEND_PHONE_CODE, bearer, codes_of, sign_up

EMAIL = "nadia.haddad@example.com"


class SmsProvider:
    """A real HTTP endpoint that records what it is sent; it can be told to fail first."""

    def __init__(self) -> None:
        self.received: list[dict[str, str]] = []
        self.failures_left = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                if provider.failures_left > 0:
                    provider.failures_left -= 1
                    self.send_response(503)
                else:
                    provider.received.append(json.loads(body))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms"

    def __enter__(self) -> SmsProvider:
        # A short poll, so that shutting it down takes no noticeable time.
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider() -> Iterator[SmsProvider]:
    with SmsProvider() as running:
        yield running


async def _send(gql: GraphQLClient, number: str, region: str = "DE") -> dict:
    body = await gql(
        SEND_PHONE_CODE,
        {"input": {"purpose": "SECURITY_PHONE", "regionCode": region, "phoneNumber": number}},
    )
    return body["data"]["sendPhoneCode"]


async def test_an_sms_is_posted_as_json_to_the_webhook(app_factory, provider) -> None:
    async with app_factory(jobs=False, sms_webhook_url=provider.url) as app:
        gql = GraphQLClient(http_client(app))
        gql.headers = bearer(await sign_up(gql, app, EMAIL))
        assert (await _send(gql, "01512 3456789"))["errors"] == []
        claimed = await app.state.services.outbox.deliver_due()
        row = await OutboxMessage.get(channel=Channel.SMS)
    assert claimed == 1
    [sms] = provider.received
    assert sms["to"] == "+4915123456789"
    assert any(line.isdigit() and len(line) == 6 for line in sms["text"].splitlines())
    assert row.status is DeliveryStatus.SENT


async def test_a_failing_provider_is_retried_without_failing_the_mutation(
    app_factory, provider
) -> None:
    provider.failures_left = 1
    clock = FrozenClock(datetime.now(UTC))
    async with app_factory(clock=clock, jobs=False, sms_webhook_url=provider.url) as app:
        outbox = app.state.services.outbox
        gql = GraphQLClient(http_client(app))
        gql.headers = bearer(await sign_up(gql, app, EMAIL))
        sent = await _send(gql, "01512 3456789")
        await outbox.deliver_due()  # the provider answers 503
        failed = await OutboxMessage.get(channel=Channel.SMS)
        clock.advance(seconds=4)
        too_early = await outbox.deliver_due()
        clock.advance(seconds=1)  # the first retry comes 5 s after the failure
        await outbox.deliver_due()
        row = await OutboxMessage.get(channel=Channel.SMS)
    assert sent["errors"] == []
    assert (failed.status, failed.attempts, failed.lease_until) == (DeliveryStatus.PENDING, 1, None)
    assert failed.last_error == "HTTPStatusError"
    assert too_early == 0
    assert row.status is DeliveryStatus.SENT
    assert row.attempts == 2
    assert provider.received[0]["to"] == "+4915123456789"


@pytest.mark.parametrize(
    ("setting", "numbers", "regions"),
    [
        # per account: two numbers in two countries still count against one account
        ("limit_sms_per_account", ["01512 3456789", "+447400123456"], ["DE", "GB"]),
        # per destination country, across accounts
        ("limit_sms_per_country", ["01512 3456789", "01512 3456780"], ["DE", "DE"]),
        # the global budget
        ("limit_sms_overall", ["01512 3456789", "+447400123456"], ["DE", "GB"]),
    ],
)
async def test_sms_budgets(app_factory, setting, numbers, regions) -> None:
    async with app_factory(**{setting: "1/day"}) as app:
        first = GraphQLClient(http_client(app))
        first.headers = bearer(await sign_up(first, app, EMAIL))
        second = GraphQLClient(http_client(app, client_ip="192.0.2.5"))
        second.headers = bearer(await sign_up(second, app, "other@example.com"))
        # Per account: the same person twice; otherwise two people.
        sender = first if setting == "limit_sms_per_account" else second
        allowed = await _send(first, numbers[0], regions[0])
        refused = await _send(sender, numbers[1], regions[1])
        sms = await OutboxMessage.filter(channel=Channel.SMS).count()
    assert allowed["errors"] == []
    assert codes_of(refused) == ["RATE_LIMITED"]
    assert refused["errors"][0]["retryAfter"]
    assert sms == 1


async def test_one_number_gets_one_code_a_minute(app_factory) -> None:
    async with app_factory() as app:
        gql = GraphQLClient(http_client(app))
        gql.headers = bearer(await sign_up(gql, app, EMAIL))
        first = await _send(gql, "01512 3456789")
        again = await _send(gql, "+49 1512 3456789")
    assert first["errors"] == []
    assert codes_of(again) == ["RATE_LIMITED"]
