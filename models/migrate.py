"""Apply the committed migrations to a database (SQLite or PostgreSQL alike)."""

from __future__ import annotations

from typing import Any

from tortoise import Tortoise
from tortoise.migrations import operations as ops
from tortoise.migrations.api import migrate as tortoise_migrate

from models.config import prepare_sqlite_file, tortoise_config


async def apply_migrations(db_url: str) -> None:
    """Bring the database up to the newest migration; a no-op when it already is."""
    prepare_sqlite_file(db_url)
    try:
        await tortoise_migrate(config=tortoise_config(db_url))
    finally:
        await Tortoise.close_connections()


class AlterFieldStateOnly(ops.AlterField):
    """For a migration: only the recorded state changes, the database is left as it is.

    A CharEnumField's column comment lists its enum's values, so a new member makes
    `makemigrations` write an AlterField; to change a comment SQLite rebuilds the table,
    which drops its indexes and, through ON DELETE CASCADE, the rows that point at it.
    The column already holds any value, so nothing in the database needs to change.
    """

    async def database_forward(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def database_backward(self, *args: Any, **kwargs: Any) -> None:
        return None
