"""Relay connections paged by (time, id) keyset cursors, newest or oldest first.

Strawberry's `relay.Connection`, `relay.Edge` and `relay.PageInfo` carry field descriptions
the contract's SDL does not have, and `relay.connection()` adds described arguments: the
subclasses here and in the step modules redeclare their fields without descriptions, their
fields declare the four arguments themselves, and `resolve_connection` pages with the keyset
windows of `services.pagination` instead of slicing by offset.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, Self, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.types import Info

from resolvers.locale import reader_locale
from services.pagination import KeysetList, PageArgumentError

NodeType = TypeVar("NodeType", bound=relay.Node)


@strawberry.type
class PageInfo(relay.PageInfo):
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


class KeysetConnection(relay.Connection[NodeType], Generic[NodeType]):
    """A connection over a `KeysetList` (newest or oldest first); subclasses name their edge
    type and map rows to nodes with `resolve_node`."""

    edge_type: ClassVar[type[Any]]

    @classmethod
    async def resolve_connection(
        cls,
        nodes: Any,
        *,
        info: Info,
        before: str | None = None,
        after: str | None = None,
        first: int | None = None,
        last: int | None = None,
        max_results: int | None = None,
        **kwargs: Any,
    ) -> Self:
        if not isinstance(nodes, KeysetList):
            raise TypeError(f"{cls.__name__} pages a KeysetList, not {type(nodes)!r}")
        try:
            page = await nodes.page(first=first, last=last, after=after, before=before)
        except PageArgumentError as error:
            message = error.text.render(await reader_locale(info))
            raise GraphQLError(message, extensions={"code": "BAD_USER_INPUT"}) from error
        edges = [
            cls.edge_type(cursor=cursor, node=cls.resolve_node(row, info=info))
            for cursor, row in page.rows
        ]
        return cls(
            page_info=PageInfo(
                has_next_page=page.has_next,
                has_previous_page=page.has_previous,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
            edges=edges,
        )
