"""The `node` field: any opaque ID the caller may see, or null for anything else."""

from __future__ import annotations

import inspect
from typing import Any
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader
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


def _uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


async def own_rows(loader: DataLoader[UUID, Any], info: Info, node_ids: Any) -> list[Any]:
    """The rows of the signed-in account among the ids (in their order); None for the rest."""
    session = await info.context.session()
    wanted = [_uuid(node_id) for node_id in node_ids]
    if session is None:
        return [None for _ in wanted]
    rows = await loader.load_many([w for w in wanted if w])
    own = {row.id: row for row in rows if row is not None and row.account_id == session.account_id}
    return [own.get(w) if w else None for w in wanted]
