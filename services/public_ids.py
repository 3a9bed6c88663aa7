"""The opaque ids the API shows (`Bill.id`, ...), for links that leave by email.

They are Relay global ids: base64 of "<Type>:<uuid>". A frontend route such as
`/bills/<id>` takes the same id the API answers with, so a link can be built here without
the GraphQL layer.
"""

from __future__ import annotations

import base64
from uuid import UUID


def public_id(type_name: str, row_id: UUID) -> str:
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()
