"""Which credential a request carries: the Authorization header, else the session cookie.

Customers and staff each have their own cookie and their own allowed origins
(`Credentials.customers`, `Credentials.staff`); the rules are the same for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from starlette.requests import HTTPConnection
from starlette.responses import Response

from api.settings import Settings


@dataclass(frozen=True)
class Credentials:
    """One side's cookie and the origins its cookie-carried requests may come from."""

    cookie_name: str
    origins: tuple[str, ...]
    secure: bool

    @classmethod
    def customers(cls, settings: Settings) -> Credentials:
        return cls(
            settings.session_cookie_name, tuple(settings.origins), not settings.is_development
        )

    @classmethod
    def staff(cls, settings: Settings) -> Credentials:
        return cls(
            settings.staff_session_cookie_name,
            tuple(settings.staff_origins),
            not settings.is_development,
        )


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def http_credential(request: HTTPConnection, credentials: Credentials) -> str | None:
    """The header when present (and then only it); else the cookie, where it may be trusted."""
    header = request.headers.get("authorization")
    if header is not None:
        return bearer_token(header)
    cookie = request.cookies.get(credentials.cookie_name)
    if not cookie:
        return None
    # A cookie rides along with any request a browser makes: accept it only on a POST with a
    # JSON body (a cross-site form cannot send one) and, with an Origin, from one we allow.
    if request.scope.get("method") != "POST":
        return None
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return None
    return cookie if origin_allowed(request, credentials) else None


def origin_allowed(request: HTTPConnection, credentials: Credentials) -> bool:
    """No Origin (not a browser's cross-origin call), or one of ours."""
    origin = request.headers.get("origin")
    return origin is None or origin.rstrip("/") in credentials.origins


class SessionCookie:
    """Sets and clears the session cookie on the response an operation is building.

    A sign-in from a page of another origin still gets its token in the body, but no
    cookie: a cookie set for such a page would ride along on its later requests.
    """

    def __init__(
        self, response: Response | None, credentials: Credentials, *, allowed: bool
    ) -> None:
        self.response = response
        self.credentials = credentials
        self.allowed = allowed

    def set(self, token: str, expires_at: datetime) -> None:
        if not self.allowed or self.response is None or not hasattr(self.response, "set_cookie"):
            return
        self.response.set_cookie(
            self.credentials.cookie_name,
            token,
            expires=expires_at,
            path="/",
            secure=self.credentials.secure,
            httponly=True,
            samesite="lax",
        )

    def clear(self) -> None:
        if self.response is None or not hasattr(self.response, "delete_cookie"):
            return
        self.response.delete_cookie(
            self.credentials.cookie_name,
            path="/",
            secure=self.credentials.secure,
            httponly=True,
            samesite="lax",
        )
