"""`python -m bench`: run scenarios against real servers, print a table, write results.json.

python -m bench run progress [observability signin-vs-reads fanout push workers] [--postgres]
                    [--redis]
                    [--workers N] [--rounds 3] [--duration 5] [--subscribers 1000]
python -m bench all          # what `make bench` runs (about five minutes)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.scenarios import SCENARIOS, Options

RESULTS = Path(__file__).resolve().parent / "results.json"
# What `all` runs, in order: (scenario, options).
ALL: list[tuple[str, dict[str, Any]]] = [
    ("progress", {}),
    ("observability", {}),
    ("signin-vs-reads", {}),
    ("fanout", {}),
    ("push", {}),
    ("progress", {"postgres": True, "redis": True}),
    ("fanout", {"postgres": True, "redis": True, "workers": 2, "subscribers": 2000}),
    ("workers", {}),
]


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def table(figures: list[dict[str, Any]]) -> str:
    rows = [("figure", "value", "baseline", "ratio", "target")]
    for f in figures:
        base = f"{f['baseline_value']} ({f['baseline']})" if f["baseline"] else "-"
        ratio = f"{f['ratio']}×" if f["ratio"] is not None else "-"
        rows.append((f["name"], f"{f['value']} {f['unit']}", base, ratio, f["target"] or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def save(figures: list[dict[str, Any]]) -> None:
    """Merges into results.json by figure name, so one scenario's run keeps the others'."""
    old: dict[str, Any] = {}
    if RESULTS.exists():
        old = json.loads(RESULTS.read_text())
    now = datetime.now(UTC).isoformat(timespec="seconds")
    kept = [f for f in old.get("figures", []) if f["name"] not in {g["name"] for g in figures}]
    stamped = [{**f, "date": now, "machine": machine()} for f in figures]
    RESULTS.write_text(
        json.dumps(
            {"date": now, "machine": machine(), "figures": kept + stamped},
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )


async def run(plan: list[tuple[str, Options]]) -> list[dict[str, Any]]:
    figures: list[dict[str, Any]] = []
    for name, options in plan:
        started = time.monotonic()
        print(f"== {name} ({options.__dict__})", file=sys.stderr, flush=True)
        try:
            figures += await SCENARIOS[name](options)
        except Exception as failed:  # one scenario's failure leaves the others' figures
            print(f"!! {name} failed: {failed!r}", file=sys.stderr, flush=True)
        print(f"== {name}: {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return figures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("run", help="run the named scenarios")
    one.add_argument("scenarios", nargs="+", choices=sorted(SCENARIOS))
    everything = commands.add_parser("all", help="every scenario and variant this machine runs")
    for sub in (one, everything):
        sub.add_argument("--rounds", type=int, default=3)
        sub.add_argument("--duration", type=float, default=5.0)
        sub.add_argument("--warmup", type=float, default=1.0)
    one.add_argument("--postgres", action="store_true")
    one.add_argument("--redis", action="store_true")
    one.add_argument("--workers", type=int, default=1)
    one.add_argument("--subscribers", type=int, default=1000)
    one.add_argument("--rate", type=float, default=100.0, help="push: bank pages a second")
    args = parser.parse_args(argv)
    timing = {"rounds": max(3, args.rounds), "duration": args.duration, "warmup": args.warmup}
    if args.command == "run":
        shared = {
            **timing,
            "postgres": args.postgres,
            "redis": args.redis,
            "workers": args.workers,
            "subscribers": args.subscribers,
            "rate": args.rate,
        }
        plan = [(name, Options(**shared)) for name in args.scenarios]
    else:
        plan = [(name, Options(**{**timing, **extra})) for name, extra in ALL]
    figures = asyncio.run(run(plan))
    print(table(figures))
    if figures:
        save(figures)
        print(f"\nwritten to {RESULTS}", file=sys.stderr)
    return 0 if figures else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
