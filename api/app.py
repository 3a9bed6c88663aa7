"""The ASGI application: routes, middleware and the lifespan that owns every shared resource."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import httpx
from redis.asyncio import BlockingConnectionPool, Redis
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Route, WebSocketRoute
from tortoise.contrib.starlette import RegisterTortoise
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api import heap
from api.cors import SplitCors
from api.dev_outbox import outbox_html, outbox_json
from api.frontend import frontend_routes
from api.graphiql import graphiql_assets
from api.graphql import OnrampGraphQL, StaffGraphQL
from api.health import healthz, readyz
from api.metrics import metrics, multiprocess_dir
from api.observability import Observability
from api.settings import Settings
from api.shutdown import GracefulShutdown
from api.sockets import SocketRegistry
from api.tracing import asgi_middleware, exporting_provider, trace_queries, untrace_queries
from api.webhooks import payment_webhook
from gateways.port import Brand, PaymentGateway
from gateways.registry import GatewayConfig, GatewayHost, build_gateway
from models.config import prepare_sqlite_file, tortoise_config
from services.cards.rules import BindingRules
from services.clock import Clock, SystemClock
from services.codes import CodeLimits
from services.i18n.locales import Languages
from services.jobs import Job, JobRunner
from services.keys import KeyRing
from services.metrics import Metrics
from services.outbox import SmtpSender, WebhookSmsSender
from services.phones import SmsLimits
from services.pubsub import LocalPubSub, RedisPubSub
from services.ratelimit import BackoffPolicy, RateLimiter, Rule
from services.runtime import Services, build_services
from services.sign_in_throttle import LoginPolicy

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

# How often each process reads its database pool's use into its metrics.
POOL_SAMPLE_INTERVAL_S = 5.0


@dataclass(frozen=True)
class Core:
    """What exists before the lifespan starts: the gateway's routes are part of the app."""

    clock: Clock
    keys: KeyRing
    limiter: RateLimiter
    gateway: PaymentGateway


def build_core(settings: Settings, clock: Clock, merchant: Callable[[], httpx.AsyncClient]) -> Core:
    keys = KeyRing(settings.master_secret())
    limiter = RateLimiter(settings.redis_url, clock=clock)
    gateway = build_gateway(
        GatewayConfig(
            name=settings.gateway,
            public_url=settings.public_url,
            publishable_key=settings.gateway_publishable_key,
            secret_key=settings.gateway_secret_key,
            webhook_secret=settings.gateway_webhook_secret,
            tokenizations_per_ip=settings.limit_tokenizations_per_ip,
            frontend_url=settings.frontend_url,
            stripe_api_base=settings.stripe_api_base,
            stripe_deposit=settings.stripe_deposit,
        ),
        GatewayHost(clock=clock, keys=keys, limiter=limiter, merchant=merchant),
    )
    return Core(clock=clock, keys=keys, limiter=limiter, gateway=gateway)


def build_runtime(
    settings: Settings, core: Core, redis: Redis | None, metrics: Metrics | None = None
) -> Services:
    clock = core.clock
    return build_services(
        clock=clock,
        keys=core.keys,
        limiter=core.limiter,
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
        languages=Languages.configured(pseudo=settings.pseudo_locale),
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
        pubsub=RedisPubSub(redis) if redis is not None else LocalPubSub(),
        gateway=core.gateway,
        binding_rules=BindingRules(
            accepted_brands=frozenset(Brand(b.lower()) for b in settings.accepted_card_brands),
            allowed_origins=tuple(settings.origins),
            action_timeout=timedelta(seconds=settings.threeds_timeout_s),
            failures_per_account=settings.card_failures_per_account,
            failures_per_client_ip=settings.card_failures_per_ip,
        ),
        staff_totp_required=settings.staff_totp_required,
        read_cache_ttl=timedelta(seconds=settings.read_cache_ttl_s),
        metrics=metrics or Metrics(),
    )


def redis_client(settings: Settings) -> Redis | None:
    """One pool of at most ONRAMP_REDIS_MAX_CONNECTIONS; a caller waits for a free one."""
    if not settings.redis_url:
        return None
    pool = BlockingConnectionPool.from_url(
        settings.redis_url, max_connections=settings.redis_max_connections, timeout=10
    )
    return Redis(connection_pool=pool)


def background_jobs(services: Services) -> list[Job]:
    """Every periodic job of one process; each is safe to run in every process at once."""

    async def sample_pool() -> None:
        services.metrics.sample_database_pool()

    return [
        *services.outbox.jobs(),
        *services.cards.jobs(),
        *services.billing.jobs(),
        *services.tickets.jobs(),
        *services.gateway.jobs(),
        Job("metrics", sample_pool, POOL_SAMPLE_INTERVAL_S),
    ]


def create_app(
    settings: Settings | None = None,
    clock: Clock | None = None,
    *,
    start_jobs: bool = True,
    tracer_provider: TracerProvider | None = None,
    settle_heap: bool = True,
) -> Starlette:
    """The app; `start_jobs=False` leaves the periodic jobs to a test that takes their steps.

    `settle_heap=False` leaves the garbage collector as it is (api/heap.py): for a test
    suite starting hundreds of apps in one process, where its full collection costs time.

    Traces go to `tracer_provider` when given (a test's), else to the OTLP endpoint of the
    environment when one is set; with neither, nothing of OpenTelemetry runs.
    """
    settings = settings or Settings()
    settings.check_safe()
    graphql = OnrampGraphQL(settings)
    recorded = Metrics()
    sockets = SocketRegistry()
    shutdown = GracefulShutdown(settings.shutdown_grace_s, sockets)
    exporting = tracer_provider is None
    tracing = tracer_provider or exporting_provider(settings)
    staff_graphql = StaffGraphQL(settings)

    def to_self() -> httpx.AsyncClient:
        # An embedded gateway reaches this app's routes in-process, as any process of the
        # deployment would be reached through the load balancer.
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url=settings.public_url,
            timeout=10,
        )

    core = build_core(settings, clock or SystemClock(), to_self)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.redis = redis_client(settings)
        prepare_sqlite_file(settings.database_url)
        services = build_runtime(settings, core, app.state.redis, recorded)
        app.state.services = services
        if tracing is not None:
            trace_queries(tracing)
        try:
            async with RegisterTortoise(app, config=tortoise_config(settings.database_url)):
                app.state.jobs = background_jobs(services)
                runner = JobRunner(
                    app.state.jobs,
                    recorded,
                    tracing.get_tracer("onramp.jobs") if tracing is not None else None,
                )
                workers = [
                    asyncio.create_task(sockets.listen(services.pubsub), name="sockets"),
                    asyncio.create_task(services.read_cache.listen(), name="read-cache"),
                ]
                if start_jobs:
                    shutdown.runner = runner
                    runner.start()
                shutdown.install()
                if settle_heap:
                    heap.settle_after_start()
                try:
                    yield
                finally:
                    if settle_heap:
                        heap.unsettle()
                    shutdown.uninstall()
                    await shutdown.stop_jobs()
                    for worker in workers:
                        worker.cancel()
                    await asyncio.gather(*workers, return_exceptions=True)
        finally:
            await services.pubsub.aclose()
            if app.state.redis is not None:
                await app.state.redis.aclose()
            if tracing is not None:
                untrace_queries()
                if exporting:
                    # Sends the spans still batched, over blocking HTTP: off the event loop.
                    await asyncio.to_thread(tracing.shutdown)
            if multiprocess_dir():
                # This process's live gauges (open sockets, pool) leave the sums with it.
                from prometheus_client import multiprocess

                multiprocess.mark_process_dead(os.getpid())

    middleware = []
    if tracing is not None:
        middleware.append(asgi_middleware(tracing))
    if settings.trusted_proxies:
        # Only addresses named in ONRAMP_TRUSTED_PROXIES may speak for the client's address.
        middleware.append(
            Middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
        )
    middleware += [
        Middleware(
            Observability,
            metrics=recorded if settings.metrics else None,
            traced=tracing is not None,
            draining=lambda: shutdown.draining,
        ),
        Middleware(SplitCors, origins=settings.origins, staff_origins=settings.staff_origins),
    ]
    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        *([Route("/metrics", metrics, methods=["GET"])] if settings.metrics else []),
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/staff/graphql", staff_graphql, methods=["GET", "POST"]),
        Route("/dev/outbox", outbox_html, methods=["GET"]),
        Route("/dev/outbox.json", outbox_json, methods=["GET"]),
        Route(core.gateway.webhook_path, payment_webhook, methods=["POST"]),
        *([graphiql_assets()] if settings.graphiql_enabled else []),
        *core.gateway.routes(),
        # Last, and only the frontend's own paths: an API route always wins.
        *frontend_routes(settings),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.settings = settings
    app.state.redis = None
    app.state.jobs = []
    app.state.sockets = sockets
    app.state.shutdown = shutdown
    app.state.metrics = recorded
    return app
