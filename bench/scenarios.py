"""The scenarios: each returns its figures, every one a ratio to something measured alongside.

A figure is a dict: name, value, unit, baseline (name and value), ratio, target, and the
samples it is the median of.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import uuid
from dataclasses import dataclass
from typing import Any

import websockets

from bench.harness import (
    LOGIN,
    PASSWORD,
    PROGRESS,
    ROOT,
    Client,
    Load,
    Server,
    backend,
    load_spec,
    otlp_sink,
    run_load,
    running,
    servers,
    step,
)


@dataclass
class Options:
    postgres: bool = False
    redis: bool = False
    workers: int = 1
    rounds: int = 3
    duration: float = 5.0
    warmup: float = 1.0
    connections: int = 8
    subscribers: int = 1000
    # push: bank pages answered per second (the target is set at 100).
    rate: float = 100.0


def figure(
    name: str,
    samples: list[float],
    unit: str,
    baseline: str | None = None,
    baseline_samples: list[float] | None = None,
    target: str | None = None,
    higher_is_better: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    value = statistics.median(samples)
    base = statistics.median(baseline_samples) if baseline_samples else None
    return {
        "name": name,
        "value": round(value, 3),
        "unit": unit,
        "samples": [round(s, 3) for s in samples],
        "baseline": baseline,
        "baseline_value": round(base, 3) if base is not None else None,
        "baseline_samples": [round(s, 3) for s in baseline_samples or []],
        "ratio": round(value / base, 3) if base else None,
        "target": target,
        "higher_is_better": higher_is_better,
        **extra,
    }


def progress_body() -> dict[str, Any]:
    return {"query": PROGRESS, "operationName": "Progress"}


async def _progress_account(onramp: Server) -> str:
    async with Client(onramp) as client:
        return await client.sign_up(f"bench.{uuid.uuid4().hex[:12]}@example.com")


@dataclass
class Rounds:
    """Each server's samples (by label): req/s, and its CPU time per answered request.

    CPU per request is the server process's own time (one worker), so it holds still while
    throughput swings with whatever else the machine's two cores are doing.
    """

    rps: dict[str, list[float]]
    cpu_us: dict[str, list[float]]


async def _progress_rounds(
    name: str, started: list[Server], token: str, options: Options
) -> Rounds:
    """The progress query on each server, closed loop, in interleaved rounds: each round
    starts with another server, so none always runs first."""
    rounds = Rounds({s.label: [] for s in started}, {s.label: [] for s in started})
    for round_ in range(options.rounds):
        shift = round_ % len(started)
        for server in started[shift:] + started[:shift]:
            spec = load_spec(
                server,
                progress_body(),
                token,
                mode="closed",
                connections=options.connections,
                duration=options.duration,
                warmup=options.warmup,
            )
            with step(f"{name} round {round_ + 1}: {server.label}"):
                cpu_before = server.cpu_s() if server.workers == 1 else 0.0
                result = await run_load(spec)
                if server.workers == 1:
                    used = server.cpu_s() - cpu_before
                    rounds.cpu_us[server.label].append(used * 1e6 / result["answered"])
            if result["errors"] or not result["requests"]:
                raise RuntimeError(f"{server.label} answered with errors: {result}")
            rounds.rps[server.label].append(result["rps"])
    return rounds


def _cpu_figure(name: str, rounds: Rounds, label: str, **common: Any) -> list[dict[str, Any]]:
    """CPU per request against the constant baseline's (≤ 1.25× is ≥ 0.8× its throughput)."""
    if not rounds.cpu_us.get(label):
        return []
    return [
        figure(
            name,
            rounds.cpu_us[label],
            "µs",
            "constant-resolver Strawberry",
            rounds.cpu_us["constant"],
            target="≤ 1.25× (as ≥ 0.8× in req/s)",
            higher_is_better=False,
            **common,
        )
    ]


async def progress(options: Options) -> list[dict[str, Any]]:
    """Progress query req/s: Onramp against both baselines, interleaved rounds, closed loop."""
    label = backend_label(options)
    async with (
        backend(postgres=options.postgres, redis=options.redis) as store,
        servers(store, "onramp", "plain", "constant", workers=options.workers) as started,
    ):
        token = await _progress_account(started[0])
        rounds = await _progress_rounds("progress", started, token, options)
    rps = rounds.rps
    common = {"backend": label, "workers": options.workers}
    cpu = _cpu_figure(
        f"progress server CPU per request vs constant Strawberry [{label}]",
        rounds,
        "onramp",
        **common,
    )
    return [
        figure(
            f"progress req/s vs constant Strawberry [{label}]",
            rps["onramp"],
            "req/s",
            "constant-resolver Strawberry",
            rps["constant"],
            target="≥ 0.8×",
            **common,
        ),
        figure(
            f"progress req/s vs plain Starlette [{label}]",
            rps["onramp"],
            "req/s",
            "plain Starlette",
            rps["plain"],
            target="≥ 0.35× (aim 0.5×)",
            **common,
        ),
        *cpu,
    ]


def observability_variants(sink: str) -> dict[str, dict[str, str]]:
    """Onramp with each of logs, metrics and traces on and off. Logs on: JSON lines at INFO
    (the default outside development), one access line per request, to the server's log
    file; off: only warnings. Traces on: exported over OTLP/HTTP to a sink that keeps nothing.
    """
    quiet = {"ONRAMP_LOG_LEVEL": "WARNING"}
    logs = {"ONRAMP_LOG_FORMAT": "json", "ONRAMP_LOG_LEVEL": "INFO"}
    no_metrics = {"ONRAMP_METRICS": "0"}
    traces = {"OTEL_EXPORTER_OTLP_ENDPOINT": sink, "OTEL_SERVICE_NAME": "onramp-bench"}
    return {
        "none": {**quiet, **no_metrics},
        "logs": {**logs, **no_metrics},
        "metrics": quiet,
        "logs+metrics": logs,
        "logs+metrics+traces": {**logs, **traces},
    }


async def observability(options: Options) -> list[dict[str, Any]]:
    """Progress req/s with logs, metrics and traces each on and off, and against the
    constant-resolver baseline with logs and metrics on (the target holds with them on)."""
    label = backend_label(options)
    async with (
        backend(postgres=options.postgres, redis=options.redis) as store,
        otlp_sink() as sink,
    ):
        made = [
            Server("onramp", store, workers=options.workers, env=env, label=name)
            for name, env in observability_variants(sink).items()
        ]
        made.append(Server("constant", store, workers=options.workers))
        async with running(made) as started:
            token = await _progress_account(started[0])
            rounds = await _progress_rounds("observability", started, token, options)
    rps = rounds.rps
    common = {"backend": label, "workers": options.workers}
    figures = [
        figure(
            f"progress req/s, {name} on [{label}]",
            rps[name],
            "req/s",
            "no logs, metrics or traces",
            rps["none"],
            **common,
        )
        for name in ("logs", "metrics", "logs+metrics", "logs+metrics+traces")
    ]
    figures.append(
        figure(
            f"progress req/s with logs and metrics vs constant Strawberry [{label}]",
            rps["logs+metrics"],
            "req/s",
            "constant-resolver Strawberry",
            rps["constant"],
            target="≥ 0.8×",
            **common,
        )
    )
    figures += _cpu_figure(
        f"progress server CPU per request with logs and metrics vs constant Strawberry [{label}]",
        rounds,
        "logs+metrics",
        **common,
    )
    return figures


def backend_label(options: Options) -> str:
    label = ("postgres" if options.postgres else "sqlite") + ("+redis" if options.redis else "")
    return label + (f", {options.workers} workers" if options.workers > 1 else "")


class Argon:
    """The bare-argon2id process (bench/argon.py), started now, awaited later."""

    def __init__(self, clients: int, duration: float, warmup: float) -> None:
        spec = json.dumps({"clients": clients, "duration": duration, "warmup": warmup})
        self.limit = duration + warmup + 30
        self.process = subprocess.Popen(  # noqa: S603 (our own command)
            [sys.executable, "-m", "bench.argon", spec],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    async def result(self) -> dict[str, Any]:
        try:
            out, err = await asyncio.to_thread(self.process.communicate, timeout=self.limit)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(5)
        if self.process.returncode != 0:
            raise RuntimeError(f"bench.argon failed: {err.decode()[-2000:]}")
        result: dict[str, Any] = json.loads(out)
        return result


async def signin_vs_reads(options: Options) -> list[dict[str, Any]]:
    """Progress p99 at half its solo rate, alone and with 8 sign-in clients; sign-ins/s
    against bare argon2id under the same read load. Interleaved rounds."""
    label = backend_label(options)
    clients = 8
    async with (
        backend(postgres=options.postgres, redis=options.redis) as store,
        servers(store, "onramp", workers=options.workers) as (onramp,),
    ):
        async with Client(onramp) as client:
            email = f"bench.{uuid.uuid4().hex[:12]}@example.com"
            token = await client.sign_up(email)
        timing = {"duration": options.duration, "warmup": options.warmup}
        with step("signin-vs-reads: solo progress throughput"):
            solo = await run_load(
                load_spec(
                    onramp,
                    progress_body(),
                    token,
                    mode="closed",
                    connections=options.connections,
                    **timing,
                )
            )
        rate = solo["rps"] / 2
        reads = load_spec(onramp, progress_body(), token, mode="open", rate=rate, **timing)
        login = {
            "query": LOGIN,
            "operationName": "Login",
            "variables": {"input": {"email": email, "password": PASSWORD, "kind": "HUAWEI_ID"}},
        }
        signins = load_spec(
            onramp, login, None, mode="closed", connections=clients, expect='"token"', **timing
        )
        alone: list[float] = []
        alongside: list[float] = []
        signin_rate: list[float] = []
        argon_rate: list[float] = []
        read_errors = 0
        for round_ in range(options.rounds):
            with step(f"signin-vs-reads round {round_ + 1}: reads alone"):
                result = await run_load(reads)
            alone.append(result["p99_ms"])
            read_errors += result["errors"]
            with step(f"signin-vs-reads round {round_ + 1}: reads + {clients} sign-in clients"):
                read_load, signin_load = Load(reads), Load(signins)
                result, signed = await read_load.result(), await signin_load.result()
            alongside.append(result["p99_ms"])
            read_errors += result["errors"]
            if signed["errors"]:
                raise RuntimeError(f"sign-ins failed: {signed}")
            signin_rate.append(signed["rps"])
            with step(f"signin-vs-reads round {round_ + 1}: reads + bare argon2id"):
                read_load, argon = Load(reads), Argon(clients, options.duration, options.warmup)
                result, bare = await read_load.result(), await argon.result()
            argon_rate.append(bare["per_s"])
            read_errors += result["errors"]
    common = {
        "backend": label,
        "workers": options.workers,
        "solo_rps": solo["rps"],
        "offered_rps": round(rate, 2),
        "read_errors": read_errors,
    }
    return [
        figure(
            f"progress p99 with {clients} signing in [{label}]",
            alongside,
            "ms",
            "progress p99 alone (open loop, half solo rate)",
            alone,
            target="≤ 2×",
            higher_is_better=False,
            **common,
        ),
        figure(
            f"sign-ins/s under read load [{label}]",
            signin_rate,
            "1/s",
            "bare argon2id verifications/s under the same read load",
            argon_rate,
            target="≥ 0.7×",
            **common,
        ),
    ]


SUBSCRIBE = """subscription Updates($id: ID!) { cardBindingUpdates(attemptId: $id) { status } }"""
# A card per cycle: each cycle binds one more card to the same account.
CARDS = ["4242424242424242", "5555555555554444", "2223003122003222", "6011111111111117"]


class Subscriber:
    """One graphql-transport-ws connection subscribed to an attempt's updates."""

    def __init__(self, url: str, token: str, attempt_id: str) -> None:
        self.url, self.token, self.attempt_id = url, token, attempt_id
        self.ws: Any = None
        self.final_at: float | None = None
        self.reader: asyncio.Task[None] | None = None
        self.done = asyncio.Event()

    async def open(self) -> None:
        self.ws = await websockets.connect(
            self.url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")], open_timeout=30
        )
        await self.ws.send(
            json.dumps(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {self.token}"}}
            )
        )
        ack = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
        assert ack["type"] == "connection_ack", ack
        await self.ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": SUBSCRIBE, "variables": {"id": self.attempt_id}},
                }
            )
        )
        first = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
        data = first.get("payload", {}).get("data") if first["type"] == "next" else None
        if not data or data["cardBindingUpdates"]["status"] != "REQUIRES_ACTION":
            raise RuntimeError(f"subscription refused: {first}")
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        async for raw in self.ws:
            message = json.loads(raw)
            if message["type"] == "next":
                if message["payload"]["data"]["cardBindingUpdates"]["status"] == "SUCCEEDED":
                    self.final_at = loop.time()
                    self.done.set()
            elif message["type"] == "complete":
                return

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        if self.ws is not None:
            await self.ws.close()


async def _open_all(subscribers: list[Subscriber], at_once: int = 50) -> list[str]:
    """Opens every subscription, 50 at a time; the reasons of those that failed."""
    gate = asyncio.Semaphore(at_once)

    async def one(subscriber: Subscriber) -> None:
        async with gate:
            await subscriber.open()

    outcomes = await asyncio.wait_for(
        asyncio.gather(*(one(s) for s in subscribers), return_exceptions=True), 180
    )
    return [repr(o)[:300] for o in outcomes if isinstance(o, BaseException)]


async def _close_all(subscribers: list[Subscriber]) -> None:
    await asyncio.wait_for(
        asyncio.gather(*(s.close() for s in subscribers), return_exceptions=True), 60
    )


async def _settled_rss(server: Server) -> int:
    """RSS after the server has had a moment to let go of what it freed."""
    await asyncio.sleep(1.5)
    return server.rss_kib()


async def fanout(options: Options) -> list[dict[str, Any]]:
    """N subscribers on one attempt; the bank page approves; each one's delay to SUCCEEDED.

    Three cycles (a new attempt each, the same N sockets reopened), with the server's RSS
    before, with N open and after closing them (one worker: the uvicorn process itself).
    """
    label = backend_label(options)
    count = options.subscribers
    cycles = max(3, options.rounds)
    async with (
        backend(postgres=options.postgres, redis=options.redis) as store,
        servers(store, "onramp", workers=options.workers) as (onramp,),
        Client(onramp) as client,
    ):
        token = await client.ready_for_card(f"bench.{uuid.uuid4().hex[:12]}@example.com")
        url = f"ws://127.0.0.1:{onramp.port}/graphql"
        single = options.workers == 1
        rss_before = await _settled_rss(onramp) if single else 0
        p99s: list[float] = []
        spreads: list[float] = []
        received: list[int] = []
        refused: list[int] = []
        rss_open: list[int] = []
        rss_closed: list[int] = []
        loop = asyncio.get_running_loop()
        for cycle in range(cycles):
            attempt = await client.start_binding(CARDS[cycle % len(CARDS)])
            subscribers = [Subscriber(url, token, attempt["id"]) for _ in range(count)]
            try:
                with step(f"fanout cycle {cycle + 1}: open {count} subscriptions"):
                    failures = await _open_all(subscribers)
                refused.append(len(failures))
                if failures:
                    print(f"    {len(failures)} refused, e.g. {failures[0]}", file=sys.stderr)
                if single:
                    rss_open.append(await _settled_rss(onramp))
                bank = httpx_path(attempt["nextAction"]["redirectUrl"])
                with step(f"fanout cycle {cycle + 1}: approve and wait for every subscriber"):
                    started = loop.time()
                    answer = await client.http.post(bank, data={"outcome": "approve"})
                    answer.raise_for_status()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(
                            asyncio.gather(*(s.done.wait() for s in subscribers)), 10
                        )
                delays = sorted(s.final_at - started for s in subscribers if s.final_at)
                received.append(len(delays))
                if delays:
                    p99s.append(delays[min(len(delays) - 1, int(0.99 * len(delays)))] * 1000)
                    spreads.append((delays[-1] - delays[0]) * 1000)
            finally:
                await _close_all(subscribers)
            if single:
                rss_closed.append(await _settled_rss(onramp))
    common = {"backend": label, "workers": options.workers, "subscribers": count}
    figures = (
        []
        if not p99s
        else [
            figure(
                f"fan-out p99, {count} subscribers [{label}]",
                p99s,
                "ms",
                "target 250 ms",
                [250.0] * len(p99s),
                target="≤ 250 ms",
                higher_is_better=False,
                spread_ms=[round(s, 1) for s in spreads],
                received=received,
                refused=refused,
                **common,
            )
        ]
    )
    figures += [
        figure(
            f"subscribers that got SUCCEEDED [{label}]",
            [float(n) for n in received],
            "subscribers",
            "subscribed",
            [float(count)] * len(received),
            target="all",
            refused=refused,
            **common,
        ),
    ]
    if single:
        growth = [(o - rss_before) / count for o in rss_open[:1]]
        figures.append(
            figure(
                f"RSS growth per open subscription [{label}]",
                growth,
                "KiB",
                "target 32 KiB",
                [32.0],
                target="≤ 32 KiB",
                higher_is_better=False,
                rss_kib={"before": rss_before, "open": rss_open, "closed": rss_closed},
                **common,
            )
        )
        figures.append(
            figure(
                f"RSS added by the second open-and-close cycle [{label}]",
                [float(rss_closed[1] - rss_closed[0])],
                "KiB",
                None,
                None,
                target="≤ 0 (no growth)",
                higher_is_better=False,
                rss_kib={"before": rss_before, "open": rss_open, "closed": rss_closed},
                **common,
            )
        )
    return figures


async def _bound_accounts(onramp: Server, count: int, at_once: int = 8) -> list[Client]:
    """`count` accounts ready for a card, each with a client of its own (signed in)."""
    gate = asyncio.Semaphore(at_once)

    async def one() -> Client:
        async with gate:
            client = Client(onramp)
            await client.ready_for_card(f"bench.{uuid.uuid4().hex[:12]}@example.com")
            return client

    return list(await asyncio.wait_for(asyncio.gather(*(one() for _ in range(count))), 300))


async def _approve_at(client: Client, attempt: dict[str, Any], at: float) -> float:
    """Answers the attempt's bank page at loop time `at`; when the POST was sent."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(max(0.0, at - loop.time()))
    started = loop.time()
    answer = await client.http.post(
        httpx_path(attempt["nextAction"]["redirectUrl"]), data={"outcome": "approve"}
    )
    answer.raise_for_status()
    return started


async def push(options: Options) -> list[dict[str, Any]]:
    """Attempts completed at 100 a second (`--rate`) through signed webhooks, N subscribed.

    N subscribers are spread over 100 accounts (N / 100 on each account's attempt). Each
    round starts a new attempt per account, opens the subscriptions, then answers the bank
    pages at 100 per second (open loop): the sandbox sends its signed webhook to the server
    itself, whose handler moves the attempt on and publishes it. A sample is the delay from
    one bank page's POST to one of its subscribers' SUCCEEDED message.
    """
    label = backend_label(options)
    rate, accounts = options.rate, 100
    per_attempt = max(1, options.subscribers // accounts)
    async with (
        backend(postgres=options.postgres, redis=options.redis) as store,
        servers(store, "onramp", workers=options.workers) as (onramp,),
    ):
        with step(f"push: sign up {accounts} accounts"):
            clients = await _bound_accounts(onramp, accounts)
        url = f"ws://127.0.0.1:{onramp.port}/graphql"
        p99s: list[float] = []
        p50s: list[float] = []
        cpu_ms: list[float] = []
        received: list[int] = []
        loop = asyncio.get_running_loop()
        try:
            for round_ in range(options.rounds):
                card = CARDS[round_ % len(CARDS)]
                attempts = await asyncio.gather(*(c.start_binding(card) for c in clients))
                groups = [
                    [Subscriber(url, str(c.token), a["id"]) for _ in range(per_attempt)]
                    for c, a in zip(clients, attempts, strict=True)
                ]
                subscribers = [s for group in groups for s in group]
                try:
                    with step(f"push round {round_ + 1}: open {len(subscribers)} subscriptions"):
                        failures = await _open_all(subscribers)
                    if failures:
                        raise RuntimeError(f"{len(failures)} refused, e.g. {failures[0]}")
                    with step(f"push round {round_ + 1}: {len(attempts)} bank pages at {rate}/s"):
                        cpu_before = onramp.cpu_s() if options.workers == 1 else 0.0
                        first = loop.time() + 0.1
                        started = await asyncio.gather(
                            *(
                                _approve_at(client, attempt, first + i / rate)
                                for i, (client, attempt) in enumerate(
                                    zip(clients, attempts, strict=True)
                                )
                            )
                        )
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(
                                asyncio.gather(*(s.done.wait() for s in subscribers)), 20
                            )
                        if options.workers == 1:
                            # Until every result is out, refunds and all (counted per attempt).
                            await asyncio.sleep(2)
                            cpu_ms.append((onramp.cpu_s() - cpu_before) * 1000 / len(attempts))
                    delays = sorted(
                        (s.final_at - started[i]) * 1000
                        for i, group in enumerate(groups)
                        for s in group
                        if s.final_at
                    )
                    received.append(len(delays))
                    if delays:
                        p99s.append(delays[min(len(delays) - 1, int(0.99 * len(delays)))])
                        p50s.append(statistics.median(delays))
                finally:
                    await _close_all(subscribers)
        finally:
            for client in clients:
                await client.http.aclose()
    common = {
        "backend": label,
        "workers": options.workers,
        "subscribers": per_attempt * accounts,
        "attempts_per_round": accounts,
        "rate_per_s": rate,
        "received": received,
        "p50_ms": [round(p, 1) for p in p50s],
        "server_cpu_ms_per_attempt": [round(c, 1) for c in cpu_ms],
    }
    return [
        figure(
            f"push p99, {rate:g} attempts/s with {per_attempt * accounts} open [{label}]",
            p99s,
            "ms",
            "target 100 ms",
            [100.0] * len(p99s),
            target="≤ 100 ms",
            higher_is_better=False,
            **common,
        )
    ]


def httpx_path(url: str) -> str:
    """The path of one of the server's own absolute URLs (it names 127.0.0.1 anyway)."""
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


async def workers(options: Options) -> list[dict[str, Any]]:
    """Progress req/s with `--workers 2` against one worker, PostgreSQL + Redis, interleaved."""
    options = Options(**{**options.__dict__, "postgres": True, "redis": True})
    async with backend(postgres=True, redis=True) as store:
        made = [
            Server("onramp", store, workers=1, label="1 worker"),
            Server("onramp", store, workers=2, label="2 workers"),
        ]
        async with running(made) as started:
            token = await _progress_account(started[0])
            rps = (await _progress_rounds("workers", started, token, options)).rps
    return [
        figure(
            "progress req/s, --workers 2 vs 1 [postgres+redis]",
            rps["2 workers"],
            "req/s",
            "one worker",
            rps["1 worker"],
            target="reported",
            backend="postgres+redis",
            workers=2,
            note="the load generator shares the machine's 2 cores with both workers",
        )
    ]


SCENARIOS = {
    "progress": progress,
    "signin-vs-reads": signin_vs_reads,
    "fanout": fanout,
    "push": push,
    "workers": workers,
    "observability": observability,
}
