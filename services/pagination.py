"""Relay-style cursor windows: the contract's limits, opaque cursors, keyset pages of a query,
newest first or oldest first."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from services.i18n.text import Text, tr

DEFAULT_PAGE = 20
MAX_PAGE = 100

Row = TypeVar("Row", bound=Model)


class PageArgumentError(ValueError):
    """Arguments a connection refuses; `text` is fit to show to the caller, in their language
    (the exception's own message is the English, for logs)."""

    def __init__(self, text: Text) -> None:
        super().__init__(str(text))
        self.text = text


FOREIGN_CURSOR = tr("That cursor is not one this connection gave out.")


@dataclass(frozen=True)
class Window:
    """Which slice of an ordered list to read: `limit` items after/before a cursor."""

    limit: int
    after: list[Any] | None
    before: list[Any] | None
    from_end: bool


def window(*, first: int | None, last: int | None, after: str | None, before: str | None) -> Window:
    if first is not None and last is not None:
        raise PageArgumentError(tr("Give either `first` or `last`, not both."))
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= MAX_PAGE:
            raise PageArgumentError(
                # TRANSLATORS: {name} is the argument's name (first or last), kept as it is.
                tr("`{name}` must be between 0 and {most}.", name=name, most=MAX_PAGE)
            )
    limit = last if last is not None else first if first is not None else DEFAULT_PAGE
    return Window(
        limit=limit,
        after=decode_cursor(after) if after else None,
        before=decode_cursor(before) if before else None,
        from_end=last is not None,
    )


def encode_cursor(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str) -> list[Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, UnicodeError) as error:
        raise PageArgumentError(FOREIGN_CURSOR) from error
    if not isinstance(key, list):
        raise PageArgumentError(FOREIGN_CURSOR)
    return key


@dataclass(frozen=True)
class Page(Generic[Row]):
    """One window of rows, each with its cursor, and whether more lie either side."""

    rows: list[tuple[str, Row]]
    has_next: bool
    has_previous: bool


@dataclass(frozen=True)
class KeysetList(Generic[Row]):
    """A list read in the order of `field` then id, paged by (field, id) cursors.

    `NewestFirst` reads it from the latest, `OldestFirst` from the earliest; `after` always
    means further along the list, in its own order.
    """

    query: QuerySet[Row]
    field: str
    newest_first: ClassVar[bool] = True

    async def page(
        self, *, first: int | None, last: int | None, after: str | None, before: str | None
    ) -> Page[Row]:
        query, field = self.query, self.field
        onward, backward = ("lt", "gt") if self.newest_first else ("gt", "lt")
        forward_order = (f"-{field}", "-id") if self.newest_first else (field, "id")
        reverse_order = (field, "id") if self.newest_first else (f"-{field}", "-id")
        chosen = window(first=first, last=last, after=after, before=before)
        try:
            if chosen.after:
                at, key = datetime.fromisoformat(chosen.after[0]), chosen.after[1]
                query = query.filter(_beyond(field, onward, at, key))
            if chosen.before:
                at, key = datetime.fromisoformat(chosen.before[0]), chosen.before[1]
                query = query.filter(_beyond(field, backward, at, key))
        except (ValueError, IndexError, TypeError) as error:
            raise PageArgumentError(tr("That cursor is not valid.")) from error
        if chosen.from_end:
            rows = list(await query.order_by(*reverse_order).limit(chosen.limit + 1))
            more = len(rows) > chosen.limit
            rows = list(reversed(rows[: chosen.limit]))
            has_previous, has_next = more, chosen.before is not None
        else:
            rows = list(await query.order_by(*forward_order).limit(chosen.limit + 1))
            more = len(rows) > chosen.limit
            rows = rows[: chosen.limit]
            has_previous, has_next = chosen.after is not None, more
        return Page(
            rows=[
                (encode_cursor([getattr(row, field).isoformat(), str(row.pk)]), row) for row in rows
            ],
            has_next=has_next,
            has_previous=has_previous,
        )


class NewestFirst(KeysetList[Row]):
    newest_first = True


class OldestFirst(KeysetList[Row]):
    newest_first = False


def _beyond(field: str, direction: str, at: datetime, key: str) -> Q:
    """Rows past the cursor (`at`, `key`) in one direction ("lt" or "gt"), ties broken by id."""
    past: dict[str, Any] = {f"{field}__{direction}": at}
    tied: dict[str, Any] = {field: at, f"id__{direction}": key}
    return Q(**past) | Q(**tied)
