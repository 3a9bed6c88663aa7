"""Baseline: the progress query's reads as a plain Starlette endpoint, no GraphQL.

`POST /graphql` with any JSON body: the same bearer-token HMAC lookup of the live session
and its account, then the account's details and first card through the same Tortoise models
on the same database, answered in the JSON shape Onramp gives the progress query. Its
configuration is Onramp's (ONRAMP_DATABASE_URL, ONRAMP_SECRET_KEY, ONRAMP_FRONTEND_URL).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tortoise.contrib.starlette import RegisterTortoise

from api.auth import bearer_token
from api.settings import Settings
from models.config import tortoise_config
from models.onboarding import AccountDetails
from models.sessions import Session
from services.keys import KeyRing, Purpose
from services.onboarding.progress import card_bound_at, compute_progress
from services.regions import find_region

settings = Settings()
keys = KeyRing(settings.master_secret())
UNAUTHENTICATED = {"errors": [{"message": "Sign in first.", "extensions": {"code": "UNAUTH"}}]}


async def progress(request: Request) -> Response:
    json.loads(await request.body())  # the same work of reading the request as GraphQL's
    token = bearer_token(request.headers.get("authorization"))
    if not token or len(token) > 128:
        return JSONResponse(UNAUTHENTICATED)
    session = (
        await Session.filter(
            token_mac=keys.mac(Purpose.SESSIONS, token),
            revoked_at=None,
            expires_at__gt=datetime.now(UTC),
        )
        .select_related("account")
        .first()
    )
    if session is None:
        return JSONResponse(UNAUTHENTICATED)
    account = session.account
    details = await AccountDetails.get_or_none(account_id=account.id)
    done = compute_progress(account, details, await card_bound_at(account), settings.frontend_base)
    region = find_region(account.region_code)
    data: dict[str, Any] = {
        "onboarding": {
            "steps": [{"key": s.key.value, "status": s.status.value} for s in done.steps],
            "nextStep": done.next_step.value if done.next_step else None,
            "blocked": done.blocked,
            "continueUrl": done.continue_url,
        },
        "me": {"email": account.email_display, "region": {"code": region.code if region else None}},
    }
    return JSONResponse({"data": data})


async def healthz(request: Request) -> Response:
    return Response("ok")


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
        yield


app = Starlette(
    routes=[
        Route("/graphql", progress, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ],
    lifespan=lifespan,
)
