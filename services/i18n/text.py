"""Sentences kept unrendered until the language they are for is known.

A service says `tr("There is no such card.")`, or with values,
`tr("Your bill {number} for {period}:", number=..., period=DateRange(start, end))`; the
resolver that answers a request, or the outbox writing an email to an account, renders it
in that request's or account's locale. Values are written by the locale's CLDR rules when
they are money, dates, numbers, percentages, lists or region names; nested texts render in
the same locale; plain strings (codes, links, names a person typed) stay as they are.

`tr` and `trn` are the catalogue's extraction keywords (`make i18n`): their first arguments
must be string literals. A placeholder is `{name}` with a lower-case name; translations keep
the same placeholders (a test checks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Protocol

from services.i18n import formats
from services.i18n.catalogues import translations
from services.i18n.locales import DEFAULT, babel_code
from services.money import Money


class Renderable(Protocol):
    def render(self, locale: str) -> str: ...


Value = str | int | Decimal | date | Money | Renderable


@dataclass(frozen=True)
class Text:
    """A catalogued sentence (or a few) and the values of its placeholders."""

    msgid: str
    values: dict[str, Value] = field(default_factory=dict)
    plural: str | None = None
    count: int | None = None

    def render(self, locale: str) -> str:
        catalogue = translations(locale)
        if self.plural is not None and self.count is not None:
            pattern = catalogue.ngettext(self.msgid, self.plural, self.count)
            values: dict[str, Value] = {"count": self.count, **self.values}
        else:
            pattern = catalogue.gettext(self.msgid)
            values = self.values
        return pattern.format_map({name: render(value, locale) for name, value in values.items()})

    def __str__(self) -> str:
        """English, for logs and exceptions: never for a person."""
        return self.render(DEFAULT)


def tr(msgid: str, /, **values: Value) -> Text:
    """Marks a sentence for the catalogue; rendered later in the reader's language."""
    return Text(msgid, values)


def trn(singular: str, plural: str, count: int, /, **values: Value) -> Text:
    """As `tr`, choosing the form for `count` by the language's plural rules ({count} is
    the number, written as the language writes numbers)."""
    return Text(singular, values, plural, count)


@dataclass(frozen=True)
class Verbatim:
    """A text that is the same in every language: what a person typed, a code."""

    text: str

    def render(self, locale: str) -> str:
        return self.text


@dataclass(frozen=True)
class Sentences:
    """Sentences one after another: a space between them, none in Japanese and Chinese."""

    parts: Sequence[Renderable]

    def render(self, locale: str) -> str:
        glue = "" if babel_code(locale).split("_")[0] in {"ja", "zh"} else " "
        return glue.join(part.render(locale) for part in self.parts)


@dataclass(frozen=True)
class Listing:
    """`a, b and c` in the locale's words."""

    items: Sequence[Renderable]

    def render(self, locale: str) -> str:
        return formats.listing([item.render(locale) for item in self.items], locale)


@dataclass(frozen=True)
class Percent:
    value: Decimal

    def render(self, locale: str) -> str:
        return formats.percent(self.value, locale)


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date

    def render(self, locale: str) -> str:
        return formats.date_range(self.start, self.end, locale)


@dataclass(frozen=True)
class RegionName:
    code: str

    def render(self, locale: str) -> str:
        return formats.region_name(self.code, locale)


def render(value: Value, locale: str) -> str:
    """Any value a sentence may hold, written for the locale."""
    if isinstance(value, str):
        return value
    if isinstance(value, Money):
        return formats.money(value, locale)
    if isinstance(value, date):
        return formats.long_date(value, locale)
    if isinstance(value, int | Decimal):
        return formats.number(value, locale)
    return value.render(locale)
