"""The scenarios: each returns its figures, every one a ratio to something measured alongside.

A figure is a dict: name, value, unit, baseline (name and value), ratio, target, and the
samples it is the median of.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import uuid
from dataclasses import dataclass
from typing import Any

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
    run_load,
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


async def progress(options: Options) -> list[dict[str, Any]]:
    """Progress query req/s: Onramp against both baselines, interleaved rounds, closed loop."""
    label = backend_label(options)
    async with (
        backend(postgres=options.postgres, redis=options.redis) as store,
        servers(store, "onramp", "plain", "constant", workers=options.workers) as started,
    ):
        token = await _progress_account(started[0])
        rps: dict[str, list[float]] = {server.kind: [] for server in started}
        for round_ in range(options.rounds):
            # Each round starts with another server, so none always runs first.
            order = started[round_ % 3 :] + started[: round_ % 3]
            for server in order:
                spec = load_spec(
                    server,
                    progress_body(),
                    token,
                    mode="closed",
                    connections=options.connections,
                    duration=options.duration,
                    warmup=options.warmup,
                )
                with step(f"progress round {round_ + 1}: {server.kind}"):
                    result = await run_load(spec)
                if result["errors"] or not result["requests"]:
                    raise RuntimeError(f"{server.kind} answered with errors: {result}")
                rps[server.kind].append(result["rps"])
    common = {"backend": label, "workers": options.workers}
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
    ]


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
