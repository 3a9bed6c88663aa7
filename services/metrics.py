"""Every series Onramp exports to Prometheus, in one place, so that their names read as a list.

One `Metrics` belongs to one app (built with it, like its clock), on a registry of its own. With
`PROMETHEUS_MULTIPROC_DIR` set (`onramp serve --workers N` sets it), prometheus_client keeps
every value in a file per process instead, and /metrics adds up the files of all processes:
gauges say how (`multiprocess_mode`), counters and histograms are summed.

Labels are bounded: routes are templates, GraphQL operations are "<type> <root field>" (the
schema bounds them; the client's operation name goes only to logs), codes and reasons are
enums.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from tortoise import connections, timezone
from tortoise.functions import Count

from models.outbox import Channel, DeliveryStatus, OutboxMessage

# Seconds; the progress query answers in a few milliseconds, a sign-in in tens.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
JOB_BUCKETS = (0.005, 0.025, 0.1, 0.5, 2.5, 10.0, 60.0, 300.0)


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "onramp_http_requests",
            "HTTP requests answered, by method, route template, GraphQL operation and status.",
            ["method", "route", "operation", "status"],
            registry=r,
        )
        self.request_seconds = Histogram(
            "onramp_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and GraphQL operation.",
            ["route", "operation"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.requests_in_progress = Gauge(
            "onramp_http_requests_in_progress",
            "HTTP requests being answered now (this scrape's own included).",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.graphql_errors = Counter(
            "onramp_graphql_errors",
            "GraphQL errors by code: `response` for top-level errors (INTERNAL_SERVER_ERROR is "
            "an unexpected one), `payload` for a mutation's refusals (UserError).",
            ["code", "where"],
            registry=r,
        )
        self.open_websockets = Gauge(
            "onramp_open_websockets",
            "GraphQL websockets open now.",
            registry=r,
            multiprocess_mode="livesum",
        )
        self.open_subscriptions = Gauge(
            "onramp_open_subscriptions",
            "Subscriptions open now, by subscription field.",
            ["subscription"],
            registry=r,
            multiprocess_mode="livesum",
        )
        self.outbox_deliveries = Counter(
            "onramp_outbox_deliveries",
            "Tries to deliver an email or SMS, by channel and outcome (sent, failed, released "
            "at shutdown).",
            ["channel", "outcome"],
            registry=r,
        )
        self.outbox_backlog = Gauge(
            "onramp_outbox_backlog",
            "Messages waiting for delivery (PENDING), by channel; read from the database when "
            "scraped.",
            ["channel"],
            registry=r,
            multiprocess_mode="mostrecent",
        )
        self.outbox_oldest_pending = Gauge(
            "onramp_outbox_oldest_pending_age_seconds",
            "Age of the oldest message waiting for delivery (0 when none); read when scraped.",
            registry=r,
            multiprocess_mode="mostrecent",
        )
        self.card_bindings = Counter(
            "onramp_card_bindings",
            "Card-binding attempts that ended, by status and failure reason.",
            ["status", "reason"],
            registry=r,
        )
        self.deposit_refunds = Counter(
            "onramp_deposit_refunds",
            "Verification deposits whose refund settled, by outcome (REFUNDED, REFUND_FAILED).",
            ["outcome"],
            registry=r,
        )
        self.bill_charges = Counter(
            "onramp_bill_charges",
            "Automatic charges of bills by outcome (succeeded, failed), and charges interrupted "
            "at shutdown and handed over to be asked again (interrupted).",
            ["outcome"],
            registry=r,
        )
        self.job_runs = Counter(
            "onramp_job_runs",
            "Steps of background jobs taken, by job and outcome (ok, failed).",
            ["job", "outcome"],
            registry=r,
        )
        self.job_seconds = Histogram(
            "onramp_job_duration_seconds",
            "Time one step of a background job took.",
            ["job"],
            buckets=JOB_BUCKETS,
            registry=r,
        )
        self.job_last_success = Gauge(
            "onramp_job_last_success_timestamp_seconds",
            "When a step of the job last succeeded in any process (Unix time); its lag is "
            "time() minus this.",
            ["job"],
            registry=r,
            multiprocess_mode="max",
        )
        self.job_interval = Gauge(
            "onramp_job_interval_seconds",
            "How often the job takes a step when nothing wakes it.",
            ["job"],
            registry=r,
            multiprocess_mode="max",
        )
        self.db_connections = Gauge(
            "onramp_db_pool_connections",
            "Database connections of the pool, by state (in_use, idle).",
            ["state"],
            registry=r,
            multiprocess_mode="livesum",
        )
        self.db_max_connections = Gauge(
            "onramp_db_pool_max_connections",
            "The most connections the pool may open.",
            registry=r,
            multiprocess_mode="livesum",
        )

    def sample_database_pool(self) -> None:
        """Reads the pool of the default connection: asyncpg's pool, or SQLite's one connection
        (in use while its lock is held: a query or a transaction)."""
        try:
            client = connections.get("default")
        except Exception:  # not initialised (yet, or any more)
            return
        pool = getattr(client, "_pool", None)
        if pool is not None:
            size, idle, most = pool.get_size(), pool.get_idle_size(), pool.get_max_size()
            in_use = size - idle
        else:
            lock = getattr(client, "_lock", None)
            in_use = 1 if lock is not None and lock.locked() else 0
            idle, most = 1 - in_use, 1
        self.db_connections.labels("in_use").set(in_use)
        self.db_connections.labels("idle").set(idle)
        self.db_max_connections.set(most)

    async def sample_outbox(self) -> None:
        """The backlog, from the database: what every process shares, read by whoever is scraped.

        Ages count from `created_at`, which the database row got from the wall clock."""
        pending = OutboxMessage.filter(status=DeliveryStatus.PENDING)
        rows = (
            await pending.annotate(count=Count("id"))
            .group_by("channel")
            .values_list("channel", "count")
        )
        counts = {str(channel): int(count) for channel, count in rows}
        for channel in Channel:
            self.outbox_backlog.labels(channel.value).set(counts.get(channel.value, 0))
        oldest = await pending.order_by("created_at").first()
        age = (timezone.now() - oldest.created_at).total_seconds() if oldest else 0.0
        self.outbox_oldest_pending.set(max(age, 0.0))
