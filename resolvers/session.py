"""The signed-in session of an operation, or the UNAUTHENTICATED error when there is none."""

from __future__ import annotations

from graphql import OperationType
from strawberry.types import Info

from models.accounts import Account
from models.sessions import Session
from resolvers.errors import unauthenticated


async def current_session(info: Info) -> Session | None:
    """The operation's session, or None. A query's may come from the process's read cache;
    a mutation's or a subscription's is read afresh."""
    reading = info.operation.operation is OperationType.QUERY
    session: Session | None = await info.context.session(for_reading=reading)
    return session


async def require_session(info: Info) -> Session:
    session = await current_session(info)
    if session is None:
        # No session: the request's own language (Accept-Language), with no second look-up.
        raise unauthenticated(info.context.requested_locale)
    return session


async def require_account(info: Info) -> Account:
    return (await require_session(info)).account


def session_locale(info: Info, session: Session) -> str:
    """The language a session's answers are in: its account's (as `Context.locale` picks it),
    for a subscription to keep without keeping the session's rows."""
    found: str | None = info.context.services.languages.find(session.account.locale)
    return found or info.context.requested_locale
