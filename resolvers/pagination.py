"""Relay connections over Tortoise querysets, newest first, paged by (time, id) cursors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import strawberry
from graphql import GraphQLError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from services.pagination import PageArgumentError, encode_cursor, window


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@dataclass(frozen=True)
class Page:
    rows: list[tuple[str, Any]]  # (cursor, row)
    info: PageInfo


async def newest_first(
    query: QuerySet[Any],
    field: str,
    *,
    first: int | None,
    last: int | None,
    after: str | None,
    before: str | None,
) -> Page:
    """One page of the query ordered by `field` then id, both descending."""
    try:
        chosen = window(first=first, last=last, after=after, before=before)
        if chosen.after:
            at, key = datetime.fromisoformat(chosen.after[0]), chosen.after[1]
            query = query.filter(Q(**{f"{field}__lt": at}) | Q(**{field: at, "id__lt": key}))
        if chosen.before:
            at, key = datetime.fromisoformat(chosen.before[0]), chosen.before[1]
            query = query.filter(Q(**{f"{field}__gt": at}) | Q(**{field: at, "id__gt": key}))
    except (PageArgumentError, ValueError, IndexError, TypeError) as error:
        message = (
            str(error) if isinstance(error, PageArgumentError) else "That cursor is not valid."
        )
        raise GraphQLError(message, extensions={"code": "BAD_USER_INPUT"}) from error
    if chosen.from_end:
        rows = list(await query.order_by(field, "id").limit(chosen.limit + 1))
        more = len(rows) > chosen.limit
        rows = list(reversed(rows[: chosen.limit]))
        has_previous, has_next = more, chosen.before is not None
    else:
        rows = list(await query.order_by(f"-{field}", "-id").limit(chosen.limit + 1))
        more = len(rows) > chosen.limit
        rows = rows[: chosen.limit]
        has_previous, has_next = chosen.after is not None, more
    keyed = [(encode_cursor([getattr(row, field).isoformat(), str(row.id)]), row) for row in rows]
    return Page(
        rows=keyed,
        info=PageInfo(
            has_next_page=has_next,
            has_previous_page=has_previous,
            start_cursor=keyed[0][0] if keyed else None,
            end_cursor=keyed[-1][0] if keyed else None,
        ),
    )
