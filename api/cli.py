"""The `onramp` command: serve, migrate, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

from api.settings import Settings, UnsafeSettingsError


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    if args.workers > 1 and not settings.shared_state:
        print(
            "onramp: --workers above 1 needs PostgreSQL (ONRAMP_DATABASE_URL=postgres://...) "
            "and Redis (ONRAMP_REDIS_URL): processes share no state otherwise",
            file=sys.stderr,
        )
        return 2
    settings.check_safe()
    settings.master_secret()  # create the development key once, before workers race for it
    with _metrics_shared_by(args.workers):
        uvicorn.run(
            "api.main:app",
            host=args.host,
            port=args.port,
            workers=args.workers,
            proxy_headers=False,  # the app applies ONRAMP_TRUSTED_PROXIES itself
            log_config=None,
            access_log=False,  # the app logs each request itself, by route, never by raw path
            # Compression would cost ~50 KiB a socket for messages of a few hundred bytes.
            ws_per_message_deflate=False,
            # After SIGTERM, in-flight requests get this long (api/shutdown.py).
            timeout_graceful_shutdown=settings.shutdown_grace_s,
        )
    return 0


@contextlib.contextmanager
def _metrics_shared_by(workers: int) -> Iterator[None]:
    """With several workers, prometheus_client keeps each one's values in files of a shared
    directory, which /metrics adds up (PROMETHEUS_MULTIPROC_DIR, read by every worker as it
    starts). An operator's own directory is used as it is (several servers of one host may
    share it; whoever starts them empties it first); else a private one is made for this run
    and removed after it."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR") or workers <= 1:
        yield
        return
    directory = Path(tempfile.mkdtemp(prefix="onramp-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    try:
        yield
    finally:
        del os.environ["PROMETHEUS_MULTIPROC_DIR"]
        shutil.rmtree(directory, ignore_errors=True)


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    from models.migrate import apply_migrations

    asyncio.run(apply_migrations(settings.database_url))
    print("onramp: database is up to date")
    return 0


def _export_schema(args: argparse.Namespace, settings: Settings) -> int:
    from resolvers.schema import export_sdl

    sys.stdout.write(export_sdl())
    return 0


def _billing(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_billing_command(args, settings))


async def _billing_command(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import UTC, datetime, time

    import httpx
    from tortoise import Tortoise

    from api.app import build_core, build_runtime
    from models.accounts import AccountKind
    from models.config import tortoise_config
    from services.clock import FrozenClock, SystemClock
    from services.problems import Refused

    clock = (
        FrozenClock(datetime.combine(args.date, time.min, tzinfo=UTC))
        if getattr(args, "date", None)
        else SystemClock()
    )
    # A command reaches the server's routes (a gateway's webhooks) over the network.
    core = build_core(settings, clock, lambda: httpx.AsyncClient(base_url=settings.public_url))
    services = build_runtime(settings, core, None)
    await Tortoise.init(config=tortoise_config(settings.database_url))
    try:
        if args.billing_command == "run":
            report = await services.billing.run(clock.now().date())
            print(
                f"onramp: billing run for {clock.now().date()}: "
                + (f"{report.bills_issued} bill(s) for {report.period}, " if report.period else "")
                + f"{report.charges_attempted} retried charge(s)"
            )
            return 0
        account = await services.accounts.find(args.email, AccountKind(args.kind))
        if account is None:
            print(f"onramp: no {args.kind} account has the email {args.email}", file=sys.stderr)
            return 1
        if args.billing_command == "record-usage":
            try:
                usage = await services.billing.record_usage(account, args.amount, args.description)
            except Refused as refused:
                print(f"onramp: {refused.problems[0].message}", file=sys.stderr)
                return 1
            print(f"onramp: recorded {usage.amount} {usage.currency} for {args.email}")
        elif args.billing_command == "flag-arrears":
            await services.billing.flag_arrears(account, args.reason)
            print(f"onramp: {args.email} is flagged for arrears risk")
        else:
            await services.billing.clear_arrears(account)
            print(f"onramp: {args.email} is no longer flagged for arrears risk")
        return 0
    finally:
        await Tortoise.close_connections()


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="onramp", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP and websocket server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(run=_serve)
    commands.add_parser("migrate", help="apply database migrations").set_defaults(run=_migrate)
    commands.add_parser("export-schema", help="print the GraphQL SDL").set_defaults(
        run=_export_schema
    )
    billing = commands.add_parser("billing", help="post-paid billing").add_subparsers(
        dest="billing_command", required=True
    )
    kinds = ["HUAWEI_ID", "HUAWEI_CLOUD"]
    usage = billing.add_parser("record-usage", help="record an expense of an account")
    usage.add_argument("--email", required=True)
    usage.add_argument("--kind", choices=kinds, default="HUAWEI_ID")
    usage.add_argument("--amount", required=True, help="in the account's billing currency")
    usage.add_argument("--description", required=True)
    run = billing.add_parser("run", help="issue the monthly bills (on the 3rd) and retry charges")
    run.add_argument("--date", type=date.fromisoformat, help="YYYY-MM-DD (default: today, UTC)")
    flag = billing.add_parser("flag-arrears", help="bill this account as it spends")
    flag.add_argument("--email", required=True)
    flag.add_argument("--kind", choices=kinds, default="HUAWEI_ID")
    flag.add_argument("--reason", required=True)
    clear = billing.add_parser("clear-arrears", help="lift the arrears-risk flag")
    clear.add_argument("--email", required=True)
    clear.add_argument("--kind", choices=kinds, default="HUAWEI_ID")
    for command in (usage, run, flag, clear):
        command.set_defaults(run=_billing)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from api.observability import configure_logging

    settings = Settings()
    configure_logging(settings.log_level, json_lines=settings.log_json)
    return run(args)


def run(args: argparse.Namespace) -> int:
    """Runs parsed arguments with settings from the environment; the exit status."""
    try:
        command: Callable[[argparse.Namespace, Settings], int] = args.run
        return command(args, Settings())
    except UnsafeSettingsError as error:
        print(f"onramp: {error}", file=sys.stderr)
        return 2
