"""cardBindingUpdates over websockets: both subprotocols, credentials, revocation."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from api.app import create_app
from services.clock import FrozenClock
from tests.flows import (
    AGREEMENTS,
    BIND,
    COMPLETE_DETAILS,
    ENABLE,
    GATEWAY,
    INDIVIDUAL_DETAILS,
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


def test_updates_over_graphql_transport_ws(browser) -> None:
    token = browser.sign_up(EMAIL)
    attempt = browser.start_binding()
    ws, session = _transport_ws(browser, {"authorization": f"Bearer {token}"})
    try:
        session.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": SUBSCRIPTION, "variables": {"id": attempt["id"]}},
            }
        )
        now = session.receive_json()
        browser.answer_bank(attempt, "approve")
        done = session.receive_json()
        complete = session.receive_json()
    finally:
        ws.__exit__(None, None, None)
    assert now["payload"]["data"]["cardBindingUpdates"]["status"] == "REQUIRES_ACTION"
    assert done["payload"]["data"]["cardBindingUpdates"]["status"] == "SUCCEEDED"
    assert complete == {"id": "1", "type": "complete"}


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
        failed = ws.receive_json()
        complete = ws.receive_json()
    assert now["payload"]["data"]["cardBindingUpdates"]["status"] == "REQUIRES_ACTION"
    assert failed["payload"]["data"]["cardBindingUpdates"]["failureReason"] == "DECLINED"
    assert complete == {"id": "7", "type": "complete"}


def test_the_session_cookie_of_an_allowed_origin_is_enough(browser) -> None:
    token = browser.sign_up(EMAIL)
    attempt = browser.start_binding()
    ws, session = _transport_ws(
        browser, {}, origin="https://app.example.test", cookie=f"onramp_session={token}"
    )
    try:
        session.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": SUBSCRIPTION, "variables": {"id": attempt["id"]}},
            }
        )
        first = session.receive_json()
    finally:
        ws.__exit__(None, None, None)
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
        ws, session = _transport_ws(browser, payload)
        try:
            session.send_json(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": SUBSCRIPTION, "variables": {"id": attempt_id}},
                }
            )
            answers[name] = session.receive_json()
        finally:
            ws.__exit__(None, None, None)
    for name in ("foreign", "unknown"):
        message = answers[name]
        assert message["type"] in ("error", "next"), message
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "NOT_FOUND", name
        assert message["type"] == "error" or message["payload"].get("data") is None
    signed_out = answers["signed out"]
    errors = (
        signed_out["payload"] if signed_out["type"] == "error" else signed_out["payload"]["errors"]
    )
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


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
            subscribe = {
                "type": "subscribe",
                "payload": {"query": SUBSCRIPTION, "variables": {"id": attempt["id"]}},
            }
            session.send_json({"id": "1", **subscribe})
            live = session.receive_json()
            clock.advance(days=15)  # the session expires while the socket stays open
            session.send_json({"id": "2", **subscribe})
            expired = session.receive_json()
            while expired.get("id") != "2":
                expired = session.receive_json()
        finally:
            ws.__exit__(None, None, None)
    assert live["payload"]["data"]["cardBindingUpdates"]["status"] == "REQUIRES_ACTION"
    errors = expired["payload"] if expired["type"] == "error" else expired["payload"]["errors"]
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
