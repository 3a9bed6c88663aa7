"""The `onramp` command: serve, migrate, export-schema, billing and staff."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from api.settings import Settings, UnsafeSettingsError
from services.problems import Refused

if TYPE_CHECKING:
    from services.clock import Clock
    from services.runtime import Services


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
    if args.staff:
        from resolvers.staff.schema import export_staff_sdl

        sys.stdout.write(export_staff_sdl())
        return 0
    from resolvers.schema import export_sdl

    sys.stdout.write(export_sdl())
    return 0


def _billing(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_with_services(settings, args, _billing_command))


def _staff(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_with_services(settings, args, _staff_command))


async def _with_services(
    settings: Settings,
    args: argparse.Namespace,
    command: Callable[[argparse.Namespace, Services, Clock], Awaitable[int]],
) -> int:
    """Runs a command with the app's services on the configured database, then closes it."""
    from datetime import UTC, datetime, time

    import httpx
    from tortoise import Tortoise

    from api.app import build_core, build_runtime
    from models.config import tortoise_config
    from services.clock import FrozenClock, SystemClock

    clock: Clock = (
        FrozenClock(datetime.combine(args.date, time.min, tzinfo=UTC))
        if getattr(args, "date", None)
        else SystemClock()
    )
    # A command reaches the server's routes (a gateway's webhooks) over the network.
    core = build_core(settings, clock, lambda: httpx.AsyncClient(base_url=settings.public_url))
    services = build_runtime(settings, core, None)
    await Tortoise.init(config=tortoise_config(settings.database_url))
    try:
        return await command(args, services, clock)
    except Refused as refused:
        print(f"onramp: {refused.problems[0].message}", file=sys.stderr)
        return 1
    finally:
        await Tortoise.close_connections()


async def _billing_command(args: argparse.Namespace, services: Services, clock: Clock) -> int:
    from models.accounts import AccountKind
    from services.staff.audit import Actor

    if args.billing_command == "run":
        report = await services.billing.run(clock.now().date())
        print(
            f"onramp: billing run for {clock.now().date()}: "
            + (f"{report.bills_issued} bill(s) for {report.period}, " if report.period else "")
            + f"{report.charges_attempted} retried charge(s)"
        )
        return 0
    # What staff do through the staff API, an operator does here: the same services, and
    # the same audit rows (their actor is the command line).
    actor = Actor.command_line()
    if args.billing_command == "charge-bill":
        bill = await services.billing.bill_by_number(args.number)
        payment = await services.billing.charge_now(bill.id if bill else None, actor)
        print(f"onramp: bill {args.number}: payment {payment.status.value}")
        return 0
    account = await services.accounts.find(args.email, AccountKind(args.kind))
    if account is None:
        print(f"onramp: no {args.kind} account has the email {args.email}", file=sys.stderr)
        return 1
    if args.billing_command == "record-usage":
        usage = await services.billing.record_usage(
            account, args.amount, args.description, actor=actor
        )
        print(f"onramp: recorded {usage.amount} {usage.currency} for {args.email}")
    elif args.billing_command == "flag-arrears":
        await services.billing.flag_arrears(account, args.reason, actor=actor)
        print(f"onramp: {args.email} is flagged for arrears risk")
    elif args.billing_command == "clear-arrears":
        await services.billing.clear_arrears(account, args.reason, actor=actor)
        print(f"onramp: {args.email} is no longer flagged for arrears risk")
    else:
        attempts = await services.cards.stuck_refunds(account.id)
        if not attempts:
            print(f"onramp: no deposit of {args.email} waits in REFUND_PENDING", file=sys.stderr)
            return 1
        for stuck in attempts:
            attempt = await services.cards.retry_refund(stuck.id, actor)
            print(
                f"onramp: deposit of {attempt.brand.upper()} {attempt.last4}: asked again, "
                f"now {attempt.deposit_status.value}"
            )
    return 0


async def _staff_command(args: argparse.Namespace, services: Services, clock: Clock) -> int:
    from models.staff import StaffRole
    from services.staff.audit import Actor

    actor = Actor.command_line()
    if args.staff_command == "create":
        enrolment = await services.staff.create(args.email, StaffRole(args.role.upper()), actor)
        print(f"onramp: {enrolment.member.email} is a {enrolment.member.role.value} staff member")
        print(f"One-time setup code (for setPassword, within 72 hours): {enrolment.setup_code}")
        _print_second_factor(enrolment.otpauth_url)
        return 0
    member = await services.staff.find(args.email)
    if member is None:
        print(f"onramp: no staff member has the email {args.email}", file=sys.stderr)
        return 1
    if args.staff_command == "disable":
        await services.staff.disable(member, actor)
        print(f"onramp: {member.email} is disabled and signed out")
        return 0
    enrolment = await services.staff.reset_second_factor(member, actor)
    print(f"onramp: {member.email} has a new second factor; the old one no longer works")
    _print_second_factor(enrolment.otpauth_url)
    return 0


def _print_second_factor(otpauth_url: str) -> None:
    """The otpauth:// address as text and as a QR code an authenticator app can scan."""
    import io

    import qrcode

    print(f"Second factor (add it to an authenticator app): {otpauth_url}")
    code = qrcode.QRCode(border=2)
    code.add_data(otpauth_url)
    drawing = io.StringIO()
    code.print_ascii(out=drawing, invert=True)
    print(drawing.getvalue(), end="")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="onramp", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP and websocket server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(run=_serve)
    commands.add_parser("migrate", help="apply database migrations").set_defaults(run=_migrate)
    export = commands.add_parser("export-schema", help="print the GraphQL SDL")
    export.add_argument(
        "--staff", action="store_true", help="the staff API's schema (staff.graphql)"
    )
    export.set_defaults(run=_export_schema)
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
    clear = billing.add_parser("clear-arrears", help="lift the arrears-risk flag")
    refund = billing.add_parser(
        "refund-deposit", help="ask the gateway again for deposits stuck in REFUND_PENDING"
    )
    for command in (flag, clear, refund):
        command.add_argument("--email", required=True)
        command.add_argument("--kind", choices=kinds, default="HUAWEI_ID")
    for command in (flag, clear):
        command.add_argument("--reason", required=True)
    charge = billing.add_parser("charge-bill", help="charge an UNPAID bill now, as its next try")
    charge.add_argument("--number", required=True, help="B-YYYYMM-XXXXXXXX")
    for command in (usage, run, flag, clear, refund, charge):
        command.set_defaults(run=_billing)
    staff = commands.add_parser("staff", help="the provider's staff").add_subparsers(
        dest="staff_command", required=True
    )
    create = staff.add_parser(
        "create", help="enrol a staff member: prints a setup code and the second factor"
    )
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=["support", "billing", "admin"])
    disable = staff.add_parser("disable", help="end a staff member's access and sessions")
    reset = staff.add_parser("reset-2fa", help="give a staff member a new second factor")
    for command in (disable, reset):
        command.add_argument("--email", required=True)
    for command in (create, disable, reset):
        command.set_defaults(run=_staff)
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
