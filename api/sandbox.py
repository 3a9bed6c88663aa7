"""The sandbox gateway's HTTP face: the card tokenizer and the bank's identity-check page."""

from __future__ import annotations

import html
import json
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from services.money import Money
from services.payments import VerificationState
from services.sandbox import CardError, CardFields, SandboxGateway

PAGE_HEADERS = {
    "x-frame-options": "DENY",
    "content-security-policy": (
        "frame-ancestors 'none'; default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"
    ),
    "cache-control": "no-store",
    "referrer-policy": "no-referrer",
}
MAX_BODY = 4096


def _error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "field": field}}, status)


def _sandbox(request: Request) -> SandboxGateway | None:
    gateway = request.app.state.services.gateway
    return gateway if isinstance(gateway, SandboxGateway) else None


async def sandbox_tokenize(request: Request) -> Response:
    gateway = _sandbox(request)
    if gateway is None:
        return Response("Not Found", status_code=404)
    if request.headers.get("authorization") != f"Bearer {gateway.publishable_key}":
        return _error(401, "invalid_key", "Send the publishable key as a Bearer token.")
    services = request.app.state.services
    rule = request.app.state.tokenize_rule
    client_ip = request.client.host if request.client else "unknown"
    if await services.limiter.acquire((rule, client_ip)) is not None:
        return _error(429, "rate_limited", "Too many cards were entered. Try again later.")
    body = await request.body()
    try:
        if len(body) > MAX_BODY:
            raise ValueError
        data = json.loads(body)
        fields = CardFields(
            number=str(data.get("number", "")),
            exp_month=int(data.get("expMonth", 0)),
            exp_year=int(data.get("expYear", 0)),
            cvc=str(data.get("cvc", "")),
            holder_name=str(data.get("holderName", "")),
        )
    except (ValueError, TypeError, AttributeError):
        return _error(400, "invalid_request", "Send the card fields as a JSON object.")
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


async def sandbox_bank_page(request: Request) -> Response:
    gateway = _sandbox(request)
    if gateway is None:
        return Response("Not Found", status_code=404)
    token = request.path_params["token"]
    intent = await gateway.intent_for_bank_token(token)
    usable = (
        intent is not None
        and intent.bank_token_used_at is None
        and intent.status == VerificationState.REQUIRES_ACTION.value
    )
    if request.method == "GET":
        if not usable:
            return _page(
                "Link no longer valid",
                "<p>This verification link was used or has expired.</p>",
                410,
            )
        await intent.fetch_related("payment_method")  # type: ignore[union-attr]
        method = intent.payment_method  # type: ignore[union-attr]
        deposit = Money.of(intent.amount, intent.currency)  # type: ignore[union-attr]
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
