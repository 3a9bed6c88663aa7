"""The `node` field: any opaque ID the caller may see, or null for anything else."""

from __future__ import annotations

import inspect
from uuid import UUID

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


def decode_id(value: str, type_name: str) -> UUID | None:
    """The UUID inside an opaque ID of the given type; None for anything else."""
    try:
        global_id = relay.GlobalID.from_id(value)
        return UUID(global_id.node_id) if global_id.type_name == type_name else None
    except (ValueError, TypeError):
        return None
