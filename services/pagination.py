"""Relay-style cursor windows: the contract's limits, and opaque cursors over sort keys."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

DEFAULT_PAGE = 20
MAX_PAGE = 100


class PageArgumentError(ValueError):
    """Arguments a connection refuses; the message is fit to show to the caller."""


@dataclass(frozen=True)
class Window:
    """Which slice of an ordered list to read: `limit` items after/before a cursor."""

    limit: int
    after: list[Any] | None
    before: list[Any] | None
    from_end: bool


def window(*, first: int | None, last: int | None, after: str | None, before: str | None) -> Window:
    if first is not None and last is not None:
        raise PageArgumentError("Give either `first` or `last`, not both.")
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= MAX_PAGE:
            raise PageArgumentError(f"`{name}` must be between 0 and {MAX_PAGE}.")
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
        raise PageArgumentError("That cursor is not one this connection gave out.") from error
    if not isinstance(key, list):
        raise PageArgumentError("That cursor is not one this connection gave out.")
    return key
