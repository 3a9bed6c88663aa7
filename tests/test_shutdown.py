"""SIGTERM to a real `onramp serve` in the middle of each kind of work, then a restart.

A request in flight is answered and nothing new is accepted; websockets close with 1001; an
email being delivered, a deposit refund being asked for and a bill being charged are each
either finished before the process exits or given back for the next process, which then
finishes them: never half-done, never done twice. Each case is caught in the middle by a
server that holds the call (an SMTP server that holds DATA, the Stripe fake that holds a
POST) until the test lets it go.
"""

from __future__ import annotations

import asyncio
import json
import signal
import threading
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
import websockets
from aiosmtpd.controller import Controller
from tortoise.timezone import now

from models.accounts import Account
from models.billing import Bill, BillKind, BillPayment, BillPaymentStatus, BillStatus
from models.cards import CardBindingAttempt, DepositStatus
from models.outbox import DeliveryStatus, OutboxMessage
from tests.conftest import http_client
from tests.flows import BIND, SEND_CODE
from tests.servers import Server, _free_port, serving
from tests.stripe_fake import StripeFake
from tests.test_stripe import PK, SK, WHSEC, Stripe, _started

STOPPED = (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it has shut down
EMAIL = "stop.me@example.com"


async def _until(check: Callable[[], Any], what: str, timeout_s: float = 10.0) -> Any:
    """Polls an awaitable-returning or plain check until it is truthy; fails after the time."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        assert loop.time() < deadline, f"not in time: {what}"
        await asyncio.sleep(0.05)


def _shutting_down(server: Server) -> bool:
    """The server has taken the signal (its shutdown's first log line)."""
    return "shutting down: finishing what is under way" in server.log_text()


# A request in flight and a websocket


async def _refused(port: int) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
    except ConnectionRefusedError:
        return True
    writer.close()
    return False


async def test_sigterm_answers_the_request_in_flight_closes_sockets_with_1001_accepts_no_more(
    app_factory, database_url
) -> None:
    async with app_factory(jobs=False), serving(database_url) as server:
        socket = await websockets.connect(
            server.base.replace("http", "ws", 1) + "/graphql",
            subprotocols=["graphql-transport-ws"],
        )
        await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(await socket.recv())["type"] == "connection_ack"
        # A request whose body is still on its way when the signal comes.
        body = json.dumps({"query": "query Regions { regions { code } }"}).encode()
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(
            b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[:10]
        )
        await writer.drain()
        in_progress = ("onramp_http_requests_in_progress", ())
        # Ours, and the scrape that reads it.
        await _until(
            lambda: _in_progress_at_least(server, in_progress, 2), "the request has started"
        )

        server.signal(signal.SIGTERM)
        await asyncio.wait_for(socket.wait_closed(), 5)
        await _until(lambda: _refused(server.port), "new connections are refused")
        writer.write(body[10:])
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)
        status = await server.exited(10)

    head, _, payload = answer.partition(b"\r\n\r\n")
    assert socket.close_code == 1001
    assert head.startswith(b"HTTP/1.1 200")
    assert {"code": "DE"} in json.loads(payload)["data"]["regions"]
    assert status in STOPPED
    records = server.log_records()  # every line is one JSON object
    assert all(r["request_id"] for r in records)
    access = [r for r in records if r["logger"] == "onramp.access"]
    assert any(r.get("graphql") == "query regions" and r["status"] == 200 for r in access)
    assert any(r["method"] == "WEBSOCKET" and r["status"] == 101 for r in access)


async def _in_progress_at_least(server: Server, key: Any, count: int) -> bool:
    return (await server.metrics()).get(key, 0) >= count


# An email being delivered


class HeldInbox:
    """An SMTP server that holds the first message's DATA until the test lets it go."""

    def __init__(self) -> None:
        self.accepted: list[str] = []
        self.arrived = threading.Event()
        self._released = threading.Event()
        self._accept_held = True
        self._holding = True

    def release(self, *, accept: bool) -> None:
        self._accept_held = accept
        self._released.set()

    async def handle_DATA(self, server, session, envelope) -> str:
        if self._holding:
            self._holding = False
            self.arrived.set()
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, self._released.wait, 30)
            if not self._accept_held:
                return "421 Closing transmission channel"
        self.accepted.append(envelope.rcpt_tos[0])
        return "250 Message accepted for delivery"


@pytest.fixture
def held_smtp() -> Any:
    inbox, port = HeldInbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port)}
    finally:
        inbox.release(accept=False)
        controller.stop()


async def _outbox_ran(server: Server) -> bool:
    return (await server.metrics()).get(
        ("onramp_job_runs_total", (("job", "outbox"), ("outcome", "ok"))), 0
    ) >= 1


@pytest.mark.parametrize("past_the_grace", [False, True], ids=["within-grace", "past-grace"])
async def test_sigterm_mid_delivery_sends_the_email_once(
    app_factory, database_url, held_smtp, past_the_grace: bool
) -> None:
    inbox, smtp = held_smtp
    grace = {"SHUTDOWN_GRACE_S": "1"} if past_the_grace else {}
    async with app_factory(jobs=False):
        async with serving(database_url, **smtp, **grace) as server:
            async with httpx.AsyncClient(base_url=server.base) as client:
                await client.post("/graphql", json={"query": SEND_CODE, "variables": _to(EMAIL)})
            assert await asyncio.to_thread(inbox.arrived.wait, 10), "no delivery began"
            server.signal(signal.SIGTERM)
            await _until(lambda: _shutting_down(server), "the server took the signal")
            held = await OutboxMessage.get()
            if not past_the_grace:
                inbox.release(accept=True)  # the provider answers within the grace
            status = await server.exited(15)
        after_exit = await OutboxMessage.get()
        delivered_by_first = list(inbox.accepted)
        if past_the_grace:
            inbox.release(accept=False)  # too late: that process has gone
        async with serving(database_url, **smtp) as restarted:
            await _until(lambda: _outbox_ran(restarted), "the restarted server's outbox step")
            final = await _until(_sent_row, "the message is sent")

    assert status in STOPPED
    assert (held.status, held.attempts) == (DeliveryStatus.PENDING, 1)
    assert held.lease_until is not None  # claimed by the process under the signal
    if past_the_grace:
        # Given back at once (not left to its 60 s lease), its try counted.
        assert (after_exit.status, after_exit.lease_until, after_exit.attempts) == (
            DeliveryStatus.PENDING,
            None,
            1,
        )
        assert delivered_by_first == []
        assert final.attempts == 2
        assert any("released unfinished at shutdown" in r["message"] for r in server.log_records())
    else:
        assert after_exit.status is DeliveryStatus.SENT
        assert delivered_by_first == [EMAIL]
        assert final.attempts == 1
    assert inbox.accepted == [EMAIL]  # once, whoever sent it


def _to(email: str) -> dict[str, Any]:
    return {"input": {"email": email, "kind": "HUAWEI_ID"}}


async def _sent_row() -> OutboxMessage | None:
    return await OutboxMessage.get_or_none(status=DeliveryStatus.SENT)


# A deposit refund being asked for, and a bill being charged (the Stripe gateway)


@pytest.fixture
async def stripe(app_factory: Any) -> AsyncIterator[Stripe]:
    async for started in _started(app_factory):
        yield started


def _stripe_settings(fake: StripeFake, **more: str) -> dict[str, str]:
    return {
        "GATEWAY": "stripe",
        "STRIPE_API_BASE": fake.base_url,
        "GATEWAY_SECRET_KEY": SK,
        "GATEWAY_PUBLISHABLE_KEY": PK,
        "GATEWAY_WEBHOOK_SECRET": WHSEC,
        **more,
    }


def _posts(fake: StripeFake, path: str) -> list[Any]:
    return [t for t in fake.tries if t.method == "POST" and t.path == path]


@pytest.mark.parametrize("past_the_grace", [False, True], ids=["within-grace", "past-grace"])
async def test_sigterm_mid_refund_refunds_the_deposit_once(
    stripe: Stripe, database_url, past_the_grace: bool
) -> None:
    fake = stripe.fake
    await stripe.ready(EMAIL)
    method = fake.new_payment_method("visa")
    held = fake.hold("/v1/refunds")
    grace = {"SHUTDOWN_GRACE_S": "1"} if past_the_grace else {}
    bind = {"paymentMethodToken": method, "acceptServiceTerms": True, "idempotencyKey": "k"}
    async with (
        serving(database_url, **_stripe_settings(fake, **grace)) as server,
        httpx.AsyncClient(base_url=server.base, timeout=30) as client,
    ):
        # bindCard succeeds at once under Stripe, then asks for the deposit's refund.
        binding = asyncio.create_task(
            client.post(
                "/graphql",
                json={"query": BIND, "variables": {"input": bind}},
                headers=stripe.gql.headers,
            )
        )
        await asyncio.wait_for(held.arrived.wait(), 10)
        server.signal(signal.SIGTERM)
        await _until(lambda: _shutting_down(server), "the server took the signal")
        if not past_the_grace:
            fake.release("/v1/refunds")  # Stripe answers within the grace
        answered = await asyncio.gather(binding, return_exceptions=True)
        status = await server.exited(15)
    after_exit = await CardBindingAttempt.get(gateway_payment_method=method)
    if past_the_grace:
        # Stripe makes the refund after all, though that process is gone.
        fake.release("/v1/refunds")
        await _until(lambda: fake.refunds, "Stripe made the late refund")
    async with serving(database_url, **_stripe_settings(fake)):
        final = await _until(
            lambda: _deposit_refunded(method), "the restarted server settled the refund"
        )

    assert status in STOPPED
    assert final.deposit_status is DepositStatus.REFUNDED
    assert len(fake.refunds) == 1  # one refund, whichever process asked
    posts = _posts(fake, "/v1/refunds")
    assert {t.idempotency_key for t in posts} == {f"onramp-refund-{after_exit.gateway_charge}"}
    if past_the_grace:
        # The request was cut off with the refund unanswered: CHARGED, nothing claimed.
        assert _cut_off(answered[0])
        assert after_exit.deposit_status is DepositStatus.CHARGED
        # The next process asked Stripe first and found the refund made late: no second one.
        assert len(posts) == 1
    else:
        response = answered[0]
        assert isinstance(response, httpx.Response)
        attempt = response.json()["data"]["bindCard"]["attempt"]
        assert attempt["status"] == "SUCCEEDED"
        assert after_exit.deposit_status in (DepositStatus.REFUND_PENDING, DepositStatus.REFUNDED)
        assert len(posts) == 1


def _cut_off(answer: httpx.Response | BaseException) -> bool:
    """A request cancelled past the grace: its connection closed, or an unexpected error,
    as the GraphQL answer when the cancellation reached the operation first, else uvicorn's
    own 500 for the task it cancelled (which of the two comes first is a race)."""
    if isinstance(answer, httpx.Response):
        if answer.status_code == 500 and answer.headers["content-type"].startswith("text/plain"):
            return True
        return answer.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    return isinstance(answer, httpx.HTTPError)


async def _deposit_refunded(method: str) -> CardBindingAttempt | None:
    return await CardBindingAttempt.get_or_none(
        gateway_payment_method=method, deposit_status=DepositStatus.REFUNDED
    )


@pytest.mark.parametrize("past_the_grace", [False, True], ids=["within-grace", "past-grace"])
async def test_sigterm_mid_charge_charges_the_bill_once(
    stripe: Stripe, database_url, past_the_grace: bool
) -> None:
    fake = stripe.fake
    await stripe.ready(EMAIL)
    assert (await stripe.bind("visa"))["status"] == "SUCCEEDED"  # the default card
    bill = await _due_bill(EMAIL)
    key = f"bill:{bill.id}:0"
    intents_before = len(fake.intents)
    held = fake.hold("/v1/payment_intents")
    grace = {"SHUTDOWN_GRACE_S": "1"} if past_the_grace else {}
    # The billing job's first step, at start-up, charges what is due.
    async with serving(database_url, **_stripe_settings(fake, **grace)) as server:
        await asyncio.wait_for(held.arrived.wait(), 10)
        claimed = await Bill.get(id=bill.id)
        server.signal(signal.SIGTERM)
        await _until(lambda: _shutting_down(server), "the server took the signal")
        if not past_the_grace:
            fake.release("/v1/payment_intents")
        status = await server.exited(15)
    after_exit = await Bill.get(id=bill.id)
    payments_after_exit = await BillPayment.filter(bill_id=bill.id)
    if past_the_grace:
        fake.release("/v1/payment_intents")  # Stripe charges after all, too late to tell
        await _until(lambda: len(fake.intents) > intents_before, "Stripe made the late charge")
    async with serving(database_url, **_stripe_settings(fake)):
        final = await _until(lambda: _paid(bill.id), "the bill is paid")
    payments = await BillPayment.filter(bill_id=bill.id)

    assert status in STOPPED
    assert claimed.active_payment_id is not None  # the first process had claimed it
    assert final.status is BillStatus.PAID
    assert len(fake.intents) == intents_before + 1  # charged once
    posts = [t for t in _posts(fake, "/v1/payment_intents") if t.idempotency_key == key]
    assert [p.status for p in payments] == [BillPaymentStatus.SUCCEEDED]  # one payment
    if past_the_grace:
        # Handed over: the payment keeps the bill, its answer unknown, due to be asked about
        # again at once (not after the 5-minute lease of a lost call).
        [handed_over] = payments_after_exit
        assert after_exit.status is BillStatus.UNPAID
        assert after_exit.active_payment_id == handed_over.id
        assert handed_over.status is BillPaymentStatus.PROCESSING
        assert handed_over.next_check_at is not None
        assert handed_over.next_check_at <= now()
        assert len(posts) == 2  # the next process asked again with the same key: a replay
        assert any("interrupted at shutdown" in r["message"] for r in server.log_records())
    else:
        assert after_exit.status is BillStatus.PAID
        assert len(posts) == 1


async def _due_bill(email: str) -> Bill:
    """An unpaid bill of the account, due for its first automatic charge now."""
    account = await Account.get(email=email)
    issued = now() - timedelta(hours=1)
    return await Bill.create(
        account_id=account.id,
        number="B-202610-SIGTERM1",
        kind=BillKind.MONTHLY,
        period_key="2026-10",
        period_start=date(2026, 10, 1),
        period_end=date(2026, 10, 31),
        currency="EUR",
        tax_rate_percent="19",
        subtotal="5.00",
        tax="0.95",
        total="5.95",
        issued_at=issued,
        next_charge_at=issued,
    )


async def _paid(bill_id: Any) -> Bill | None:
    return await Bill.get_or_none(id=bill_id, status=BillStatus.PAID)


async def test_once_draining_the_process_is_not_ready_and_its_jobs_stop(app_factory) -> None:
    async with app_factory() as app, http_client(app) as client:
        assert (await client.get("/readyz")).status_code == 200
        await app.state.shutdown.drain()
        ready = await client.get("/readyz")
        alive = await client.get("/healthz")
        runner = app.state.shutdown.runner
        await _until(lambda: all(t.done() for t in runner._tasks), "every job has ended")

    assert ready.status_code == 503
    assert ready.json()["status"] == "shutting down"
    assert alive.status_code == 200  # alive, finishing what is under way
