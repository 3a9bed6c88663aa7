"""The connection conventions of the contract: default 20, at most 100, not first and last."""

from __future__ import annotations

import pytest

from services.pagination import (
    DEFAULT_PAGE,
    MAX_PAGE,
    PageArgumentError,
    decode_cursor,
    encode_cursor,
    window,
)


def test_first_defaults_to_twenty() -> None:
    chosen = window(first=None, last=None, after=None, before=None)
    assert chosen.limit == DEFAULT_PAGE == 20
    assert not chosen.from_end


def test_first_may_not_exceed_one_hundred() -> None:
    assert window(first=MAX_PAGE, last=None, after=None, before=None).limit == 100
    with pytest.raises(PageArgumentError, match="first"):
        window(first=101, last=None, after=None, before=None)
    with pytest.raises(PageArgumentError, match="last"):
        window(first=None, last=-1, after=None, before=None)


def test_first_and_last_together_are_an_error() -> None:
    with pytest.raises(PageArgumentError, match="not both"):
        window(first=1, last=1, after=None, before=None)


def test_last_reads_from_the_end() -> None:
    assert window(first=None, last=5, after=None, before=None).from_end


def test_cursors_round_trip_and_garbage_is_refused() -> None:
    key = ["2026-11-26T10:00:00+00:00", "0b6a"]
    assert decode_cursor(encode_cursor(key)) == key
    chosen = window(first=2, last=None, after=encode_cursor(key), before=None)
    assert chosen.after == key
    for garbage in ("%%%", "bm90LWpzb24", encode_cursor({"a": 1})):  # type: ignore[arg-type]
        with pytest.raises(PageArgumentError):
            decode_cursor(garbage)
