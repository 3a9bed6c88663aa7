"""The ASGI application: routes, middleware and the lifespan that owns every shared resource."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route, WebSocketRoute
from tortoise.contrib.starlette import RegisterTortoise
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api.dev_outbox import outbox_html, outbox_json
from api.graphql import OnrampGraphQL
from api.health import healthz, readyz
from api.observability import RequestIdMiddleware
from api.settings import Settings
from models.config import tortoise_config
from services.accounts import LoginPolicy
from services.clock import Clock, SystemClock
from services.codes import CodeLimits
from services.keys import KeyRing
from services.outbox import SmtpSender, WebhookSmsSender
from services.phones import SmsLimits
from services.ratelimit import BackoffPolicy, RateLimiter, Rule
from services.runtime import Services, build_services


def build_runtime(settings: Settings, clock: Clock) -> Services:
    return build_services(
        clock=clock,
        keys=KeyRing(settings.master_secret()),
        limiter=RateLimiter(settings.redis_url),
        code_limits=CodeLimits(
            per_destination=Rule.parse("codes-destination", settings.limit_codes_per_destination),
            per_client_ip=Rule.parse("codes-ip", settings.limit_codes_per_ip),
        ),
        login_policy=LoginPolicy(
            per_account=BackoffPolicy(
                settings.login_free_failures_per_account,
                settings.login_base_delay_s,
                settings.login_max_delay_s,
            ),
            per_client_ip=BackoffPolicy(
                settings.login_free_failures_per_ip,
                settings.login_base_delay_s,
                settings.login_max_delay_s,
            ),
        ),
        sms_limits=SmsLimits(
            per_account=Rule.parse("sms-account", settings.limit_sms_per_account),
            per_country=Rule.parse("sms-country", settings.limit_sms_per_country),
            overall=Rule.parse("sms-overall", settings.limit_sms_overall),
        ),
        sms_sender=(
            WebhookSmsSender(settings.sms_webhook_url) if settings.sms_webhook_url else None
        ),
        email_sender=(
            SmtpSender(settings.smtp_host, settings.smtp_port, settings.smtp_from)
            if settings.smtp_host
            else None
        ),
        redact_delivered=not settings.is_development,
        frontend_url=settings.frontend_base,
    )


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Starlette:
    settings = settings or Settings()
    settings.check_safe()
    graphql = OnrampGraphQL(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        services = build_runtime(settings, clock or SystemClock())
        app.state.services = services
        app.state.redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
        try:
            async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
                delivery = asyncio.create_task(services.outbox.run(), name="outbox")
                try:
                    yield
                finally:
                    delivery.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await delivery
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
        Route("/dev/outbox", outbox_html, methods=["GET"]),
        Route("/dev/outbox.json", outbox_json, methods=["GET"]),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.settings = settings
    app.state.redis = None
    return app
