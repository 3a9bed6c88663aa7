"""Password reset by emailed code: reveals nothing, revokes every session."""

from __future__ import annotations

import pytest

from tests.conftest import GraphQLClient, http_client, latest_code, outbox
from tests.flows import (
    ME,
    REQUEST_RESET,
    RESET,
    bearer,
    codes_of,
    login_payload,
    sign_up,
)

EMAIL = "maria.garcia@example.com"
NEW_PASSWORD = "brand-new-2"


async def _request(gql: GraphQLClient, email: str, **extra: str) -> dict:
    body = await gql(REQUEST_RESET, {"input": {"email": email, **extra}})
    return body["data"]["requestPasswordReset"]


async def _reset(gql: GraphQLClient, email: str, code: str, password: str = NEW_PASSWORD) -> dict:
    body = await gql(RESET, {"input": {"email": email, "code": code, "newPassword": password}})
    return body["data"]["resetPassword"]


async def test_reset_by_email_code_changes_the_password_and_ends_every_session(
    app_factory,
) -> None:
    async with app_factory(limit_codes_per_destination="10/minute") as app:
        gql = GraphQLClient(http_client(app))
        first = await sign_up(gql, app, EMAIL)
        second = (await login_payload(gql, EMAIL))["session"]["token"]

        requested = await _request(gql, EMAIL)
        code = await latest_code(app, EMAIL)
        reset = await _reset(gql, EMAIL, code)

        assert requested["errors"] == []
        assert reset["errors"] == []
        for token in (first, second):
            assert (await gql(ME, **bearer(token)))["data"]["me"] is None
        assert codes_of(await login_payload(gql, EMAIL)) == ["INVALID_CREDENTIALS"]
        assert (await login_payload(gql, EMAIL, NEW_PASSWORD))["errors"] == []
        assert (await outbox(app))[0]["kind"] == "password-changed"
        assert codes_of(await _reset(gql, EMAIL, code, "another-3")) == ["CODE_INVALID"]


@pytest.fixture
async def relaxed(app_factory):
    """An app whose per-address cap lets one address get several codes a minute."""
    async with app_factory(limit_codes_per_destination="10/minute") as app:
        yield app, GraphQLClient(http_client(app))


async def test_the_answer_is_the_same_whether_or_not_the_account_exists(relaxed) -> None:
    app, gql = relaxed
    await sign_up(gql, app, EMAIL)
    sent_before = len(await outbox(app))

    known = await _request(gql, EMAIL)
    unknown = await _request(gql, "nobody@example.com")
    by_phone = await _request(gql, "other@example.com", channel="SECURITY_PHONE")

    assert known["errors"] == unknown["errors"] == by_phone["errors"] == []
    assert set(known) == set(unknown) == set(by_phone)
    assert all(p["expiresAt"] and p["resendAvailableAt"] for p in (known, unknown, by_phone))
    messages = await outbox(app)
    assert len(messages) == sent_before + 1
    assert messages[0]["kind"] == "password-reset-code"
    assert messages[0]["recipient"] == EMAIL


async def test_reset_requests_share_the_caps_of_every_code(app, gql) -> None:
    await _request(gql, "nobody@example.com")
    again = await _request(gql, "nobody@example.com")
    assert codes_of(again) == ["RATE_LIMITED"]


async def test_a_reset_checks_the_code_and_the_new_password(relaxed) -> None:
    app, gql = relaxed
    await sign_up(gql, app, EMAIL)
    await _request(gql, EMAIL)
    code = await latest_code(app, EMAIL)

    weak = await _reset(gql, EMAIL, code, "short")
    unknown = await _reset(gql, "nobody@example.com", code)
    wrong_kind = await gql(
        RESET,
        {
            "input": {
                "email": EMAIL,
                "kind": "HUAWEI_CLOUD",
                "code": code,
                "newPassword": NEW_PASSWORD,
            }
        },
    )

    assert {(e["field"], e["code"]) for e in weak["errors"]} == {("newPassword", "PASSWORD_POLICY")}
    assert codes_of(unknown) == ["CODE_INVALID"]
    assert codes_of(wrong_kind["data"]["resetPassword"]) == ["CODE_INVALID"]
    assert (await _reset(gql, EMAIL, code))["errors"] == []
