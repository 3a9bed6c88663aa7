"""The language an operation answers in: every catalogued text a resolver returns is
written through here."""

from __future__ import annotations

from graphql import OperationType
from strawberry.types import Info

from services.i18n.text import Renderable


async def reader_locale(info: Info) -> str:
    """The locale of whoever reads this answer: the signed-in account's, else the request's
    Accept-Language. A query's session may come from the read cache, as `current_session`'s."""
    reading = info.operation.operation is OperationType.QUERY
    locale: str = await info.context.locale(for_reading=reading)
    return locale


async def written(info: Info, text: Renderable) -> str:
    """A catalogued text, written in the reader's language."""
    return text.render(await reader_locale(info))
