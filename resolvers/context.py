"""What a resolver may know of the request it serves; built by api/ for every operation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RequestContext:
    request: Any
    response: Any
    request_id: str
    client_ip: str
    user_agent: str
    frontend_url: str
    extra: dict[str, Any] = field(default_factory=dict)
