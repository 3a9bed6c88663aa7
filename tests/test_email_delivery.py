"""Email goes to the outbox first, then to a real SMTP server; failures are retried."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from email import message_from_string, policy

import pytest
from aiosmtpd.controller import Controller

from models.outbox import DeliveryStatus, OutboxMessage
from services.clock import FrozenClock
from tests.conftest import GraphQLClient, http_client, outbox, take_step
from tests.flows import bearer, send_code, sign_up

EMAIL = "kofi.mensah@example.com"
STAGING = {"env": "staging", "sms_webhook_url": "http://127.0.0.1:9/"}


class Inbox:
    def __init__(self) -> None:
        self.messages: list[dict[str, str]] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(
            {"to": envelope.rcpt_tos[0], "data": envelope.content.decode("utf-8", "replace")}
        )
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
async def smtp() -> AsyncIterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def test_a_code_is_delivered_by_smtp(app_factory, smtp) -> None:
    inbox, port = smtp
    async with app_factory(jobs=False, smtp_host="127.0.0.1", smtp_port=port) as app:
        gql = GraphQLClient(http_client(app))
        assert (await send_code(gql, EMAIL))["errors"] == []
        await app.state.services.outbox.deliver_due()
        [row] = await OutboxMessage.all()
    assert inbox.messages[0]["to"] == EMAIL
    assert "Subject: Your Onramp Cloud verification code" in inbox.messages[0]["data"]
    assert row.status is DeliveryStatus.SENT
    assert row.body in inbox.messages[0]["data"].replace("\r\n", "\n")


async def test_an_email_names_its_language_in_content_language(app_factory, smtp) -> None:
    """The language an email is written in, said in its header: before there is an account
    the request's (the registration code), then the account's, whoever caused the email."""
    inbox, port = smtp
    async with app_factory(
        jobs=False, smtp_host="127.0.0.1", smtp_port=port, limit_codes_per_destination="50/minute"
    ) as app:
        gql = GraphQLClient(http_client(app))
        gql.headers = {"accept-language": "de-AT"}
        account = bearer(await sign_up(gql, app, EMAIL))
        set_locale = "mutation($i: SetLocaleInput!) { setLocale(input: $i) { errors { code } } }"
        assert (await gql(set_locale, {"i": {"locale": "zh-Hans"}}, **account))["data"]
        # Someone else, whose browser asks for Spanish, tries to register the same address.
        gql.headers = {"accept-language": "es"}
        assert (await send_code(gql, EMAIL))["errors"] == []
        await app.state.services.outbox.deliver_due()
        rows = {row.subject: row for row in await OutboxMessage.all()}
    sent = [message_from_string(m["data"], policy=policy.default) for m in inbox.messages]
    languages = {rows[str(mail["Subject"])].kind: mail["Content-Language"] for mail in sent}
    assert languages == {"registration-code": "de", "account-exists": "zh-Hans"}
    assert {row.kind: row.locale for row in rows.values()} == languages


async def test_an_unreachable_server_fails_nothing_and_is_retried(app_factory) -> None:
    port = _free_port()  # nothing listens here yet
    clock = FrozenClock(datetime.now(UTC))
    async with app_factory(clock=clock, jobs=False, smtp_host="127.0.0.1", smtp_port=port) as app:
        gql = GraphQLClient(http_client(app))
        sent = await send_code(gql, EMAIL)
        await app.state.services.outbox.deliver_due()
        row = await OutboxMessage.first()
        assert sent["errors"] == []
        assert (row.status, row.attempts, row.lease_until) == (DeliveryStatus.PENDING, 1, None)
        assert row.last_error

        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            clock.advance(minutes=1)
            await app.state.services.outbox.deliver_due()  # the retry falls due now
        finally:
            controller.stop()
        assert inbox.messages[0]["to"] == EMAIL
        assert (await OutboxMessage.first()).status is DeliveryStatus.SENT


async def test_a_restart_resumes_pending_deliveries(app_factory, smtp) -> None:
    inbox, port = smtp
    clock = FrozenClock(datetime.now(UTC))
    down = _free_port()
    async with app_factory(clock=clock, jobs=False, smtp_host="127.0.0.1", smtp_port=down) as app:
        await send_code(GraphQLClient(http_client(app)), EMAIL)
        failed = await app.state.services.outbox.deliver_due()
    clock.advance(minutes=1)
    # A new process, now with a working mail server, finds the message and sends it.
    async with app_factory(
        clock=clock, jobs=False, smtp_host="127.0.0.1", smtp_port=port, truncate=False
    ) as app:
        resumed = await take_step(app, "outbox")
        row = await OutboxMessage.first()
    assert failed == 1
    assert resumed is False  # a batch of one: nothing more waiting
    assert row.status is DeliveryStatus.SENT
    assert inbox.messages[0]["to"] == EMAIL


async def test_outside_development_a_delivered_body_is_redacted(app_factory, smtp) -> None:
    inbox, port = smtp
    async with app_factory(jobs=False, smtp_host="127.0.0.1", smtp_port=port, **STAGING) as app:
        gql = GraphQLClient(http_client(app))
        await send_code(gql, EMAIL)
        await app.state.services.outbox.deliver_due()
        row = await OutboxMessage.first()
    assert row.status is DeliveryStatus.SENT
    assert row.redacted
    assert row.body == "[redacted after delivery]"
    assert any(line.isdigit() for line in inbox.messages[0]["data"].splitlines())


async def test_without_smtp_a_message_is_kept_in_the_outbox(app, gql) -> None:
    await send_code(gql, EMAIL)
    [message] = await outbox(app)
    assert message["status"] == "HELD"
    assert message["body"]


async def test_the_dev_outbox_answers_loopback_clients_only(app, gql) -> None:
    await send_code(gql, EMAIL)
    async with http_client(app, client_ip="127.0.0.1") as local:
        page = await local.get("/dev/outbox")
    async with http_client(app) as remote:
        hidden_json = await remote.get("/dev/outbox.json")
        hidden_page = await remote.get("/dev/outbox")
    assert page.status_code == 200
    assert EMAIL in page.text
    assert "registration-code" in page.text
    assert hidden_json.status_code == hidden_page.status_code == 404


async def test_the_dev_outbox_does_not_exist_outside_development(app_factory) -> None:
    async with (
        app_factory(smtp_host="127.0.0.1", **STAGING) as app,
        http_client(app, client_ip="127.0.0.1") as local,
    ):
        assert (await local.get("/dev/outbox.json")).status_code == 404
        assert (await local.get("/dev/outbox")).status_code == 404
