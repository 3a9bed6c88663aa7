"""Apply the committed migrations to a database (SQLite or PostgreSQL alike)."""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.migrations.api import migrate as tortoise_migrate

from models.config import prepare_sqlite_file, tortoise_config


async def apply_migrations(db_url: str) -> None:
    """Bring the database up to the newest migration; a no-op when it already is."""
    prepare_sqlite_file(db_url)
    try:
        await tortoise_migrate(config=tortoise_config(db_url))
    finally:
        await Tortoise.close_connections()
