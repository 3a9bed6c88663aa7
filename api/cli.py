"""The `onramp` command: serve, migrate, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import sys

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
    uvicorn.run(
        "api.main:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=False,  # the app applies ONRAMP_TRUSTED_PROXIES itself
        log_config=None,
    )
    return 0


def _migrate(args: argparse.Namespace, settings: Settings) -> int:
    from models.migrate import apply_migrations

    if settings.database_url.startswith("sqlite://./var/"):
        from api.settings import VAR_DIR

        VAR_DIR.mkdir(exist_ok=True)
    asyncio.run(apply_migrations(settings.database_url))
    print("onramp: database is up to date")
    return 0


def _export_schema(args: argparse.Namespace, settings: Settings) -> int:
    from resolvers.schema import export_sdl

    sys.stdout.write(export_sdl())
    return 0


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
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from api.observability import configure_logging

    configure_logging()
    try:
        return args.run(args, Settings())
    except UnsafeSettingsError as error:
        print(f"onramp: {error}", file=sys.stderr)
        return 2
