"""Versioned agreements from the data file: which versions are current, and lookup by id."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache
from importlib import resources
from uuid import UUID


class AgreementScope(StrEnum):
    CLOUD = "cloud"
    PAYMENT = "payment"


@dataclass(frozen=True)
class Agreement:
    id: UUID
    scope: AgreementScope
    key: str
    title: str
    version: str
    path: str
    effective_from: datetime


@cache
def _all() -> tuple[Agreement, ...]:
    raw = json.loads(
        resources.files("services").joinpath("data/agreements.json").read_text("utf-8")
    )
    return tuple(
        Agreement(
            id=UUID(entry["id"]),
            scope=AgreementScope(entry["scope"]),
            key=entry["key"],
            title=entry["title"],
            version=entry["version"],
            path=entry["path"],
            effective_from=datetime.fromisoformat(entry["effectiveFrom"]),
        )
        for entry in raw["agreements"]
    )


def current_agreements(scope: AgreementScope, now: datetime) -> list[Agreement]:
    """The newest version in effect of every agreement key of the scope, ordered by key."""
    newest: dict[str, Agreement] = {}
    for agreement in _all():
        if agreement.scope is not scope or agreement.effective_from > now:
            continue
        known = newest.get(agreement.key)
        if known is None or agreement.effective_from > known.effective_from:
            newest[agreement.key] = agreement
    return [newest[key] for key in sorted(newest)]


def find_agreement(agreement_id: UUID) -> Agreement | None:
    return next((a for a in _all() if a.id == agreement_id), None)
