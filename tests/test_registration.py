"""Step 2: emailed codes and registration, through the real app."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from models.accounts import Account
from models.codes import VerificationCode
from services.clock import FrozenClock
from tests.conftest import GraphQLClient, http_client, latest_code, outbox
from tests.flows import (
    ME,
    REQUEST_RESET,
    bearer,
    codes_of,
    register_payload,
    send_code,
    sign_up,
)

EMAIL = "ana.silva@example.com"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def test_a_code_is_emailed_alone_on_its_line(app, gql) -> None:
    before = datetime.now(UTC)
    sent = await send_code(gql, EMAIL)

    assert sent["errors"] == []
    assert timedelta(minutes=9) < _at(sent["expiresAt"]) - before <= timedelta(minutes=11)
    assert timedelta(seconds=50) < _at(sent["resendAvailableAt"]) - before <= timedelta(seconds=61)
    [message] = await outbox(app)
    assert message["kind"] == "registration-code"
    assert message["recipient"] == EMAIL
    code = await latest_code(app, EMAIL)
    assert len(code) == 6
    assert code.isdigit()


async def test_a_malformed_address_is_refused_and_nothing_is_sent(app, gql) -> None:
    sent = await send_code(gql, "ana@@example")
    assert codes_of(sent) == ["INVALID_EMAIL"]
    assert sent["errors"][0]["field"] == "email"
    assert await outbox(app) == []


async def test_an_address_with_an_account_gets_the_same_answer_and_a_notice(app_factory) -> None:
    async with app_factory(limit_codes_per_destination="10/minute") as app:
        gql = GraphQLClient(http_client(app))
        await sign_up(gql, app, EMAIL)
        fresh = await send_code(gql, "someone.else@example.com")
        again = await send_code(gql, EMAIL.upper())
        messages = await outbox(app)

    assert again["errors"] == []
    assert set(again) == set(fresh)
    assert again["expiresAt"] is not None
    newest = messages[0]
    assert newest["kind"] == "account-exists"
    assert "sign in" in newest["body"].lower()
    assert not any(line.strip().isdigit() for line in newest["body"].splitlines())


async def test_a_second_code_within_a_minute_is_rate_limited(app, gql) -> None:
    first = await send_code(gql, EMAIL)
    second = await send_code(gql, EMAIL)

    assert codes_of(second) == ["RATE_LIMITED"]
    retry_after = _at(second["errors"][0]["retryAfter"])
    assert abs(retry_after - _at(first["resendAvailableAt"])) < timedelta(seconds=2)
    assert len(await outbox(app)) == 1


async def test_the_hourly_cap_per_address_holds_for_accounts_too(app_factory) -> None:
    async with app_factory(limit_codes_per_destination="100/minute;5/hour") as app:
        gql = GraphQLClient(http_client(app))
        await sign_up(gql, app, EMAIL)  # one code spent on registering
        answers = [await send_code(gql, EMAIL) for _ in range(5)]
    assert [codes_of(a) for a in answers] == [[], [], [], [], ["RATE_LIMITED"]]


async def test_codes_from_one_client_ip_are_capped(app_factory) -> None:
    async with app_factory(limit_codes_per_ip="3/hour") as app:
        gql = GraphQLClient(http_client(app))
        answers = [await send_code(gql, f"person{i}@example.com") for i in range(4)]
        other_ip = GraphQLClient(http_client(app, client_ip="192.0.2.99"))
        elsewhere = await send_code(other_ip, "person9@example.com")
    assert [codes_of(a) for a in answers] == [[], [], [], ["RATE_LIMITED"]]
    assert answers[3]["errors"][0]["retryAfter"]
    assert elsewhere["errors"] == []


async def test_register_creates_the_account_and_signs_in(app, gql) -> None:
    await send_code(gql, EMAIL)
    payload = await register_payload(gql, EMAIL, await latest_code(app, EMAIL), region="JP")

    assert payload["errors"] == []
    assert payload["account"]["email"] == EMAIL
    assert payload["account"]["kind"] == "HUAWEI_ID"
    assert payload["account"]["region"] == {"code": "JP", "currency": "JPY"}
    me = await gql(ME, **bearer(payload["session"]["token"]))
    assert me["data"]["me"]["id"] == payload["account"]["id"]
    account = await Account.get(email=EMAIL)
    assert account.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


async def test_register_sets_the_session_cookie(app, client) -> None:
    gql = GraphQLClient(client)
    await send_code(gql, EMAIL)
    response = await gql.post(
        """mutation($input: RegisterInput!) { register(input: $input) { errors { code } } }""",
        {
            "input": {
                "regionCode": "DE",
                "email": EMAIL,
                "emailCode": await latest_code(app, EMAIL),
                "password": "abcdefg1",
            }
        },
    )
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("onramp_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # development


async def test_register_reports_every_problem_at_once_and_changes_nothing(app, gql) -> None:
    await send_code(gql, EMAIL)
    code = await latest_code(app, EMAIL)
    wrong = "000000" if code != "000000" else "111111"

    payload = await register_payload(gql, EMAIL, wrong, region="XX", password="short")

    assert payload["session"] is None
    # The code is tried only on an otherwise acceptable form: it is not judged here.
    assert {(e["field"], e["code"]) for e in payload["errors"]} == {
        ("regionCode", "UNKNOWN_REGION"),
        ("password", "PASSWORD_POLICY"),
    }
    assert not await Account.exists(email=EMAIL)
    assert codes_of(await register_payload(gql, EMAIL, wrong)) == ["CODE_INVALID"]
    # A right code with a bad password is not spent: the person fixes the password and goes on.
    again = await register_payload(gql, EMAIL, code, password="no digits here")
    assert codes_of(again) == ["PASSWORD_POLICY"]
    assert (await register_payload(gql, EMAIL, code))["errors"] == []


async def test_password_policy_rules(app, gql) -> None:
    await send_code(gql, EMAIL)
    code = await latest_code(app, EMAIL)
    for password in ("abc1", "abcdefgh", "12345678", "abcd 1234", "a1" * 65):
        payload = await register_payload(gql, EMAIL, code, password=password)
        assert codes_of(payload) == ["PASSWORD_POLICY"], password


async def test_an_expired_code_is_refused(app_factory) -> None:
    clock = FrozenClock(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    async with app_factory(clock=clock) as app:
        gql = GraphQLClient(http_client(app))
        await send_code(gql, EMAIL)
        code = await latest_code(app, EMAIL)
        clock.advance(minutes=10, seconds=1)
        payload = await register_payload(gql, EMAIL, code)
    assert codes_of(payload) == ["CODE_EXPIRED"]


async def test_a_code_allows_five_tries(app, gql) -> None:
    await send_code(gql, EMAIL)
    code = await latest_code(app, EMAIL)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    tries = [codes_of(await register_payload(gql, EMAIL, wrong)) for _ in range(5)]
    last = await register_payload(gql, EMAIL, code)

    assert tries == [["CODE_INVALID"]] * 5
    assert codes_of(last) == ["CODE_ATTEMPTS_EXCEEDED"]


async def test_a_refused_register_still_used_up_its_try(app, gql) -> None:
    await send_code(gql, EMAIL)
    code = await latest_code(app, EMAIL)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    refused = await register_payload(gql, EMAIL, wrong)

    assert codes_of(refused) == ["CODE_INVALID"]
    # The refusal raised after the try was counted, and the count stayed.
    assert await VerificationCode.get().values_list("attempts", flat=True) == 1


async def test_a_password_that_breaks_the_policy_spends_no_try(app, gql) -> None:
    await send_code(gql, EMAIL)
    code = await latest_code(app, EMAIL)
    for _ in range(6):  # more than the five tries a code has
        assert codes_of(await register_payload(gql, EMAIL, code, password="short")) == [
            "PASSWORD_POLICY"
        ]
    row = await VerificationCode.get()
    assert (row.attempts, row.consumed_at) == (0, None)
    assert (await register_payload(gql, EMAIL, code))["errors"] == []


async def test_a_code_works_once_and_only_for_its_kind(app, gql) -> None:
    await send_code(gql, EMAIL)
    code = await latest_code(app, EMAIL)

    other_kind = await register_payload(gql, EMAIL, code, kind="HUAWEI_CLOUD")
    first = await register_payload(gql, EMAIL, code)
    second = await register_payload(gql, EMAIL, code)

    assert codes_of(other_kind) == ["CODE_INVALID"]
    assert first["errors"] == []
    assert codes_of(second) == ["CODE_INVALID"]


async def test_a_resend_invalidates_the_older_code(app_factory) -> None:
    async with app_factory(limit_codes_per_destination="10/minute") as app:
        gql = GraphQLClient(http_client(app))
        await send_code(gql, EMAIL)
        old = await latest_code(app, EMAIL)
        await send_code(gql, EMAIL)
        new = await latest_code(app, EMAIL)
        stale = await register_payload(gql, EMAIL, old) if old != new else None
        fresh = await register_payload(gql, EMAIL, new)
    if stale is not None:
        assert codes_of(stale) == ["CODE_INVALID"]
    assert fresh["errors"] == []


async def test_a_registration_code_does_not_reset_a_password(app_factory) -> None:
    async with app_factory(limit_codes_per_destination="10/minute") as app:
        gql = GraphQLClient(http_client(app))
        await sign_up(gql, app, EMAIL, kind="HUAWEI_CLOUD")
        await send_code(gql, EMAIL)  # HUAWEI_ID: a fresh registration code
        code = await latest_code(app, EMAIL)
        reset = await gql(
            """mutation($input: ResetPasswordInput!) { resetPassword(input: $input) {
              errors { code } } }""",
            {
                "input": {
                    "email": EMAIL,
                    "kind": "HUAWEI_CLOUD",
                    "code": code,
                    "newPassword": "new-pass-1",
                }
            },
        )
    assert [e["code"] for e in reset["data"]["resetPassword"]["errors"]] == ["CODE_INVALID"]


async def test_one_email_holds_one_account_of_each_kind(app_factory) -> None:
    async with app_factory(limit_codes_per_destination="10/minute") as app:
        gql = GraphQLClient(http_client(app))
        await sign_up(gql, app, EMAIL, kind="HUAWEI_ID")
        await sign_up(gql, app, "Ana.Silva@Example.com", kind="HUAWEI_CLOUD")
        kinds = sorted(await Account.filter(email=EMAIL).values_list("kind", flat=True))
    assert kinds == ["HUAWEI_CLOUD", "HUAWEI_ID"]


async def test_concurrent_registrations_with_one_code_create_one_account(app, gql) -> None:
    await send_code(gql, EMAIL)
    code = await latest_code(app, EMAIL)

    payloads = await asyncio.gather(*(register_payload(gql, EMAIL, code) for _ in range(50)))

    succeeded = [p for p in payloads if not p["errors"]]
    assert len(succeeded) == 1
    # Each caller spends one of the code's five tries; after them, the code is dead.
    refused = {p["errors"][0]["code"] for p in payloads if p["errors"]}
    assert refused <= {"CODE_INVALID", "CODE_ATTEMPTS_EXCEEDED"}
    assert await Account.filter(email=EMAIL).count() == 1


async def test_logs_name_kind_and_recipient_but_never_a_code(app, gql, caplog) -> None:
    caplog.set_level(logging.INFO)  # what the server logs; SQL debug lines stay off
    await send_code(gql, EMAIL)
    code = await latest_code(app, EMAIL)
    await gql(REQUEST_RESET, {"input": {"email": EMAIL}})

    lines = [record.getMessage() for record in caplog.records]
    assert any("registration-code" in line and EMAIL in line for line in lines)
    assert not any(code in line for line in lines)
