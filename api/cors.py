"""CORS with two lists of origins: staff's for `/staff/...`, customers' for the rest."""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

STAFF_PREFIX = "/staff/"


def _cors(app: ASGIApp, origins: list[str]) -> CORSMiddleware:
    return CORSMiddleware(
        app,
        allow_origins=origins,
        allow_credentials=True,
        allow_methods=["GET", "POST"],
        allow_headers=["authorization", "content-type", "x-request-id"],
        expose_headers=["x-request-id"],
        max_age=600,
    )


class SplitCors:
    """A preflight for the staff endpoint is answered for staff's origins alone."""

    def __init__(self, app: ASGIApp, origins: list[str], staff_origins: list[str]) -> None:
        self.customers = _cors(app, origins)
        self.staff = _cors(app, staff_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        side = self.staff if scope.get("path", "").startswith(STAFF_PREFIX) else self.customers
        await side(scope, receive, send)
