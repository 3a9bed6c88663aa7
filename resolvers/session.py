"""The signed-in session of an operation, or the UNAUTHENTICATED error when there is none."""

from __future__ import annotations

from strawberry.types import Info

from models.accounts import Account
from models.sessions import Session
from resolvers.errors import unauthenticated


async def require_session(info: Info) -> Session:
    session: Session | None = await info.context.session()
    if session is None:
        raise unauthenticated()
    return session


async def require_account(info: Info) -> Account:
    return (await require_session(info)).account
