"""The reference frontend served at `/`: its pages, its assets and the `config.js` that tells
it where the API is.

Every page route that Onramp's links name (the contract's "Pages the frontend serves", plus
the start routes `/` and `/register`) answers the same `index.html`; the page's script reads
the path and draws the screen. So do the staff console's routes under `/staff`, with a
stricter Content-Security-Policy (the console talks to this server alone and loads no
Stripe.js). The routes are listed one by one, never as a catch-all, so no API path
(`/graphql`, `/staff/graphql`, the gateway's pages, webhooks, the development outbox) can be
shadowed and an unknown path still answers 404. A static host serves `web/app/` the same
way, with a `config.js` of its own.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from api.settings import Settings

WEB_APP = Path(__file__).resolve().parent.parent / "web" / "app"
ASSETS_PATH = "/assets"
# The onboarding steps after registration, as `continueUrl` names them.
ONBOARDING_STEPS = frozenset({"security-phone", "enable-cloud", "mobile", "details", "payment"})
PAGE_PATHS = (
    "/",
    "/register",
    "/sign-in",
    "/reset-password",
    "/onboarding/{step}",
    "/cards",
    "/bills",
    "/bills/{bill_id}",
    "/tickets",
    "/tickets/{ticket_id}",
    "/legal/{key}/{version}",
)
# The staff console, talking to /staff/graphql (never shadowed: no route here matches it).
STAFF_PAGE_PATHS = (
    "/staff",
    "/staff/sign-in",
    "/staff/set-password",
    "/staff/tickets/{ticket_id}",
    "/staff/accounts",
    "/staff/accounts/{account_id}",
    "/staff/members",
)


@cache
def _index() -> bytes:
    return (WEB_APP / "index.html").read_bytes()


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


# What every page of the frontend allows; each kind of page adds its scripts and requests.
BASE_POLICY = (
    ("default-src", "'self'"),
    ("img-src", "'self' data:"),
    ("style-src", "'self' 'unsafe-inline'"),
    ("object-src", "'none'"),
    ("base-uri", "'none'"),
    ("form-action", "'self'"),
    ("frame-ancestors", "'none'"),
)


def _headers(**directives: str) -> dict[str, str]:
    added = {name.replace("_", "-"): value for name, value in directives.items()}
    policy = dict(BASE_POLICY) | added
    return {
        "content-security-policy": "; ".join(f"{name} {value}" for name, value in policy.items()),
        "cache-control": "no-cache",
        "referrer-policy": "same-origin",
        "x-content-type-options": "nosniff",
    }


def page_headers(settings: Settings) -> dict[str, str]:
    # Scripts only from here and, for the Stripe branch, from where Stripe.js is loaded
    # (Stripe's Elements live in frames of that origin); the page is never framed. The API
    # may live anywhere config.js says.
    stripe = _origin(settings.stripe_js_url)
    return _headers(script_src=f"'self' {stripe}", frame_src=stripe, connect_src="*")


def staff_page_headers(settings: Settings) -> dict[str, str]:
    """The console's pages: scripts from here only, requests to this server only."""
    return _headers(
        script_src="'self'",
        frame_src="'none'",
        connect_src=f"'self' {_origin(settings.public_url)}",
    ) | {"x-robots-tag": "noindex"}


def config_script(settings: Settings) -> str:
    """What a static host writes by hand: where the API is, and what the pages may link to."""
    config = {
        "apiUrl": settings.public_url,
        # Codes can be read there in development only (loopback clients).
        "outboxUrl": f"{settings.public_url}/dev/outbox" if settings.is_development else None,
        "stripeJsUrl": settings.stripe_js_url,
    }
    return (
        "// Written by Onramp from its settings (ONRAMP_PUBLIC_URL); a static host ships its own.\n"
        f"export default Object.freeze({json.dumps(config, indent=2)});\n"
    )


def frontend_routes(settings: Settings) -> list[BaseRoute]:
    headers = page_headers(settings)
    staff_headers = staff_page_headers(settings)
    script = config_script(settings).encode()

    async def page(request: Request) -> Response:
        step = request.path_params.get("step")
        if step is not None and step not in ONBOARDING_STEPS:
            return Response("Not Found", status_code=404, media_type="text/plain")
        return Response(_index(), media_type="text/html; charset=utf-8", headers=headers)

    async def staff_page(request: Request) -> Response:
        return Response(_index(), media_type="text/html; charset=utf-8", headers=staff_headers)

    async def config(request: Request) -> Response:
        return Response(
            script,
            media_type="text/javascript; charset=utf-8",
            headers={"cache-control": "no-cache", "x-content-type-options": "nosniff"},
        )

    return [
        *(Route(path, page, methods=["GET"]) for path in PAGE_PATHS),
        *(Route(path, staff_page, methods=["GET"]) for path in STAFF_PAGE_PATHS),
        Route("/config.js", config, methods=["GET"]),
        Mount(ASSETS_PATH, app=StaticFiles(directory=WEB_APP / "assets"), name="frontend-assets"),
    ]
