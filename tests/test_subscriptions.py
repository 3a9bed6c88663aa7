"""cardBindingUpdates over websockets: both subprotocols, credentials, revocation."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect, WebSocketState
from strawberry import relay

from api.app import create_app
from api.sockets import SESSION_ENDED, SocketRegistry
from models.sessions import Session
from resolvers.nodes import decode_id
from services.cards.transitions import channel
from services.clock import FrozenClock
from services.pubsub import RESYNC
from tests.flows import (
    AGREEMENTS,
    BIND,
    COMPLETE_DETAILS,
    ENABLE,
    GATEWAY,
    INDIVIDUAL_DETAILS,
    LOGIN,
    LOGOUT,
    PASSWORD,
    REGISTER,
    REQUEST_RESET,
    RESET,
    SEND_CODE,
)

EMAIL = "sofia.rossi@example.com"
SUBSCRIPTION = """subscription($id: ID!) { cardBindingUpdates(attemptId: $id) {
  id status depositStatus failureReason } }"""


class Browser:
    """Drives the app through Starlette's test client, as the single-page frontend would."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.headers: dict[str, str] = {}

    def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    def code_for(self, recipient: str) -> str:
        messages = self.client.get("/dev/outbox.json").json()["messages"]
        body = next(m["body"] for m in messages if m["recipient"] == recipient)
        return re.findall(r"^(\d{6})$", body, flags=re.MULTILINE)[0]

    def sign_up(self, email: str) -> str:
        self.gql(SEND_CODE, {"input": {"email": email}})
        registered = self.gql(
            REGISTER,
            {
                "input": {
                    "regionCode": "IT",
                    "email": email,
                    "emailCode": self.code_for(email),
                    "password": PASSWORD,
                }
            },
        )["data"]["register"]
        token = registered["session"]["token"]
        self.headers = {"authorization": f"Bearer {token}"}
        ids = [a["id"] for a in self.gql(AGREEMENTS)["data"]["agreements"]]
        self.gql(ENABLE, {"input": {"acceptedAgreementIds": ids}})
        self.gql(COMPLETE_DETAILS, {"input": INDIVIDUAL_DETAILS})
        return token

    def start_binding(self, number: str = "4242424242424242") -> dict[str, Any]:
        gateway = self.gql(GATEWAY)["data"]["paymentGateway"]
        token = self.client.post(
            "/sandbox/tokens",
            json={
                "number": number,
                "expMonth": 12,
                "expYear": 2031,
                "cvc": "123",
                "holderName": "Sofia Rossi",
            },
            headers={"authorization": f"Bearer {gateway['publishableKey']}"},
        ).json()["id"]
        variables = {
            "input": {
                "paymentMethodToken": token,
                "acceptServiceTerms": True,
                "idempotencyKey": "k",
            }
        }
        return self.gql(BIND, variables)["data"]["bindCard"]["attempt"]

    def answer_bank(self, attempt: dict[str, Any], outcome: str) -> None:
        path = attempt["nextAction"]["redirectUrl"].removeprefix("http://testserver.local")
        assert self.client.post(path, data={"outcome": outcome}).status_code == 200


@pytest.fixture
def browser(settings_for):
    app = create_app(settings_for(limit_codes_per_destination="50/minute"))
    with TestClient(app, base_url="http://testserver.local", client=("127.0.0.1", 50000)) as client:
        from tests.conftest import _empty_tables

        client.portal.call(_empty_tables)
        yield Browser(client)


def _transport_ws(browser: Browser, payload: dict[str, Any], **headers: str):
    ws = browser.client.websocket_connect(
        "/graphql", subprotocols=["graphql-transport-ws"], headers=headers
    )
    session = ws.__enter__()
    session.send_json({"type": "connection_init", "payload": payload})
    assert session.receive_json()["type"] == "connection_ack"
    return ws, session


def _subscribe(session: Any, node_id: str, op_id: str = "1", query: str = SUBSCRIPTION) -> None:
    payload = {"query": query, "variables": {"id": node_id}}
    session.send_json({"id": op_id, "type": "subscribe", "payload": payload})


def _first_answer(browser: Browser, payload: dict[str, Any], node_id: str, **headers: str):
    """The first message a new socket gets for one subscription to `node_id`."""
    ws, session = _transport_ws(browser, payload, **headers)
    try:
        _subscribe(session, node_id)
        return session.receive_json()
    finally:
        ws.__exit__(None, None, None)


def _errors(message: dict[str, Any]) -> list[dict[str, Any]]:
    """A refusal's errors: an `error` message's payload, or a `next` message's errors."""
    return message["payload"] if message["type"] == "error" else message["payload"]["errors"]


def test_updates_over_graphql_transport_ws(browser) -> None:
    token = browser.sign_up(EMAIL)
    attempt = browser.start_binding()
    ws, session = _transport_ws(browser, {"authorization": f"Bearer {token}"})
    try:
        _subscribe(session, attempt["id"])
        now = session.receive_json()
        browser.answer_bank(attempt, "approve")
        later = _until_complete(session, "1")
    finally:
        ws.__exit__(None, None, None)
    assert now["payload"]["data"]["cardBindingUpdates"]["status"] == "REQUIRES_ACTION"
    # Every change of status or deposit, and the end only once the deposit is settled.
    states = [(m["status"], m["depositStatus"]) for m in later]
    assert states[0][0] == "SUCCEEDED"
    assert states[-1] == ("SUCCEEDED", "REFUNDED")
    assert states == sorted(set(states), key=states.index)  # each change once


def _until_complete(session: Any, operation: str, most: int = 8) -> list[dict[str, Any]]:
    """The attempts a subscription pushes until it completes (its 'complete' message)."""
    pushed = []
    for _ in range(most):
        message = session.receive_json()
        if message == {"id": operation, "type": "complete"}:
            return pushed
        assert message["type"] in ("next", "data"), message
        pushed.append(message["payload"]["data"]["cardBindingUpdates"])
    raise AssertionError(f"no completion after {most} messages: {pushed}")


def test_updates_over_legacy_graphql_ws(browser) -> None:
    token = browser.sign_up(EMAIL)
    attempt = browser.start_binding("4000000000000002")
    with browser.client.websocket_connect("/graphql", subprotocols=["graphql-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json(
            {
                "id": "7",
                "type": "start",
                "payload": {"query": SUBSCRIPTION, "variables": {"id": attempt["id"]}},
            }
        )
        now = ws.receive_json()
        browser.answer_bank(attempt, "approve")
        later = _until_complete(ws, "7")
    assert now["payload"]["data"]["cardBindingUpdates"]["status"] == "REQUIRES_ACTION"
    # Declined: the deposit was never charged, so the failure itself is the last message.
    assert [(m["status"], m["failureReason"], m["depositStatus"]) for m in later] == [
        ("FAILED", "DECLINED", "NOT_CHARGED")
    ]


def test_the_session_cookie_of_an_allowed_origin_is_enough(browser) -> None:
    token = browser.sign_up(EMAIL)
    attempt = browser.start_binding()
    first = _first_answer(
        browser,
        {},
        attempt["id"],
        origin="https://app.example.test",
        cookie=f"onramp_session={token}",
    )
    assert first["payload"]["data"]["cardBindingUpdates"]["id"] == attempt["id"]


def test_unknown_foreign_and_unauthenticated_subscriptions_are_refused(browser) -> None:
    owner_token = browser.sign_up(EMAIL)
    attempt = browser.start_binding()
    stranger_token = browser.sign_up("stranger@example.com")
    browser.client.cookies.clear()  # signed out means no cookie either
    answers = {}
    for name, payload, attempt_id in (
        ("foreign", {"authorization": f"Bearer {stranger_token}"}, attempt["id"]),
        ("unknown", {"authorization": f"Bearer {owner_token}"}, "Q2FyZEJpbmRpbmdBdHRlbXB0OjE="),
        ("signed out", {}, attempt["id"]),
    ):
        answers[name] = _first_answer(browser, payload, attempt_id)
    for name in ("foreign", "unknown"):
        message = answers[name]
        assert message["type"] in ("error", "next"), message
        assert _errors(message)[0]["extensions"]["code"] == "NOT_FOUND", name
        assert message["type"] == "error" or message["payload"].get("data") is None
    assert _errors(answers["signed out"])[0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_not_found_speaks_the_accounts_language(browser) -> None:
    """A subscription's NOT_FOUND message is in the account's language; its code is not."""
    token = browser.sign_up(EMAIL)
    changed = browser.gql(
        "mutation($input: SetLocaleInput!) { setLocale(input: $input) { errors { code } } }",
        {"input": {"locale": "de"}},
    )
    assert changed["data"]["setLocale"]["errors"] == []
    message = _first_answer(
        browser, {"authorization": f"Bearer {token}"}, "Q2FyZEJpbmRpbmdBdHRlbXB0OjE="
    )
    errors = _errors(message)
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
    assert errors[0]["message"] == "Diesen Kartenbindungsversuch gibt es nicht."


def test_an_unexpected_error_is_masked_in_the_accounts_language(browser, monkeypatch) -> None:
    """A subscription's unexpected error is masked as a query's is, in the account's language,
    with the request id to quote; what went wrong stays in the log."""
    token = browser.sign_up(EMAIL)
    attempt = browser.start_binding()
    changed = browser.gql(
        "mutation($input: SetLocaleInput!) { setLocale(input: $input) { errors { code } } }",
        {"input": {"locale": "ja"}},
    )
    assert changed["data"]["setLocale"]["errors"] == []

    async def broken(*args: Any) -> None:
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr(browser.client.app.state.services.cards, "attempt_of", broken)
    message = _first_answer(browser, {"authorization": f"Bearer {token}"}, attempt["id"])
    errors = _errors(message)
    assert "hunter2" not in str(message)
    assert errors[0]["message"] == "予期しないエラーが発生しました。"
    assert errors[0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert errors[0]["extensions"]["requestId"]


def test_logout_closes_the_sessions_sockets(browser) -> None:
    token = browser.sign_up(EMAIL)
    ws, session = _transport_ws(browser, {"authorization": f"Bearer {token}"})
    try:
        assert browser.gql(LOGOUT)["data"]["logout"]["errors"] == []
        with pytest.raises(WebSocketDisconnect) as closed:
            session.receive_json()
    finally:
        ws.__exit__(None, None, None)
    assert closed.value.code == 4401


def test_the_session_is_checked_again_at_every_subscribe(settings_for) -> None:
    clock = FrozenClock(datetime.now(UTC))
    app = create_app(settings_for(limit_codes_per_destination="50/minute"), clock=clock)
    with TestClient(app, base_url="http://testserver.local", client=("127.0.0.1", 50000)) as client:
        from tests.conftest import _empty_tables

        client.portal.call(_empty_tables)
        browser = Browser(client)
        token = browser.sign_up(EMAIL)
        attempt = browser.start_binding()
        ws, session = _transport_ws(browser, {"authorization": f"Bearer {token}"})
        try:
            _subscribe(session, attempt["id"])
            live = session.receive_json()
            clock.advance(days=15)  # the session expires while the socket stays open
            _subscribe(session, attempt["id"], "2")
            expired = session.receive_json()
            while expired.get("id") != "2":
                expired = session.receive_json()
        finally:
            ws.__exit__(None, None, None)
    assert live["payload"]["data"]["cardBindingUpdates"]["status"] == "REQUIRES_ACTION"
    errors = _errors(expired)
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_a_password_reset_closes_the_accounts_sockets(browser) -> None:
    token = browser.sign_up(EMAIL)
    ws, session = _transport_ws(browser, {"authorization": f"Bearer {token}"})
    try:
        browser.gql(REQUEST_RESET, {"input": {"email": EMAIL}})
        reset = browser.gql(
            RESET,
            {
                "input": {
                    "email": EMAIL,
                    "code": browser.code_for(EMAIL),
                    "newPassword": "after-reset-5",
                }
            },
        )
        assert reset["data"]["resetPassword"]["errors"] == []
        with pytest.raises(WebSocketDisconnect) as closed:
            session.receive_json()
    finally:
        ws.__exit__(None, None, None)
    assert closed.value.code == 4401


# Ending a session closes every one of its sockets, whatever its neighbours do.


class _Socket:
    """Stands in for a Starlette WebSocket in the registry: records how it was closed."""

    def __init__(self, fails_with: Exception | None = None) -> None:
        self.application_state = WebSocketState.CONNECTED
        self.client_state = WebSocketState.CONNECTED
        self.fails_with = fails_with
        self.closed_with: int | None = None
        self.close_calls = 0

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.close_calls += 1
        self.application_state = WebSocketState.DISCONNECTED
        if self.fails_with is not None:
            raise self.fails_with
        self.closed_with = code


async def test_a_socket_that_fails_to_close_leaves_the_others_closing(caplog) -> None:
    registry = SocketRegistry()
    first, second = uuid.uuid4(), uuid.uuid4()
    # What a socket whose client already left raises when closed, under uvicorn and others.
    failing = [_Socket(WebSocketDisconnect(1006)), _Socket(RuntimeError()), _Socket(OSError())]
    live = [_Socket() for _ in range(3)]
    later = [_Socket() for _ in range(3)]
    for socket in [*failing, *live]:
        registry.add(first, socket)
    for socket in later:
        registry.add(second, socket)

    with caplog.at_level(logging.DEBUG, logger="onramp.sockets"):
        await registry.close_sessions([first, second])

    assert [s.closed_with for s in live + later] == [SESSION_ENDED] * 6
    assert [s.close_calls for s in failing] == [1, 1, 1]
    assert all(r.levelno <= logging.INFO for r in caplog.records)
    assert len(caplog.records) == 3  # once per failing socket, no traceback
    await registry.close_sessions([first, second])  # taken off the registry: no second try
    assert [s.close_calls for s in failing + live + later] == [1] * 9


async def test_sockets_whose_client_left_are_dropped_not_closed() -> None:
    registry = SocketRegistry()
    session, other = uuid.uuid4(), uuid.uuid4()
    left, gone, live = _Socket(RuntimeError("closed stream")), _Socket(), _Socket()
    registry.add(session, left)
    registry.add(other, gone)
    left.client_state = WebSocketState.DISCONNECTED
    gone.client_state = WebSocketState.DISCONNECTED
    registry.add(session, live)  # the next connection drops the ended ones
    assert registry._by_session.keys() == {session}
    assert list(registry._by_session[session]) == [live]
    await registry.close_sessions([session, other])
    assert (left.close_calls, gone.close_calls, live.closed_with) == (0, 0, SESSION_ENDED)


def _subscribed(browser: Browser, token: str, attempt_id: str):
    ws, session = _transport_ws(browser, {"authorization": f"Bearer {token}"})
    _subscribe(session, attempt_id)
    first = session.receive_json()
    assert first["payload"]["data"]["cardBindingUpdates"]["status"] == "REQUIRES_ACTION"
    return ws, session


@pytest.mark.parametrize("ending", ["logout", "resetPassword"])
def test_every_live_socket_closes_when_its_session_ends(browser, ending, monkeypatch) -> None:
    """The reported run: sockets the client closed sit beside live ones when the session ends."""
    token = browser.sign_up(EMAIL)
    attempt = browser.start_binding()
    # A server holds on to a socket for a while after its client left (tasks still winding
    # down, reference cycles); here the test holds them, so the registry still has them.
    registry = browser.client.app.state.sockets
    held = []
    add = registry.add
    monkeypatch.setattr(registry, "add", lambda *args: (held.append(args[1]), add(*args)))
    for _ in range(3):
        left, _session = _transport_ws(browser, {"authorization": f"Bearer {token}"})
        left.__exit__(None, None, None)  # closed from the client side
    live = [_subscribed(browser, token, attempt["id"]) for _ in range(3)]
    if ending == "resetPassword":
        # A second sign-in, ended by the same reset, after the first in the announcement.
        login = browser.gql(LOGIN, {"input": {"email": EMAIL, "password": PASSWORD}})
        second = login["data"]["login"]["session"]["token"]
        live += [_subscribed(browser, second, attempt["id"]) for _ in range(3)]
    assert len(held) == len(live) + 3
    try:
        if ending == "logout":
            assert browser.gql(LOGOUT)["data"]["logout"]["errors"] == []
        else:
            browser.gql(REQUEST_RESET, {"input": {"email": EMAIL}})
            reset = browser.gql(
                RESET,
                {
                    "input": {
                        "email": EMAIL,
                        "code": browser.code_for(EMAIL),
                        "newPassword": "after-reset-5",
                    }
                },
            )
            assert reset["data"]["resetPassword"]["errors"] == []
        # The attempt succeeds after the session ended: no socket of it may hear about it.
        browser.answer_bank(attempt, "approve")
        heard = []
        for _ws, session in live:
            with pytest.raises(WebSocketDisconnect) as closed:
                heard.append(session.receive_json())
            assert closed.value.code == SESSION_ENDED, heard
    finally:
        for ws, _session in live:
            ws.__exit__(None, None, None)
    assert heard == []


def test_a_socket_left_open_hears_nothing_after_its_session_ended(browser) -> None:
    """Had a process missed the announcement (Redis was away: it is told to RESYNC), its
    socket still tells nothing more."""
    token = browser.sign_up(EMAIL)
    attempt = browser.start_binding()
    ws, session = _subscribed(browser, token, attempt["id"])
    try:
        # Ended in the database only: no announcement, so the socket stays open.
        browser.client.portal.call(_end_sessions_quietly)
        pubsub = browser.client.app.state.services.pubsub
        attempt_id = decode_id(attempt["id"], "CardBindingAttempt")
        browser.client.portal.call(pubsub.publish, channel(attempt_id), RESYNC)
        browser.answer_bank(attempt, "approve")
        message = session.receive_json()
    finally:
        ws.__exit__(None, None, None)
    assert message["type"] in ("error", "next"), message
    assert _errors(message)[0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "SUCCEEDED" not in str(message)


async def _end_sessions_quietly() -> None:
    await Session.all().update(revoked_at=datetime.now(UTC))


PAYMENT_SUBSCRIPTION = """subscription($id: ID!) { billPaymentUpdates(paymentId: $id) {
  id status failureReason nextAction { redirectUrl } } }"""
PAY_BILL = """mutation($input: PayBillInput!) { payBill(input: $input) {
  payment { id status nextAction { redirectUrl } } errors { code } } }"""


def _unpaid_bill(browser: Browser) -> str:
    """Card 3184 bound (its bank page approved), and a bill whose automatic charge failed."""
    from models.accounts import Account
    from models.billing import Bill
    from models.cards import PaymentCard
    from services.billing import month_start

    attempt = browser.start_binding("4000002760003184")
    browser.answer_bank(attempt, "approve")
    services = browser.client.app.state.services

    async def bill() -> str:
        import asyncio

        for _ in range(100):
            account = await Account.get(email=EMAIL)
            if await PaymentCard.exists(account_id=account.id):
                break
            await asyncio.sleep(0.05)
        await services.billing.record_usage(account, "5.00", "Compute")
        await services.billing._bill_month(month_start(services.clock.now().date()))
        found = await Bill.get(account_id=account.id)
        return relay.to_base64("Bill", found.id)

    return browser.client.portal.call(bill)


def test_bill_payment_updates_push_the_bank_page_then_success(browser) -> None:
    token = browser.sign_up(EMAIL)
    bill_id = _unpaid_bill(browser)
    paid = browser.gql(PAY_BILL, {"input": {"billId": bill_id, "idempotencyKey": "p"}})
    payment = paid["data"]["payBill"]["payment"]
    assert payment["status"] == "REQUIRES_ACTION"
    ws, session = _transport_ws(browser, {"authorization": f"Bearer {token}"})
    try:
        _subscribe(session, payment["id"], query=PAYMENT_SUBSCRIPTION)
        now = session.receive_json()["payload"]["data"]["billPaymentUpdates"]
        path = payment["nextAction"]["redirectUrl"].removeprefix("http://testserver.local")
        assert browser.client.post(path, data={"outcome": "approve"}).status_code == 200
        later = session.receive_json()["payload"]["data"]["billPaymentUpdates"]
        assert session.receive_json() == {"id": "1", "type": "complete"}
        # Unknown: NOT_FOUND.
        unknown_id = relay.to_base64("BillPayment", uuid.uuid4())
        _subscribe(session, unknown_id, "2", query=PAYMENT_SUBSCRIPTION)
        unknown = session.receive_json()
    finally:
        ws.__exit__(None, None, None)
    assert (now["status"], now["nextAction"]["redirectUrl"]) == (
        "REQUIRES_ACTION",
        payment["nextAction"]["redirectUrl"],
    )
    assert (later["status"], later["nextAction"]) == ("SUCCEEDED", None)
    assert unknown["type"] in ("error", "next"), unknown
    errors = _errors(unknown)
    assert errors[0]["extensions"]["code"] == "NOT_FOUND"
