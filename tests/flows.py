"""GraphQL documents and the steps a person takes, shared by the API tests."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQLClient, latest_code

ERRORS = "errors { field code message retryAfter }"
SEND_CODE = f"""mutation($input: SendRegistrationCodeInput!) {{
  sendRegistrationCode(input: $input) {{ expiresAt resendAvailableAt {ERRORS} }} }}"""
REGISTER = f"""mutation($input: RegisterInput!) {{
  register(input: $input) {{
    account {{ id kind email createdAt region {{ code currency }} }}
    session {{ token expiresAt }} {ERRORS} }} }}"""
LOGIN = f"""mutation($input: LoginInput!) {{
  login(input: $input) {{
    account {{ id email kind }} session {{ token expiresAt }} {ERRORS} }} }}"""
LOGOUT = f"mutation {{ logout {{ {ERRORS} }} }}"
ME = "{ me { id email kind region { code } } }"
REQUEST_RESET = f"""mutation($input: RequestPasswordResetInput!) {{
  requestPasswordReset(input: $input) {{ expiresAt resendAvailableAt {ERRORS} }} }}"""
RESET = f"""mutation($input: ResetPasswordInput!) {{
  resetPassword(input: $input) {{ {ERRORS} }} }}"""

PASSWORD = "correct-horse-9"


async def send_code(gql: GraphQLClient, email: str, kind: str = "HUAWEI_ID") -> dict[str, Any]:
    body = await gql(SEND_CODE, {"input": {"email": email, "kind": kind}})
    return body["data"]["sendRegistrationCode"]


async def register_payload(
    gql: GraphQLClient,
    email: str,
    code: str,
    *,
    kind: str = "HUAWEI_ID",
    region: str = "DE",
    password: str = PASSWORD,
) -> dict[str, Any]:
    variables = {
        "input": {
            "kind": kind,
            "regionCode": region,
            "email": email,
            "emailCode": code,
            "password": password,
        }
    }
    return (await gql(REGISTER, variables))["data"]["register"]


async def sign_up(
    gql: GraphQLClient, app: Any, email: str, *, kind: str = "HUAWEI_ID", region: str = "DE"
) -> str:
    """Registers an account the way the frontend does; returns its session token."""
    sent = await send_code(gql, email, kind)
    assert sent["errors"] == []
    payload = await register_payload(
        gql, email, await latest_code(app, email), kind=kind, region=region
    )
    assert payload["errors"] == [], payload["errors"]
    return payload["session"]["token"]


async def login_payload(
    gql: GraphQLClient, email: str, password: str = PASSWORD, kind: str = "HUAWEI_ID", **headers
) -> dict[str, Any]:
    variables = {"input": {"email": email, "password": password, "kind": kind}}
    return (await gql(LOGIN, variables, **headers))["data"]["login"]


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def codes_of(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]
