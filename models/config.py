"""The Tortoise configuration: one app labelled `onramp` holding every model module."""

from __future__ import annotations

import os
from typing import Any

MODEL_MODULES = [
    "models.accounts",
    "models.codes",
    "models.sessions",
    "models.outbox",
    "models.onboarding",
    "models.cards",
    "gateways.sandbox.models",
    "models.billing",
]
APP_LABEL = "onramp"
DEFAULT_DATABASE_URL = "sqlite://./var/onramp.sqlite3"


def tortoise_config(db_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": db_url},
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


# Read by `tortoise makemigrations` through [tool.tortoise] in pyproject.toml.
TORTOISE_ORM = tortoise_config(os.environ.get("ONRAMP_DATABASE_URL", DEFAULT_DATABASE_URL))
