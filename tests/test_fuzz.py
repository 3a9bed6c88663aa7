"""Operations generated from the schemas (customers' and staff's), signed in and not: never a
5xx, never an unexpected error. Bounded in examples, so it runs in CI; the schema's own
validation rules apply."""

from __future__ import annotations

import asyncio
from typing import Any

from graphql import StringValueNode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import from_schema

from models.staff import StaffRole
from resolvers.schema import export_sdl
from resolvers.staff.schema import export_staff_sdl
from services.clock import FrozenClock
from tests.conftest import GraphQLClient, http_client
from tests.flows import bearer, ready_for_card
from tests.staff_flows import START, signed_in_member

EXAMPLES = 300

SCALARS = {
    "Date": st.dates().map(lambda day: StringValueNode(value=day.isoformat())),
    "DateTime": st.datetimes().map(lambda at: StringValueNode(value=at.isoformat() + "Z")),
    "Decimal": st.decimals(allow_nan=False, allow_infinity=False, places=2).map(
        lambda amount: StringValueNode(value=str(amount))
    ),
}
OPERATIONS = from_schema(export_sdl(), custom_scalars=SCALARS)


async def test_generated_operations_never_fail_unexpectedly(app_factory) -> None:
    async with app_factory(jobs=False) as app:
        client = GraphQLClient(http_client(app))
        token = await ready_for_card(client, app, "fuzz@example.com")
        await _fuzz(client, "/graphql", OPERATIONS, EXAMPLES, bearer(token))


STAFF_OPERATIONS = from_schema(export_staff_sdl(), custom_scalars=SCALARS)
STAFF_EXAMPLES = 150


async def test_generated_staff_operations_never_fail_unexpectedly(app_factory) -> None:
    """The staff schema the same way, as an admin (who may run every operation) or nobody."""
    clock = FrozenClock(START)
    async with app_factory(clock=clock, jobs=False) as app:
        _, admin = await signed_in_member(app, clock, "fuzz@onramp.example", StaffRole.ADMIN)
        # signOut would end the session the other examples use.
        await _fuzz(
            admin, "/staff/graphql", STAFF_OPERATIONS, STAFF_EXAMPLES, admin.headers, "signOut"
        )


async def _fuzz(
    client: GraphQLClient,
    endpoint: str,
    operations: Any,
    examples: int,
    credentials: dict[str, str],
    skipped: str | None = None,
) -> None:
    loop = asyncio.get_running_loop()

    async def send(operation: str, signed_in: bool) -> tuple[int, Any]:
        headers = credentials if signed_in else {}
        response = await client.http.post(endpoint, json={"query": operation}, headers=headers)
        return response.status_code, response.json() if response.status_code < 500 else None

    # Hypothesis drives examples from a worker thread; each request runs on this loop,
    # where the app lives.
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(operation=operations, signed_in=st.booleans())
    def check(operation: str, signed_in: bool) -> None:
        if skipped and skipped in operation:
            return
        status, body = asyncio.run_coroutine_threadsafe(send(operation, signed_in), loop).result(
            timeout=30
        )
        assert status < 500, operation
        for error in body.get("errors") or []:
            code = (error.get("extensions") or {}).get("code")
            assert code != "INTERNAL_SERVER_ERROR", (operation, error)

    await asyncio.to_thread(check)
