"""POST {gateway.webhook_path}: signed events from the payment gateway."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse

from gateways.port import InvalidWebhook

log = logging.getLogger("onramp.webhooks")
MAX_BODY = 64 * 1024


async def payment_webhook(request: Request) -> JSONResponse:
    services = request.app.state.services
    body = await request.body()
    if len(body) > MAX_BODY:
        return JSONResponse({"error": "too large"}, status_code=413)
    try:
        event = services.gateway.parse_webhook(body, request.headers, services.clock.now())
    except InvalidWebhook as refused:
        log.warning("payment webhook refused: %s", refused)
        return JSONResponse({"error": str(refused)}, status_code=400)
    # Payments of bills first (each move is conditional, so a redelivery changes nothing),
    # then card bindings, which remember the event as handled.
    await services.billing.receive(event)
    await services.cards.receive(event)
    return JSONResponse({"received": True})
