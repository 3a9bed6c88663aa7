"""The rules a binding is checked against: brands, origins, time limits and caps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from gateways.port import Brand
from services.i18n.text import tr
from services.problems import ProblemCode, Refused

FAILURE_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class BindingRules:
    accepted_brands: frozenset[Brand]
    allowed_origins: tuple[str, ...]
    action_timeout: timedelta
    failures_per_account: int = 10
    failures_per_client_ip: int = 30


def check_return_url(url: str | None, allowed_origins: tuple[str, ...]) -> None:
    if url is not None and not _allowed_return_url(url, allowed_origins):
        raise Refused.because(
            ProblemCode.RETURN_URL_NOT_ALLOWED,
            tr("The bank page may only send the browser back to this site."),
            "returnUrl",
        )


def _allowed_return_url(url: str, allowed_origins: tuple[str, ...]) -> bool:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    if (
        parts.scheme not in ("http", "https")
        or parts.username
        or parts.password
        or not parts.hostname
    ):
        return False
    default_port = {"http": 80, "https": 443}[parts.scheme]
    origin = f"{parts.scheme}://{parts.hostname}" + (
        f":{port}" if port and port != default_port else ""
    )
    return origin in allowed_origins and len(url) <= 500
