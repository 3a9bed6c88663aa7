"""The ASGI application: routes, middleware and the lifespan that owns every shared resource."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route, WebSocketRoute
from tortoise.contrib.starlette import RegisterTortoise
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.graphql import OnrampGraphQL
from api.health import healthz, readyz
from api.observability import RequestIdMiddleware
from api.settings import Settings
from models.config import tortoise_config
from services.keys import KeyRing


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or Settings()
    settings.check_safe()
    graphql = OnrampGraphQL(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.keys = KeyRing(settings.master_secret())
        app.state.redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
        try:
            async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
                yield
        finally:
            if app.state.redis is not None:
                await app.state.redis.aclose()

    middleware = [
        # Only addresses named in ONRAMP_TRUSTED_PROXIES may speak for the client's address.
        Middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies or []),
        Middleware(RequestIdMiddleware),
        Middleware(
            CORSMiddleware,
            allow_origins=settings.origins,
            allow_credentials=True,
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type", "x-request-id"],
            expose_headers=["x-request-id"],
            max_age=600,
        ),
    ]
    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.settings = settings
    app.state.redis = None
    return app
