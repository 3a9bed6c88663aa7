"""The language an operation answers in: every catalogued text a resolver returns is
written through here."""

from __future__ import annotations

import logging
from typing import Any

from graphql import OperationType
from strawberry.types import Info

from services.i18n.locales import DEFAULT
from services.i18n.text import Renderable

log = logging.getLogger("onramp.graphql")


async def reader_locale(info: Info) -> str:
    """The locale of whoever reads this answer: the signed-in account's, else the request's
    Accept-Language. A query's session may come from the read cache, as `current_session`'s."""
    reading = info.operation.operation is OperationType.QUERY
    locale: str = await info.context.locale(for_reading=reading)
    return locale


async def context_locale(context: Any) -> str:
    """The same reader's locale, for an error of the whole request or operation, where no
    field says what kind of operation it is: the session is read as a query reads it, since a
    language decides nothing. The staff API's context answers in English.

    The error being answered may be the database's own: when the session cannot be read,
    the error is still answered, in English, rather than replaced by this failure."""
    try:
        locale: str = await context.locale(for_reading=True)
    except Exception:
        log.warning("the reader's language could not be read: answering in English", exc_info=True)
        return DEFAULT
    return locale


async def written(info: Info, text: Renderable) -> str:
    """A catalogued text, written in the reader's language."""
    return text.render(await reader_locale(info))
