"""The card form's Stripe branch, chosen by `paymentGateway.name`: what it sends.

Stripe.js cannot be loaded here, so the frontend's ONRAMP_STRIPE_JS_URL points at a stand-in
served by this test: it records how the page calls it (the publishable key, the card Element
mounted, `createPaymentMethod` with the holder's name) and answers with a PaymentMethod made
on the strict local Stripe fake (tests/stripe_fake.py), which the server, on the Stripe
gateway, then charges. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from tests.browser.conftest import (
    Server,
    Shots,
    Watch,
    free_port,
    start_server,
    stop_server,
    watch_context,
)
from tests.browser.steps import account_via_api, screen, sign_in
from tests.stripe_fake import StripeFake

SK = "sk_test_onrampbrowser00000"
PK = "pk_test_onrampbrowser00000"
WHSEC = "whsec_onrampbrowser0000000"
HOLDER = "Ada Lovelace"

STAND_IN = """// A stand-in for Stripe.js: records every call, makes no request of its own.
(function () {
  const calls = [];
  window.__stripeStandIn = calls;
  window.Stripe = function (key) {
    calls.push(["Stripe", key]);
    return {
      elements(options) {
        calls.push(["elements", options?.locale ?? null]);
        return {
          create(type, options) {
            calls.push(["create", type]);
            return {
              mount(target) {
                const element =
                  typeof target === "string" ? document.querySelector(target) : target;
                element.textContent = "(Stripe's card fields)";
                calls.push(["mount", element.id]);
              },
              on(event) { calls.push(["on", event]); },
            };
          },
        };
      },
      async createPaymentMethod(params) {
        calls.push(["createPaymentMethod", {
          type: params.type,
          cardElement: typeof params.card?.mount === "function",
          billing_details: params.billing_details,
        }]);
        return { paymentMethod: { id: PAYMENT_METHOD } };
      },
    };
  };
})();
"""


class FakeStripe:
    """The Stripe fake and the stand-in script, on a uvicorn of their own in a thread; the
    fake's events are delivered to the server's webhook as they come."""

    def __init__(self) -> None:
        self.fake = StripeFake(secret_key=SK, webhook_secret=WHSEC)
        self.port = free_port()
        self.fake.base_url = f"http://127.0.0.1:{self.port}"
        self.payment_method = ""
        self.webhook_url = ""
        self.loop = asyncio.new_event_loop()
        self.server: uvicorn.Server | None = None
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self.main(),))

    @property
    def script_url(self) -> str:
        return f"{self.fake.base_url}/stand-in/stripe.js"

    async def script(self, request: Request) -> Response:
        source = STAND_IN.replace("PAYMENT_METHOD", json.dumps(self.payment_method))
        return Response(source, media_type="text/javascript")

    async def deliver(self, body: bytes, headers: dict[str, str]) -> None:
        async with httpx.AsyncClient() as client:
            response = await client.post(self.webhook_url, content=body, headers=headers)
        assert response.status_code == 200, response.text

    async def main(self) -> None:
        self.fake.deliver = self.deliver
        app = Starlette(
            routes=[Route("/stand-in/stripe.js", self.script), Mount("/", app=self.fake.app())]
        )
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, lifespan="off", log_level="warning"
        )
        self.server = uvicorn.Server(config)
        serving = asyncio.create_task(self.server.serve())
        while not serving.done():
            if self.fake.pending_events and self.webhook_url:
                await self.fake.flush()
            await asyncio.sleep(0.1)
        await serving

    def start(self) -> None:
        self.thread.start()
        while self.server is None or not self.server.started:
            assert self.thread.is_alive()
            threading.Event().wait(0.02)

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def stripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, FakeStripe]]:
    fake = FakeStripe()
    fake.start()
    server = start_server(
        Path(tmp_path_factory.mktemp("browser-stripe")),
        ONRAMP_GATEWAY="stripe",
        ONRAMP_GATEWAY_SECRET_KEY=SK,
        ONRAMP_GATEWAY_PUBLISHABLE_KEY=PK,
        ONRAMP_GATEWAY_WEBHOOK_SECRET=WHSEC,
        ONRAMP_STRIPE_API_BASE=fake.fake.base_url,
        ONRAMP_STRIPE_JS_URL=fake.script_url,
    )
    fake.webhook_url = f"{server.url}/webhooks/stripe"
    try:
        yield server, fake
    finally:
        stop_server(server)
        fake.stop()


def test_the_stripe_branch_sends_the_card_to_stripe_and_only_a_token_to_onramp(
    browser: Any, stripe: tuple[Server, FakeStripe], shots: Shots, watch: Watch
) -> None:

    server, fake = stripe
    email = "ada@example.com"
    account_via_api(server, email)
    fake.payment_method = fake.fake.new_payment_method("visa", holder=HOLDER)

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    watch_context(context, watch)
    page: Page = context.new_page()
    sent: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda r: (
            sent.append(json.loads(r.post_data or "{}"))
            if r.url == f"{server.url}/graphql" and r.method == "POST"
            else None
        ),
    )
    try:
        page.goto(f"{server.url}/onboarding/payment")
        sign_in(page, email)
        page.wait_for_url(re.compile("/onboarding/payment$"))
        screen(page, "payment")
        expect(page.locator("#card-element")).to_have_text("(Stripe's card fields)")
        expect(page.get_by_label("Card number")).to_have_count(0)

        # The holder's name is asked for in either branch; Stripe is not called without it.
        page.get_by_label(re.compile("I accept the Payment Service Terms")).check()
        page.get_by_role("button", name=re.compile("Verify card")).click()
        expect(page.get_by_label("Name on the card")).to_have_attribute("aria-invalid", "true")
        page.get_by_label("Name on the card").fill(HOLDER)
        shots(page, "stripe-card-form")
        page.get_by_role("button", name=re.compile("Verify card")).click()

        attempt = page.locator("#attempt")
        expect(attempt).to_have_attribute("data-status", "SUCCEEDED")
        expect(attempt).to_have_attribute("data-deposit", "REFUNDED", timeout=15_000)
        shots(page, "stripe-card-bound")
        calls = page.evaluate("window.__stripeStandIn")
    finally:
        context.close()
    watch.check()

    assert ["Stripe", PK] in calls
    assert ["elements", "en"] in calls  # Stripe's own words in the page's language
    assert ["create", "card"] in calls
    assert ["mount", "card-element"] in calls
    made = [c[1] for c in calls if c[0] == "createPaymentMethod"]
    assert made == [{"type": "card", "cardElement": True, "billing_details": {"name": HOLDER}}]
    binds = [r["variables"]["input"] for r in sent if "bindCard" in r.get("query", "")]
    assert len(binds) == 1
    assert binds[0]["paymentMethodToken"] == fake.payment_method
    assert binds[0]["acceptServiceTerms"] is True
    assert binds[0]["returnUrl"] == f"{server.url}/onboarding/payment"
    assert set(binds[0]) == {
        "paymentMethodToken",
        "acceptServiceTerms",
        "returnUrl",
        "idempotencyKey",
    }
    intents = fake.fake.tries_of("POST", "/v1/payment_intents")
    assert len(intents) == 1
