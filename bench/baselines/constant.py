"""Baseline: Strawberry answering the progress query's shape with constants.

The same field shape (`onboarding { steps { key status } nextStep blocked continueUrl }` and
`me { email region { code } }`), the same enums, Onramp's schema class and its extensions and
caches (`resolvers.schema._extensions()`), served by Strawberry's ASGI app on `/graphql`. The
two root fields are async, as Onramp's are; they read nothing.
"""

from __future__ import annotations

import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry.asgi import GraphQL

from resolvers.account import StepStatus
from resolvers.enums import OnboardingStepKey
from resolvers.schema import OnrampSchema, _extensions


@strawberry.type
class Step:
    key: OnboardingStepKey
    status: StepStatus


@strawberry.type
class Onboarding:
    steps: list[Step]
    next_step: OnboardingStepKey | None
    blocked: bool
    continue_url: str | None


@strawberry.type
class Region:
    code: str


@strawberry.type
class Me:
    email: str
    region: Region


def _steps() -> list[Step]:
    done, pending = StepStatus.COMPLETED, StepStatus.PENDING
    keys = list(OnboardingStepKey)
    return [Step(key=key, status=done if i < 2 else pending) for i, key in enumerate(keys)]


@strawberry.type
class Query:
    @strawberry.field
    async def onboarding(self) -> Onboarding:
        return Onboarding(
            steps=_steps(),
            next_step=list(OnboardingStepKey)[2],
            blocked=False,
            continue_url="http://127.0.0.1:8000/onboarding/enable-cloud",
        )

    @strawberry.field
    async def me(self) -> Me:
        return Me(email="bench.person@example.com", region=Region(code="DE"))


schema = OnrampSchema(query=Query, extensions=_extensions())


async def healthz(request: Request) -> Response:
    return Response("ok")


app = Starlette(
    routes=[
        Route("/graphql", GraphQL(schema, graphql_ide=None, allow_queries_via_get=False)),
        Route("/healthz", healthz, methods=["GET"]),
    ]
)
