"""Staff members and the staff endpoint, as the API tests use them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pyotp

from models.staff import StaffRole
from services.clock import FrozenClock
from services.staff.audit import Actor
from tests.conftest import GraphQLClient, http_client

STAFF_PASSWORD = "staff-horse-7"
ERRORS = "errors { field code message retryAfter }"
SIGN_IN = f"""mutation($input: SignInInput!) {{ signIn(input: $input) {{
  staff {{ id email role }} session {{ token expiresAt }} {ERRORS} }} }}"""
SET_PASSWORD = f"""mutation($input: SetPasswordInput!) {{ setPassword(input: $input) {{
  staff {{ id passwordSet }} {ERRORS} }} }}"""
ME = "{ me { id email role } }"
# A moment in the middle of a 30-second TOTP step, so one step either side is unambiguous.
START = datetime(2026, 11, 26, 12, 0, 15, tzinfo=UTC)


class StaffClient(GraphQLClient):
    """Posts to /staff/graphql; `clock` is the app's, for tests that step it between calls."""

    clock: FrozenClock

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> httpx.Response:
        return await self.http.post(
            "/staff/graphql",
            json={"query": query, "variables": variables or {}},
            headers={**self.headers, **headers},
        )


@dataclass
class Member:
    email: str
    role: StaffRole
    totp: pyotp.TOTP
    setup_code: str | None
    staff_id: str = ""
    token: str = ""


def staff_client(app: Any, client_ip: str = "203.0.113.7") -> StaffClient:
    return StaffClient(http_client(app, client_ip=client_ip))


def code_at(member: Member, clock: FrozenClock, steps: int = 0) -> str:
    return member.totp.at(clock.now().timestamp() + 30 * steps)


async def enrol(app: Any, email: str, role: StaffRole) -> Member:
    """A member made as `onramp staff create` makes one (service and audit row alike)."""
    enrolment = await app.state.services.staff.create(email, role, Actor.command_line())
    return Member(
        email=email,
        role=role,
        totp=pyotp.parse_uri(enrolment.otpauth_url),
        setup_code=enrolment.setup_code,
    )


async def sign_in(client: StaffClient, member: Member, clock: FrozenClock, **fields: Any) -> dict:
    values = {"email": member.email, "password": STAFF_PASSWORD, "totpCode": code_at(member, clock)}
    return (await client(SIGN_IN, {"input": values | fields}))["data"]["signIn"]


async def signed_in_member(
    app: Any, clock: FrozenClock, email: str, role: StaffRole
) -> tuple[Member, StaffClient]:
    """Enrolled, password set, signed in: a client carrying the staff token."""
    member = await enrol(app, email, role)
    client = staff_client(app)
    body = await client(
        SET_PASSWORD,
        {
            "input": {
                "email": email,
                "setupCode": member.setup_code,
                "password": STAFF_PASSWORD,
                "totpCode": code_at(member, clock),
            }
        },
    )
    assert body["data"]["setPassword"]["errors"] == [], body
    clock.advance(seconds=30)  # the code of this step is spent
    payload = await sign_in(client, member, clock)
    assert payload["errors"] == [], payload
    member.staff_id, member.token = payload["staff"]["id"], payload["session"]["token"]
    client.headers = {"authorization": f"Bearer {member.token}"}
    client.clock = clock
    return member, client


async def sign_in_again(client: StaffClient, member: Member) -> None:
    """After the clock jumped past the 8-hour session: a fresh session for the same client."""
    payload = await sign_in(client, member, client.clock)
    assert payload["errors"] == [], payload
    member.token = payload["session"]["token"]
    client.headers = {"authorization": f"Bearer {member.token}"}
