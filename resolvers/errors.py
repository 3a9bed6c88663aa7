"""The UserError payload entry and its codes: expected failures are data, never exceptions.

Services refuse by raising `Refused`; `payload_mutation` is the one place that turns a
refusal into the payload's `errors`, so a resolver only ever builds the successful payload.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import FieldExtension
from strawberry.types.field import StrawberryField

from resolvers.enums import ErrorCode
from resolvers.locale import reader_locale
from resolvers.text_inputs import check_text_arguments
from services.i18n.locales import DEFAULT
from services.i18n.text import tr
from services.problems import Problem, Refused


@strawberry.type
class UserError:
    field: str | None = strawberry.field(
        description=(
            "Dotted path of the input field at fault (camelCase), or null for the whole input."
        )
    )
    code: ErrorCode
    message: str = strawberry.field(
        description="A sentence fit to show to the person filling in the form."
    )
    retry_after: datetime | None = strawberry.field(
        default=None,
        description="With RATE_LIMITED: the earliest moment the same call may succeed.",
    )


def user_errors(problems: Iterable[Problem], locale: str) -> list[UserError]:
    """The problems, their messages written in `locale` (their codes never change)."""
    return [
        UserError(
            field=p.field, code=p.code, message=p.message.render(locale), retry_after=p.retry_after
        )
        for p in problems
    ]


class RefusalsAsErrors(FieldExtension):
    """Answers a service's refusal with the field's payload type, carrying its problems.

    Every text argument is checked first (`resolvers/text_inputs.py`): nothing runs on
    input with control or text-direction characters. After the mutation, the context
    announces what it changed (`after_mutation`: the read cache).
    """

    payload: Callable[..., Any]

    def apply(self, field: StrawberryField) -> None:
        payload = field.type
        if not callable(payload):
            raise TypeError(f"{field.python_name} must return a payload type")
        self.payload = payload

    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Any, **kwargs: Any
    ) -> Any:
        try:
            check_text_arguments(kwargs, info.schema.config.name_converter)
            return await next_(source, info, **kwargs)
        except Refused as refused:
            counted = info.context.services.metrics.graphql_errors
            for problem in refused.problems:
                counted.labels(problem.code.value, "payload").inc()
            return self.payload(errors=user_errors(refused.problems, await reader_locale(info)))
        finally:
            await info.context.after_mutation()


def payload_mutation(*, description: str | None = None) -> Any:
    """`strawberry.mutation` for a field whose payload has `errors`: every mutation here."""
    return strawberry.mutation(description=description, extensions=[RefusalsAsErrors()])


UNAUTHENTICATED = "UNAUTHENTICATED"


def unauthenticated(locale: str = DEFAULT) -> GraphQLError:
    """The top-level error of a field that needs a session, asked without one: its message in
    `locale` (the request's language; the staff API's stays English), its code unchanged."""
    return GraphQLError(
        tr("Sign in to see this.").render(locale), extensions={"code": UNAUTHENTICATED}
    )
