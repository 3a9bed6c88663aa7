"""The development outbox: every email and SMS the server wrote, for loopback clients only."""

from __future__ import annotations

import html
import ipaddress

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from models.outbox import Channel, OutboxMessage
from services.outbox import Outbox
from services.sms import measure

SHOWN = 50


def _allowed(request: Request) -> bool:
    if not request.app.state.settings.is_development or request.client is None:
        return False
    try:
        return ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False


async def _latest(request: Request) -> list[OutboxMessage]:
    outbox: Outbox = request.app.state.services.outbox
    return await outbox.latest(SHOWN)


def _as_dict(message: OutboxMessage) -> dict[str, object]:
    sms: dict[str, object] = {}
    if message.channel is Channel.SMS and not message.redacted:
        size = measure(message.body)
        sms = {"encoding": size.encoding.value, "segments": size.segments}
    return {
        "id": str(message.id),
        "channel": message.channel.value,
        "kind": message.kind,
        "recipient": message.recipient,
        "subject": message.subject,
        "body": message.body,
        "status": message.status.value,
        "createdAt": message.created_at.isoformat(),
        **sms,
    }


async def outbox_json(request: Request) -> Response:
    if not _allowed(request):
        return Response("Not Found", status_code=404)
    return JSONResponse({"messages": [_as_dict(m) for m in await _latest(request)]})


async def outbox_html(request: Request) -> Response:
    if not _allowed(request):
        return Response("Not Found", status_code=404)
    rows = "".join(
        "<article><h2>{subject}</h2><p><b>{channel}</b> to {recipient} · {kind} · {status} · "
        "{created}</p><pre>{body}</pre></article>".format(
            subject=html.escape(m.subject or m.kind),
            channel=m.channel.value,
            recipient=html.escape(m.recipient),
            kind=html.escape(m.kind),
            status=m.status.value,
            created=m.created_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
            body=html.escape(m.body),
        )
        for m in await _latest(request)
    )
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Onramp outbox</title>"
        "<style>body{font:15px system-ui;max-width:48rem;margin:2rem auto}"
        "article{border-bottom:1px solid #ddd;padding:.5rem 0}pre{background:#f6f6f6;"
        "padding:.75rem;white-space:pre-wrap}</style></head><body><h1>Outbox</h1>"
        f"<p>The newest {SHOWN} messages, newest first.</p>{rows or '<p>Nothing yet.</p>'}"
        "</body></html>"
    )
    return HTMLResponse(page)
