"""A strict local fake of the Stripe endpoints the Stripe gateway calls.

Served by uvicorn on 127.0.0.1 and reached by the real SDK through ONRAMP_STRIPE_API_BASE.
It refuses parameters it does not know (400, Stripe-shaped), answers with objects shaped
like Stripe's published fixtures (tests/stripe_fixtures.json), replays idempotent requests
as Stripe does, records every try of every call with its Idempotency-Key, and behaves as
Stripe documents its test cards (not the sandbox's table). Events are signed as Stripe
signs them and handed to `deliver`, at once (`webhooks_first`) or on `flush()`.

Its time is `now` (a test gives it the app's frozen clock): an idempotency key is forgotten
24 hours after its first use, as Stripe may forget it, and then a create under it creates
again. Search finds objects by exact metadata (`metadata['k']:'v'`), the one form it knows.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import hmac
import json
import re
import secrets
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# Stripe keeps an idempotency key at least this long, and may forget it after.
KEY_RETENTION_S = 24 * 3600
METADATA_QUERY = re.compile(r"metadata\['([^'\\\[\]]{1,40})'\]:'((?:[^'\\]|\\.){0,500})'")
FIXTURES = json.loads((Path(__file__).parent / "stripe_fixtures.json").read_text("utf-8"))
THREE_DECIMALS = {"bhd", "jod", "kwd", "omr", "tnd"}

# Stripe's documented test cards: number, and what confirming a payment with it does.
# (code, decline_code) for a decline at confirm; "3ds" asks for authentication every time.
TEST_CARDS: dict[str, tuple[str, str, tuple[str, str] | str | None]] = {
    "visa": ("4242424242424242", "visa", None),
    "threeDSecure2Required": ("4000002760003184", "visa", "3ds"),
    "chargeDeclined": ("4000000000000002", "visa", ("card_declined", "generic_decline")),
    "chargeDeclinedInsufficientFunds": (
        "4000000000009995",
        "visa",
        ("card_declined", "insufficient_funds"),
    ),
    "chargeDeclinedLostCard": ("4000000000009987", "visa", ("card_declined", "lost_card")),
    "chargeDeclinedStolenCard": ("4000000000009979", "visa", ("card_declined", "stolen_card")),
    "chargeDeclinedExpiredCard": ("4000000000000069", "visa", ("expired_card", "expired_card")),
    "chargeDeclinedIncorrectCvc": ("4000000000000127", "visa", ("incorrect_cvc", "incorrect_cvc")),
    "chargeDeclinedProcessingError": (
        "4000000000000119",
        "visa",
        ("processing_error", "processing_error"),
    ),
    # Succeeds; a refund starts as succeeded and later turns failed.
    "refundFail": ("4000000000005126", "visa", None),
    "mastercard": ("5555555555554444", "mastercard", None),
}

Deliver = Callable[[bytes, dict[str, str]], Awaitable[None]]


@dataclass
class Hold:
    """POSTs to a path wait here before Stripe does anything: a call caught in flight."""

    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    # When released: go on as Stripe would (True), or answer 500 having done nothing.
    proceed: bool = True


class StripeError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.body = body


def _refuse(message: str, *, code: str, param: str | None = None, status: int = 400) -> StripeError:
    error: dict[str, Any] = {"type": "invalid_request_error", "code": code, "message": message}
    if param:
        error["param"] = param
    return StripeError(status, {"error": error})


@dataclass
class Try:
    method: str
    path: str
    idempotency_key: str | None
    status: int


@dataclass
class StripeFake:
    secret_key: str
    webhook_secret: str
    base_url: str = ""
    deliver: Deliver | None = None
    # Deliver each event before answering the call that caused it.
    webhooks_first: bool = False
    tries: list[Try] = field(default_factory=list)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    payment_methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending_events: list[dict[str, Any]] = field(default_factory=list)
    # Idempotency-Key -> (request fingerprint, status, body, first used at)
    replays: dict[str, tuple[str, int, dict[str, Any], float]] = field(default_factory=dict)
    # POST paths (prefixes) whose next answers are lost: processed (or replayed), then
    # answered 500.
    lost_answers: dict[str, int] = field(default_factory=dict)
    now: Callable[[], float] = time.time
    _behaviour: dict[str, tuple[str, str] | str | None] = field(default_factory=dict)
    # POST path prefix -> its hold (`hold`, `release`).
    holds: dict[str, Hold] = field(default_factory=dict)

    def hold(self, path: str) -> Hold:
        self.holds[path] = Hold()
        return self.holds[path]

    def release(self, path: str, *, proceed: bool = True) -> None:
        held = self.holds.pop(path)
        held.proceed = proceed
        held.released.set()

    # Set-up helpers, as Stripe.js would make a PaymentMethod in the browser.

    def new_payment_method(self, card: str = "visa", *, holder: str = "Test Person") -> str:
        number, brand, behaviour = TEST_CARDS[card]
        method = copy.deepcopy(FIXTURES["payment_method"])
        method_id = "pm_" + secrets.token_hex(12)
        method.update(id=method_id, customer=None, metadata={}, created=int(self.now()))
        method["billing_details"]["name"] = holder
        method["card"].update(
            brand=brand,
            display_brand=brand,
            last4=number[-4:],
            exp_month=12,
            exp_year=2034,
            # Stripe's fingerprint: the same for the same number within an account.
            fingerprint=hashlib.sha256(number.encode()).hexdigest()[:16],
        )
        self.payment_methods[method_id] = method
        self._behaviour[method_id] = behaviour
        return method_id

    def tries_of(self, method: str, path: str) -> list[Try]:
        return [t for t in self.tries if t.method == method and t.path == path]

    def remembers(self, key: str) -> bool:
        """Whether a request with this Idempotency-Key would be replayed now."""
        stored = self.replays.get(key)
        if stored is not None and self.now() - stored[3] >= KEY_RETENTION_S:
            del self.replays[key]
            stored = None
        return stored is not None

    # Webhooks.

    def sign(self, body: bytes, timestamp: int | None = None) -> str:
        sent_at = int(self.now()) if timestamp is None else timestamp
        mac = hmac.new(
            self.webhook_secret.encode(), f"{sent_at}.".encode() + body, hashlib.sha256
        ).hexdigest()
        return f"t={sent_at},v1={mac}"

    def event(self, event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
        event = copy.deepcopy(FIXTURES["event"])
        event.update(
            id="evt_" + secrets.token_hex(12),
            type=event_type,
            created=int(self.now()),
            data={"object": copy.deepcopy(obj)},
        )
        return event

    def signed(self, event: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        body = json.dumps(event).encode()
        return body, {"content-type": "application/json", "stripe-signature": self.sign(body)}

    async def _emit(self, event_type: str, obj: dict[str, Any]) -> None:
        event = self.event(event_type, obj)
        if self.webhooks_first and self.deliver is not None:
            await self.deliver(*self.signed(event))
        else:
            self.pending_events.append(event)

    async def flush(self) -> list[dict[str, Any]]:
        """Delivers the events waiting, in order; returns them."""
        sent, self.pending_events = self.pending_events, []
        assert self.deliver is not None
        for event in sent:
            await self.deliver(*self.signed(event))
        return sent

    # What a test does on Stripe's side.

    async def complete_3ds(self, intent_id: str, approve: bool) -> None:
        intent = self.intents[intent_id]
        assert intent["status"] == "requires_action", intent["status"]
        intent["next_action"] = None
        if approve:
            await self._succeed(intent)
        else:
            intent["status"] = "requires_payment_method"
            intent["last_payment_error"] = {
                "type": "invalid_request_error",
                "code": "payment_intent_authentication_failure",
                "message": "The provided PaymentMethod has failed authentication.",
            }
            await self._emit("payment_intent.payment_failed", intent)

    async def fail_refund(self, intent_id: str) -> None:
        """A refund Stripe gave up on (test card 5126): succeeded, later failed."""
        for refund in self.refunds.values():
            if refund["payment_intent"] == intent_id:
                refund["status"] = "failed"
                refund["failure_reason"] = "expired_or_canceled_card"
                await self._emit("charge.refund.updated", refund)

    # The API.

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/v1/customers", self._endpoint(self.create_customer), methods=["POST"]),
                Route(
                    "/v1/customers/search",
                    self._endpoint(self.search_customers),
                    methods=["GET"],
                ),
                Route("/v1/customers/{id}", self._endpoint(self.get_customer), methods=["GET"]),
                Route(
                    "/v1/payment_methods/{id}",
                    self._endpoint(self.get_payment_method),
                    methods=["GET"],
                ),
                Route(
                    "/v1/payment_methods/{id}/detach",
                    self._endpoint(self.detach),
                    methods=["POST"],
                ),
                Route("/v1/payment_intents", self._endpoint(self.create_intent), methods=["POST"]),
                Route(
                    "/v1/payment_intents/search",
                    self._endpoint(self.search_intents),
                    methods=["GET"],
                ),
                Route(
                    "/v1/payment_intents/{id}",
                    self._endpoint(self.get_intent),
                    methods=["GET"],
                ),
                Route(
                    "/v1/payment_intents/{id}/cancel",
                    self._endpoint(self.cancel_intent),
                    methods=["POST"],
                ),
                Route("/v1/refunds", self._endpoint(self.create_refund), methods=["POST"]),
                Route("/v1/refunds", self._endpoint(self.list_refunds), methods=["GET"]),
            ]
        )

    def _endpoint(
        self,
        handler: Callable[[Request, dict[str, str]], Awaitable[dict[str, Any]]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            key = request.headers.get("idempotency-key")
            path = request.url.path
            if request.headers.get("authorization") != f"Bearer {self.secret_key}":
                self.tries.append(Try(request.method, path, key, 401))
                return JSONResponse(
                    {"error": {"type": "invalid_request_error", "message": "Invalid API Key"}},
                    status_code=401,
                )
            raw = (await request.body()).decode()
            posted = request.method == "POST"
            held = next((h for p, h in self.holds.items() if posted and path.startswith(p)), None)
            if held is not None:
                # Received in full; what Stripe does with it waits for the test.
                held.arrived.set()
                await held.released.wait()
                if not held.proceed:
                    return JSONResponse(
                        {"error": {"type": "api_error", "message": "dropped"}}, status_code=500
                    )
            params = dict(parse_qsl(raw, keep_blank_values=True))
            params.update(dict(request.query_params))
            fingerprint = hashlib.sha256(f"{path}?{raw}".encode()).hexdigest()
            headers = {}
            if request.method == "POST" and key and self.remembers(key):
                stored_fingerprint, status, body, _ = self.replays[key]
                headers["idempotent-replayed"] = "true"
                if stored_fingerprint != fingerprint:
                    status, body = (
                        400,
                        {
                            "error": {
                                "type": "idempotency_error",
                                "message": "Keys for idempotent requests can only be used with the "
                                "same parameters they were first used with.",
                            }
                        },
                    )
            else:
                try:
                    status, body = 200, await handler(request, params)
                except StripeError as error:
                    status, body = error.status, error.body
                if request.method == "POST" and key and status != 400:
                    self.replays[key] = (fingerprint, status, body, self.now())
            lost = next((p for p, n in self.lost_answers.items() if path.startswith(p) and n), None)
            if request.method == "POST" and lost is not None:
                # Processed, but the answer never made it: Stripe (or a proxy) says 500.
                self.lost_answers[lost] -= 1
                self.tries.append(Try(request.method, path, key, 500))
                return JSONResponse(
                    {"error": {"type": "api_error", "message": "An unknown error occurred"}},
                    status_code=500,
                )
            self.tries.append(Try(request.method, path, key, status))
            return JSONResponse(body, status_code=status, headers=headers)

        return endpoint

    @staticmethod
    def _only(params: dict[str, str], allowed: set[str], prefixes: tuple[str, ...] = ()) -> None:
        for name in params:
            if name not in allowed and not name.startswith(prefixes):
                raise _refuse(
                    f"Received unknown parameter: {name}", code="parameter_unknown", param=name
                )

    async def create_customer(self, request: Request, params: dict[str, str]) -> dict[str, Any]:
        self._only(params, {"email", "name", "description"}, ("metadata[",))
        customer = copy.deepcopy(FIXTURES["customer"])
        customer.update(
            id="cus_" + secrets.token_hex(7),
            metadata=_nested(params, "metadata"),
            created=int(self.now()),
        )
        self.customers[customer["id"]] = customer
        return customer

    async def get_customer(self, request: Request, params: dict[str, str]) -> dict[str, Any]:
        self._only(params, set(), ("expand[",))
        customer = self.customers.get(request.path_params["id"])
        if customer is None:
            raise _refuse(
                f"No such customer: '{request.path_params['id']}'",
                code="resource_missing",
                param="id",
                status=404,
            )
        return customer

    async def search_customers(self, request: Request, params: dict[str, str]) -> dict[str, Any]:
        return self._search(params, self.customers, "/v1/customers/search")

    async def search_intents(self, request: Request, params: dict[str, str]) -> dict[str, Any]:
        return self._search(params, self.intents, "/v1/payment_intents/search")

    def _search(
        self, params: dict[str, str], objects: dict[str, dict[str, Any]], url: str
    ) -> dict[str, Any]:
        self._only(params, {"query", "limit", "page"}, ("expand[",))
        matched = METADATA_QUERY.fullmatch(params.get("query", ""))
        if matched is None:
            # Stripe's query language has more; this fake knows only exact metadata.
            raise _refuse(
                "The fake understands only metadata['key']:'value' queries.",
                code="parameter_invalid_string",
                param="query",
            )
        name, value = matched[1], re.sub(r"\\(.)", r"\1", matched[2])
        data = [
            found
            for found in reversed(list(objects.values()))
            if found.get("metadata", {}).get(name) == value
        ][: int(params.get("limit", "10"))]
        return {
            "object": "search_result",
            "data": data,
            "has_more": False,
            "next_page": None,
            "url": url,
        }

    def _method(self, method_id: str, param: str = "id") -> dict[str, Any]:
        method = self.payment_methods.get(method_id)
        if method is None:
            raise _refuse(
                f"No such PaymentMethod: '{method_id}'",
                code="resource_missing",
                param=param,
                status=404 if param == "id" else 400,
            )
        return method

    async def get_payment_method(self, request: Request, params: dict[str, str]) -> dict[str, Any]:
        self._only(params, set(), ("expand[",))
        return self._method(request.path_params["id"])

    async def detach(self, request: Request, params: dict[str, str]) -> dict[str, Any]:
        self._only(params, set())
        method = self._method(request.path_params["id"])
        if method["customer"] is None:
            raise _refuse(
                "The payment method you provided is not attached to a customer so detachment "
                "is impossible.",
                code="payment_method_unexpected_state",
            )
        method["customer"] = None
        return method

    def _intent(self, intent_id: str) -> dict[str, Any]:
        intent = self.intents.get(intent_id)
        if intent is None:
            raise _refuse(
                f"No such payment_intent: '{intent_id}'", code="resource_missing", status=404
            )
        return intent

    async def create_intent(self, request: Request, params: dict[str, str]) -> dict[str, Any]:
        self._only(
            params,
            {
                "amount",
                "currency",
                "customer",
                "payment_method",
                "allowed_payment_method_types[0]",
                "confirm",
                "setup_future_usage",
                "return_url",
                "description",
                "capture_method",
                "off_session",
            },
            ("metadata[",),
        )
        for required in ("amount", "currency"):
            if required not in params:
                raise _refuse(
                    f"Missing required param: {required}.",
                    code="parameter_missing",
                    param=required,
                )
        amount, currency = int(params["amount"]), params["currency"]
        if currency in THREE_DECIMALS and amount % 10:
            raise _refuse(
                "Amounts in three-decimal currencies must be multiples of 10.",
                code="invalid_amount",
                param="amount",
            )
        customer = params.get("customer")
        if customer is not None and customer not in self.customers:
            raise _refuse(
                f"No such customer: '{customer}'", code="resource_missing", param="customer"
            )
        method_id = params.get("payment_method")
        method = self._method(method_id, "payment_method") if method_id else None
        if method is not None and method["customer"] not in (None, customer):
            raise _refuse(
                "The provided PaymentMethod belongs to another Customer.",
                code="payment_method_unexpected_state",
                param="payment_method",
            )
        off_session = params.get("off_session") == "true"
        if off_session and (method is None or method["customer"] is None):
            raise _refuse(
                "An off-session payment needs a PaymentMethod attached to the Customer.",
                code="payment_method_unexpected_state",
                param="payment_method",
            )
        intent = copy.deepcopy(FIXTURES["payment_intent"])
        intent.update(
            id="pi_" + secrets.token_hex(12),
            amount=amount,
            amount_capturable=0,
            amount_received=0,
            currency=currency,
            customer=customer,
            payment_method=method_id,
            payment_method_types=["card"],
            automatic_payment_methods=None,
            capture_method=params.get("capture_method", "automatic_async"),
            setup_future_usage=params.get("setup_future_usage"),
            description=params.get("description"),
            metadata=_nested(params, "metadata"),
            status="requires_confirmation" if method_id else "requires_payment_method",
            last_payment_error=None,
            latest_charge=None,
            next_action=None,
            processing=None,
            canceled_at=None,
            created=int(self.now()),
            client_secret="",
        )
        intent["client_secret"] = f"{intent['id']}_secret_{secrets.token_hex(8)}"
        self.intents[intent["id"]] = intent
        if params.get("confirm") != "true":
            return intent
        assert method_id is not None
        behaviour = self._behaviour[method_id]
        if behaviour == "3ds":
            if off_session:
                return await self._decline(
                    intent, ("authentication_required", "authentication_required")
                )
            intent["status"] = "requires_action"
            return_url = params.get("return_url")
            intent["next_action"] = (
                {
                    "type": "redirect_to_url",
                    "redirect_to_url": {
                        "return_url": return_url,
                        "url": f"{self.base_url}/_fake/3ds/{intent['id']}",
                    },
                }
                if return_url
                else {"type": "use_stripe_sdk", "use_stripe_sdk": {}}
            )
            await self._emit("payment_intent.requires_action", intent)
            return intent
        if isinstance(behaviour, tuple):
            return await self._decline(intent, behaviour)
        await self._succeed(intent)
        return intent

    async def _decline(self, intent: dict[str, Any], codes: tuple[str, str]) -> dict[str, Any]:
        code, decline_code = codes
        charge = "ch_" + secrets.token_hex(12)
        error = {
            "type": "card_error",
            "code": code,
            "decline_code": decline_code,
            "message": "Your card was declined.",
            "charge": charge,
        }
        intent["status"] = "requires_payment_method"
        intent["latest_charge"] = charge
        intent["last_payment_error"] = dict(error)
        await self._emit("payment_intent.payment_failed", intent)
        raise StripeError(402, {"error": {**error, "payment_intent": copy.deepcopy(intent)}})

    async def _succeed(self, intent: dict[str, Any]) -> None:
        intent["latest_charge"] = "ch_" + secrets.token_hex(12)
        if intent["capture_method"] == "manual":
            intent["status"] = "requires_capture"
            intent["amount_capturable"] = intent["amount"]
            event = "payment_intent.amount_capturable_updated"
        else:
            intent["status"] = "succeeded"
            intent["amount_received"] = intent["amount"]
            event = "payment_intent.succeeded"
        if intent["setup_future_usage"] and intent["customer"]:
            self.payment_methods[intent["payment_method"]]["customer"] = intent["customer"]
        await self._emit(event, intent)

    async def get_intent(self, request: Request, params: dict[str, str]) -> dict[str, Any]:
        self._only(params, {"client_secret"}, ("expand[",))
        return self._intent(request.path_params["id"])

    async def cancel_intent(self, request: Request, params: dict[str, str]) -> dict[str, Any]:
        self._only(params, {"cancellation_reason"})
        intent = self._intent(request.path_params["id"])
        if intent["status"] not in (
            "requires_payment_method",
            "requires_capture",
            "requires_confirmation",
            "requires_action",
        ):
            raise _refuse(
                "You cannot cancel this PaymentIntent because it has a status of "
                f"{intent['status']}.",
                code="payment_intent_unexpected_state",
            )
        intent.update(status="canceled", canceled_at=int(self.now()), next_action=None)
        intent["cancellation_reason"] = params.get("cancellation_reason")
        await self._emit("payment_intent.canceled", intent)
        return intent

    async def create_refund(self, request: Request, params: dict[str, str]) -> dict[str, Any]:
        self._only(params, {"payment_intent", "amount", "reason"}, ("metadata[",))
        intent = self._intent(params.get("payment_intent", ""))
        if intent["status"] != "succeeded":
            raise _refuse(
                "This PaymentIntent has no successful charge to refund.",
                code="charge_not_refundable",
                param="payment_intent",
            )
        if any(r["payment_intent"] == intent["id"] for r in self.refunds.values()):
            raise _refuse(
                f"Charge {intent['latest_charge']} has already been refunded.",
                code="charge_already_refunded",
            )
        refund = copy.deepcopy(FIXTURES["refund"])
        refund.update(
            id="re_" + secrets.token_hex(12),
            amount=intent["amount"],
            currency=intent["currency"],
            charge=intent["latest_charge"],
            payment_intent=intent["id"],
            metadata=_nested(params, "metadata"),
            status="succeeded",
            created=int(self.now()),
        )
        self.refunds[refund["id"]] = refund
        charge = copy.deepcopy(FIXTURES["charge"])
        charge.update(
            id=intent["latest_charge"],
            payment_intent=intent["id"],
            amount=intent["amount"],
            amount_refunded=intent["amount"],
            refunded=True,
        )
        await self._emit("charge.refunded", charge)
        return refund

    async def list_refunds(self, request: Request, params: dict[str, str]) -> dict[str, Any]:
        self._only(params, {"payment_intent", "charge", "limit", "starting_after"})
        data = [
            r
            for r in reversed(list(self.refunds.values()))
            if r["payment_intent"] == params.get("payment_intent", r["payment_intent"])
        ][: int(params.get("limit", "10"))]
        return {"object": "list", "data": data, "has_more": False, "url": "/v1/refunds"}


def _nested(params: dict[str, str], name: str) -> dict[str, str]:
    prefix = f"{name}["
    found = {k[len(prefix) : -1]: v for k, v in params.items() if k.startswith(prefix)}
    for key, value in found.items():
        if len(key) > 40 or len(value) > 500:
            # Stripe's limits on metadata: keys up to 40 characters, values up to 500.
            raise _refuse(
                f"Invalid {name}: keys up to 40 characters, values up to 500.",
                code="parameter_invalid_string",
                param=f"{name}[{key}]",
            )
    return found


@contextlib.asynccontextmanager
async def served(fake: StripeFake) -> AsyncIterator[str]:
    """The fake behind a real uvicorn on loopback; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fake.base_url = f"http://127.0.0.1:{port}"
    server = uvicorn.Server(
        uvicorn.Config(fake.app(), host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:
                assert not task.done(), "uvicorn stopped before it started"
                await asyncio.sleep(0.01)
        yield fake.base_url
    finally:
        server.should_exit = True
        await task
