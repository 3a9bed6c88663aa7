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
import time
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
