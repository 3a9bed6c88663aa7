"""The `node` field: any opaque ID the caller may see, or null for anything else.

Every node type answers `resolve_nodes` with None for an id the caller may not see, even
when Strawberry asks with `required=True`: the contract makes `node` nullable and a foreign
id must read as unknown. `relay.Node` declares that method with overloads that promise no
None for `required=True`, so each override carries `type: ignore[override]` for this reason.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from resolvers.session import current_session


@strawberry.type
class NodeQuery:
    @strawberry.field
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        # A malformed, unknown or foreign ID reads as null: it must reveal nothing.
        try:
            found = relay.GlobalID.from_id(id).resolve_node(info, required=False)
            if found is None or isinstance(found, relay.Node):
                return found
            return await found
        except Exception:
            return None


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
    session = await current_session(info)
    wanted = [_uuid(node_id) for node_id in node_ids]
    if session is None:
        return [None for _ in wanted]
    rows = await loader.load_many([w for w in wanted if w])
    own = {row.id: row for row in rows if row is not None and row.account_id == session.account_id}
    return [own.get(w) if w else None for w in wanted]
