"""Versioned agreements from the data files: which versions are current, lookup, and text.

`data/agreements.json` lists every version; the Markdown text of each is in
`data/agreements/<key>-<version>.md`, read once and kept.
"""

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


def find_version(key: str, version: str) -> Agreement | None:
    """Any version, current or superseded."""
    return next((a for a in _all() if (a.key, a.version) == (key, version)), None)


@cache
def content(agreement: Agreement) -> str:
    """The Markdown text of exactly this version."""
    name = f"data/agreements/{agreement.key}-{agreement.version}.md"
    return resources.files("services").joinpath(name).read_text("utf-8")
