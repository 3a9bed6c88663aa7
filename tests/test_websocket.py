"""GraphQL over websockets at /graphql: both subprotocols, and the origin check."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from api.app import create_app

QUERY = "{ passwordPolicy { minLength } }"


@pytest.fixture
def ws_client(settings_for):
    app = create_app(settings_for())
    with TestClient(app, base_url="http://testserver.local") as client:
        yield client


def test_graphql_transport_ws_runs_an_operation(ws_client) -> None:
    with ws_client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"type": "subscribe", "id": "1", "payload": {"query": QUERY}})
        message = ws.receive_json()
        assert message == {
            "type": "next",
            "id": "1",
            "payload": {"data": {"passwordPolicy": {"minLength": 8}}},
        }
        assert ws.receive_json() == {"type": "complete", "id": "1"}


def test_legacy_graphql_ws_is_served_for_subscriptions_only(ws_client, caplog) -> None:
    with ws_client.websocket_connect("/graphql", subprotocols=["graphql-ws"]) as ws:
        ws.send_json({"type": "connection_init", "payload": {}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"type": "start", "id": "1", "payload": {"query": QUERY}})
        message = ws.receive_json()
    # The legacy protocol carries subscriptions only: a query is the client's mistake,
    # answered plainly and kept out of the error log.
    assert message["type"] == "error"
    assert message["payload"]["message"] == "queries are not allowed"
    assert not [r for r in caplog.records if r.name == "onramp.graphql"]


def test_a_browser_socket_from_another_origin_is_refused(ws_client) -> None:
    with pytest.raises(WebSocketDisconnect):
        _init(ws_client, origin="https://evil.test")


def test_a_socket_from_an_allowed_origin_is_accepted(ws_client) -> None:
    assert _init(ws_client, origin="https://app.example.test")["type"] == "connection_ack"


def _init(ws_client, origin: str) -> dict:
    with ws_client.websocket_connect(
        "/graphql", subprotocols=["graphql-transport-ws"], headers={"origin": origin}
    ) as ws:
        ws.send_json({"type": "connection_init", "payload": {}})
        return ws.receive_json()
