"""Serves a baseline app with the uvicorn settings of `onramp serve` (api/cli.py)."""

from __future__ import annotations

import argparse
import importlib

import uvicorn

from api import heap

APPS = {"plain": "bench.baselines.plain:app", "constant": "bench.baselines.constant:app"}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.baselines.serve")
    parser.add_argument("app", choices=sorted(APPS))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    # As `onramp serve` does once started (api/heap.py): the app made, then frozen.
    importlib.import_module(APPS[args.app].split(":", 1)[0])
    heap.settle_after_start()
    uvicorn.run(
        APPS[args.app],
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=False,
        log_config=None,
        access_log=False,
        ws_per_message_deflate=False,
    )


if __name__ == "__main__":
    main()
