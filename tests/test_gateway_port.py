"""A gateway plugs in through the port alone: its routes, jobs and webhooks, named by config."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from gateways.port import InvalidWebhook, WebhookEvent
from gateways.registry import GATEWAYS, GatewayConfig, GatewayHost
from services.jobs import Job
from tests.conftest import http_client

ROOT = Path(__file__).resolve().parent.parent


class RecordingGateway:
    """Just enough of the port to see what the app asks of a gateway."""

    name = "recording"
    publishable_key = "pk_recording"
    tokenization_url = "http://testserver.local/recording/tokens"
    webhook_path = "/webhooks/recording"

    def __init__(self) -> None:
        self.steps = 0
        self.webhooks: list[bytes] = []

    def routes(self) -> list[Route]:
        async def hello(request: Request) -> PlainTextResponse:
            return PlainTextResponse("hello from the recording gateway")

        return [Route("/recording/hello", hello)]

    def jobs(self) -> list[Job]:
        async def step() -> None:
            self.steps += 1

        return [Job("recording-step", step, 3600)]

    def parse_webhook(self, body: bytes, headers: Mapping[str, str], now: datetime) -> WebhookEvent:
        self.webhooks.append(body)
        if headers.get("x-recording") != "yes":
            raise InvalidWebhook("not signed")
        return WebhookEvent(id="evt_1", type="noop", verification=None, charge=None)


@pytest.fixture
def recording(monkeypatch: pytest.MonkeyPatch) -> RecordingGateway:
    gateway = RecordingGateway()

    def make(config: GatewayConfig, host: GatewayHost) -> Any:
        return gateway

    monkeypatch.setitem(GATEWAYS, "recording", make)
    return gateway


async def test_a_gateway_brings_its_routes_jobs_and_webhook_path(
    app_factory, recording: RecordingGateway
) -> None:
    async with app_factory(gateway="recording", jobs=False) as app:
        assert "recording-step" in {job.name for job in app.state.jobs}
        assert not {"sandbox-refunds", "sandbox-webhooks"} & {job.name for job in app.state.jobs}
        async with http_client(app) as client:
            hello = await client.get("/recording/hello")
            refused = await client.post("/webhooks/recording", content=b"{}")
            accepted = await client.post(
                "/webhooks/recording", content=b"{}", headers={"x-recording": "yes"}
            )
            sandbox = await client.post("/sandbox/tokens", json={})
    assert hello.text == "hello from the recording gateway"
    assert (refused.status_code, accepted.status_code) == (400, 200)
    assert recording.webhooks == [b"{}", b"{}"]
    assert sandbox.status_code == 404  # the sandbox's pages come only with the sandbox


def test_an_unknown_gateway_is_refused_naming_the_ones_there_are(settings_for) -> None:
    with pytest.raises(
        Exception, match="names no adapter this build has \\(it has sandbox, stripe\\)"
    ):
        settings_for(gateway="nowhere").check_safe()


def test_outside_gateways_no_module_names_a_concrete_gateway() -> None:
    for layer in ("api", "resolvers", "services", "models"):
        for path in (ROOT / layer).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            imported = [
                node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            ] + [
                alias.name
                for node in ast.walk(tree)
                if isinstance(node, ast.Import)
                for alias in node.names
            ]
            concrete = [
                m
                for m in imported
                if m.startswith("gateways.") and m not in ("gateways.port", "gateways.registry")
            ]
            assert not concrete, f"{path.relative_to(ROOT)} imports {concrete}"
