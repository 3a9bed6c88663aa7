"""The Tortoise configuration: one app labelled `onramp` holding every model module."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

MODEL_MODULES = [
    "models.accounts",
    "models.codes",
    "models.sessions",
    "models.outbox",
    "models.onboarding",
    "models.cards",
    "gateways.sandbox.models",
    "gateways.stripe.models",
    "models.billing",
    "models.staff",
]
APP_LABEL = "onramp"
DEFAULT_DATABASE_URL = "sqlite://./var/onramp.sqlite3"
# SQLite runs in WAL mode (Tortoise's default); with synchronous=NORMAL a commit is written
# to the log but not flushed to disk one by one, only at checkpoints. The database cannot be
# corrupted and a commit survives Onramp's crash; the last commits may be lost when the
# machine loses power. Flushing every commit made a webhook wait on the disk for each of its
# writes, one after another on SQLite's one connection. `?synchronous=FULL` asks for it back.
SQLITE_PRAGMAS = {"synchronous": "NORMAL"}


def tortoise_config(db_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": with_sqlite_pragmas(db_url)},
        "apps": {
            APP_LABEL: {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "models.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def with_sqlite_pragmas(db_url: str) -> str:
    """A SQLite URL with Onramp's pragmas where it names none of its own; others unchanged."""
    if not db_url.startswith("sqlite://"):
        return db_url
    path, _, query = db_url.partition("?")
    pragmas = SQLITE_PRAGMAS | dict(parse_qsl(query, keep_blank_values=True))
    return f"{path}?{urlencode(pragmas)}"


def prepare_sqlite_file(db_url: str) -> None:
    """Creates a SQLite database file readable by its owner alone (0600) before SQLite does.

    SQLite gives its -wal and -shm files the permissions of the database file, so they are
    private too; a folder it needs is created 0700. Other URLs are left alone.
    """
    if not db_url.startswith("sqlite://"):
        return
    name = db_url.removeprefix("sqlite://").split("?", 1)[0]
    if not name or name == ":memory:":
        return
    path = Path(name)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


# Read by `tortoise makemigrations` through [tool.tortoise] in pyproject.toml.
TORTOISE_ORM = tortoise_config(os.environ.get("ONRAMP_DATABASE_URL", DEFAULT_DATABASE_URL))
