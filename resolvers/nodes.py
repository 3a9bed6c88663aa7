"""The `node` field: any opaque ID the caller may see, or null for anything else."""

from __future__ import annotations

import inspect

import strawberry
from strawberry import relay
from strawberry.types import Info


@strawberry.type
class NodeQuery:
    @strawberry.field
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        # A malformed, unknown or foreign ID reads as null: it must reveal nothing.
        try:
            global_id = relay.GlobalID.from_id(id)
            found = global_id.resolve_node(info, required=False)
            if inspect.isawaitable(found):
                found = await found
        except Exception:
            return None
        return found
