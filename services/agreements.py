"""Versioned agreements from the data files: which versions are current, lookup, and text.

`data/agreements.json` lists every version; the Markdown text of each is in
`data/agreements/<key>-<version>.md` (English, the text that governs), and its translations
in `data/agreements/<key>-<version>.<locale>.md`, each read once and kept. Titles are
catalogue messages (the data file is extracted like the code).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache
from importlib import resources
from uuid import UUID

from services.i18n.locales import DEFAULT, babel_code
from services.i18n.text import Text, tr


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


def title(agreement: Agreement) -> Text:
    """The title, catalogued from the data file."""
    return Text(agreement.title)


@dataclass(frozen=True)
class AgreementText:
    markdown: str
    # The language the text is written in: the reader's, or English when it is not
    # translated (then the text opens with a note saying so, in the reader's language).
    locale: str


UNTRANSLATED_NOTE = tr(
    "This agreement is not available in your language yet. The English text below is the "
    "one that applies to you."
)


@cache
def _file(agreement: Agreement, locale: str) -> str | None:
    suffix = "" if locale == DEFAULT else f".{babel_code(locale)}"
    name = f"data/agreements/{agreement.key}-{agreement.version}{suffix}.md"
    source = resources.files("services").joinpath(name)
    return source.read_text("utf-8") if source.is_file() else None


def content(agreement: Agreement, locale: str = DEFAULT) -> AgreementText:
    """The Markdown text of exactly this version, in the locale where it is translated."""
    translated = _file(agreement, locale)
    if translated is not None:
        return AgreementText(translated, locale)
    english = _file(agreement, DEFAULT)
    if english is None:
        raise LookupError(f"agreement {agreement.key} {agreement.version} has no text")
    note = "> " + UNTRANSLATED_NOTE.render(locale) + "\n\n"
    return AgreementText(note + english, DEFAULT)
