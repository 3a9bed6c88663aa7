"""The sandbox gateway's HTTP face: the card tokenizer and the bank's identity-check page."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from gateways.port import VerificationState
from gateways.sandbox.cards import MAX_BODY, CardError, parse_card_fields
from services.money import Money

if TYPE_CHECKING:
    from gateways.sandbox.gateway import SandboxGateway

PAGE_HEADERS = {
    "x-frame-options": "DENY",
    "content-security-policy": (
        "frame-ancestors 'none'; default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"
    ),
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
}


def _error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "field": field}}, status)


def sandbox_routes(gateway: SandboxGateway) -> list[BaseRoute]:
    """The tokenizer and the bank page, bound to the gateway that serves them."""

    async def tokenize(request: Request) -> Response:
        return await _tokenize(gateway, request)

    async def bank_page(request: Request) -> Response:
        return await _bank_page(gateway, request)

    return [
        Route("/sandbox/tokens", tokenize, methods=["POST"]),
        Route("/sandbox/bank/{token}", bank_page, methods=["GET", "POST"]),
    ]


async def _tokenize(gateway: SandboxGateway, request: Request) -> Response:
    if request.headers.get("authorization") != f"Bearer {gateway.publishable_key}":
        return _error(401, "invalid_key", "Send the publishable key as a Bearer token.")
    client_ip = request.client.host if request.client else "unknown"
    if await gateway.limiter.acquire((gateway.tokenizations_per_ip, client_ip)) is not None:
        return _error(429, "rate_limited", "Too many cards were entered. Try again later.")
    try:
        fields = parse_card_fields(await request.body())
    except CardError as error:
        return _error(400, error.code, error.message, error.field or None)
    try:
        method = await gateway.tokenize(fields)
    except CardError as error:
        return _error(400, error.code, error.message, error.field)
    return JSONResponse(
        {
            "id": method.id,
            "brand": method.brand,
            "last4": method.last4,
            "expMonth": method.expiry_month,
            "expYear": method.expiry_year,
        }
    )


def _page(title: str, content: str, status: int = 200) -> HTMLResponse:
    body = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>body{{font:16px system-ui;max-width:28rem;"
        "margin:3rem auto;padding:0 1rem}button{font:inherit;padding:.6rem 1.2rem;"
        "margin-right:.5rem}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{content}</body></html>"
    )
    return HTMLResponse(body, status_code=status, headers=PAGE_HEADERS)


async def _bank_page(gateway: SandboxGateway, request: Request) -> Response:
    token = request.path_params["token"]
    if request.method == "GET":
        intent = await gateway.intent_for_bank_token(token)
        if (
            intent is None
            or intent.bank_token_used_at is not None
            or intent.status != VerificationState.REQUIRES_ACTION.value
        ):
            return _page(
                "Link no longer valid",
                "<p>This verification link was used or has expired.</p>",
                410,
            )
        await intent.fetch_related("payment_method")
        method = intent.payment_method
        deposit = Money.of(intent.amount, intent.currency)
        return _page(
            "Sandbox Bank: confirm it is you",
            f"<p>Onramp asks to verify your {html.escape(method.brand.upper())} card ending in "
            f"{html.escape(method.last4)} with a refundable deposit of "
            f"<b>{html.escape(str(deposit))}</b>.</p>"
            "<form method='post'><button name='outcome' value='approve'>Approve</button>"
            "<button name='outcome' value='decline'>Decline</button></form>",
        )
    body = await request.body()
    outcome = parse_qs(body[:MAX_BODY].decode("utf-8", "replace")).get("outcome", [""])[0]
    if outcome not in ("approve", "decline"):
        return _page("Choose an answer", "<p>Approve or decline the verification.</p>", 400)
    answered = await gateway.answer_bank_page(token, approve=outcome == "approve")
    if answered is None:
        return _page(
            "Link no longer valid", "<p>This verification link was used or has expired.</p>", 410
        )
    if answered.return_url:
        return RedirectResponse(answered.return_url, status_code=303, headers=PAGE_HEADERS)
    return _page("Done", "<p>Your bank has answered. You may close this window.</p>")
