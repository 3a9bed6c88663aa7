"""The UserError payload entry and its codes: expected failures are data, never exceptions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from graphql import GraphQLError

from services.problems import Problem, ProblemCode

ErrorCode = strawberry.enum(ProblemCode, name="ErrorCode")


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


def user_errors(problems: Iterable[Problem]) -> list[UserError]:
    return [
        UserError(field=p.field, code=p.code, message=p.message, retry_after=p.retry_after)
        for p in problems
    ]


UNAUTHENTICATED = "UNAUTHENTICATED"


def unauthenticated() -> GraphQLError:
    """The top-level error of a field that needs a session, asked without one."""
    return GraphQLError("Sign in to see this.", extensions={"code": UNAUTHENTICATED})
