"""Sessions, sign-in throttling and sign-out, through the real app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher

from models.accounts import Account
from models.sessions import Session
from services.clock import FrozenClock
from services.passwords import Passwords
from tests.conftest import GraphQLClient, http_client
from tests.flows import LOGOUT, ME, PASSWORD, bearer, codes_of, login_payload, sign_up

EMAIL = "li.wei@example.com"
STAGING = {"env": "staging", "smtp_host": "127.0.0.1", "sms_webhook_url": "http://127.0.0.1:9/"}


async def test_login_returns_a_session_that_me_accepts(app, gql) -> None:
    await sign_up(gql, app, EMAIL)
    payload = await login_payload(gql, "LI.Wei@example.com")

    assert payload["errors"] == []
    me = await gql(ME, **bearer(payload["session"]["token"]))
    assert me["data"]["me"]["email"] == EMAIL


async def test_me_is_null_without_a_session(gql) -> None:
    assert await gql(ME) == {"data": {"me": None}}
    assert await gql(ME, **bearer("not-a-token")) == {"data": {"me": None}}


async def test_wrong_password_and_unknown_email_get_the_same_answer(app, gql) -> None:
    await sign_up(gql, app, EMAIL)
    wrong_password = await login_payload(gql, EMAIL, "wrong-pass-1")
    unknown_email = await login_payload(gql, "nobody@example.com")

    assert wrong_password == unknown_email
    assert codes_of(wrong_password) == ["INVALID_CREDENTIALS"]


async def test_unknown_emails_are_checked_against_a_hash_too(app, gql, monkeypatch) -> None:
    await sign_up(gql, app, EMAIL)
    checked: list[str] = []
    original = Passwords._check

    def spy(self, stored: str, password: str) -> bool:
        checked.append(stored)
        return original(self, stored, password)

    monkeypatch.setattr(Passwords, "_check", spy)
    await login_payload(gql, EMAIL, "wrong-pass-1")
    await login_payload(gql, "nobody@example.com", "wrong-pass-1")

    assert len(checked) == 2
    assert all(h.startswith("$argon2id$v=19$m=19456,t=2,p=1$") for h in checked)


async def test_an_overlong_password_is_never_hashed(app, gql, monkeypatch) -> None:
    await sign_up(gql, app, EMAIL)
    calls: list[int] = []

    async def never(*args: object) -> bool:
        calls.append(1)
        return False

    monkeypatch.setattr(Passwords, "_check", never)

    payload = await login_payload(gql, EMAIL, "a1" * 5000)

    assert codes_of(payload) == ["INVALID_CREDENTIALS"]
    assert calls == []


def _about(wait: timedelta, seconds: float) -> bool:
    """Equal to the millisecond that retryAfter carries."""
    return abs(wait - timedelta(seconds=seconds)) <= timedelta(milliseconds=2)


async def test_failed_sign_ins_grow_a_delay_that_passes(app_factory) -> None:
    limits = {"login_free_failures_per_account": 2, "login_base_delay_s": 1}
    clock = FrozenClock(datetime.now(UTC))
    async with app_factory(clock=clock, **limits) as app:
        gql = GraphQLClient(http_client(app))
        await sign_up(gql, app, EMAIL)
        failures = [codes_of(await login_payload(gql, EMAIL, "wrong-pass-1")) for _ in range(3)]
        failed_at = clock.now()
        started = datetime.now(UTC)
        refused = await login_payload(gql, EMAIL)  # even the right password waits
        answered_in = datetime.now(UTC) - started
        clock.advance(seconds=0.9)
        still_refused = await login_payload(gql, EMAIL)
        clock.advance(seconds=0.2)
        recovered = await login_payload(gql, EMAIL)

    assert failures == [["INVALID_CREDENTIALS"]] * 3
    assert codes_of(refused) == codes_of(still_refused) == ["RATE_LIMITED"]
    retry_after = datetime.fromisoformat(refused["errors"][0]["retryAfter"])
    assert _about(retry_after - failed_at, seconds=1)  # 1 s after the 3rd failure
    assert answered_in < timedelta(seconds=1)  # answered, not slept on
    assert recovered["errors"] == []


async def test_the_delay_doubles_with_each_further_failure(app_factory) -> None:
    limits = {"login_free_failures_per_account": 1, "login_base_delay_s": 1}
    clock = FrozenClock(datetime.now(UTC))
    async with app_factory(clock=clock, **limits) as app:
        gql = GraphQLClient(http_client(app))
        await login_payload(gql, "nobody@example.com", "x")  # free
        failed_at = clock.now()
        await login_payload(gql, "nobody@example.com", "x")  # waits 1 s
        first = await login_payload(gql, "nobody@example.com", "x")
        clock.advance(seconds=1.1)
        failed_again_at = clock.now()
        await login_payload(gql, "nobody@example.com", "x")  # waits 2 s
        second = await login_payload(gql, "nobody@example.com", "x")

    assert codes_of(first) == codes_of(second) == ["RATE_LIMITED"]
    waits = [
        datetime.fromisoformat(payload["errors"][0]["retryAfter"]) - at
        for payload, at in ((first, failed_at), (second, failed_again_at))
    ]
    assert _about(waits[0], seconds=1)
    assert _about(waits[1], seconds=2)


async def test_failures_from_one_ip_are_throttled_across_emails(app_factory) -> None:
    limits = {"login_free_failures_per_ip": 3, "login_free_failures_per_account": 10}
    async with app_factory(**limits) as app:
        gql = GraphQLClient(http_client(app))
        answers = [
            codes_of(await login_payload(gql, f"guess{i}@example.com", "x")) for i in range(5)
        ]
        elsewhere = GraphQLClient(http_client(app, client_ip="192.0.2.77"))
        other_ip = await login_payload(elsewhere, "guess9@example.com", "x")

    assert answers[:3] == [["INVALID_CREDENTIALS"]] * 3
    assert answers[4] == ["RATE_LIMITED"]
    assert codes_of(other_ip) == ["INVALID_CREDENTIALS"]


async def test_an_older_hash_is_upgraded_at_the_next_login(app, gql) -> None:
    await sign_up(gql, app, EMAIL)
    weak = PasswordHasher(memory_cost=8192, time_cost=1, parallelism=1).hash(PASSWORD)
    await Account.filter(email=EMAIL).update(password_hash=weak)

    assert (await login_payload(gql, EMAIL))["errors"] == []

    upgraded = (await Account.get(email=EMAIL)).password_hash
    assert upgraded != weak
    assert upgraded.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


async def test_tokens_are_stored_only_as_hmacs(app, gql) -> None:
    token = await sign_up(gql, app, EMAIL)
    rows = await Session.all().values("token_mac")
    assert rows
    assert all(token not in row["token_mac"] for row in rows)


async def test_logout_revokes_the_session(app, gql) -> None:
    await sign_up(gql, app, EMAIL)
    token = (await login_payload(gql, EMAIL))["session"]["token"]

    out = await gql(LOGOUT, **bearer(token))

    assert out["data"]["logout"]["errors"] == []
    assert (await gql(ME, **bearer(token)))["data"]["me"] is None


async def test_a_session_expires(app_factory) -> None:
    clock = FrozenClock(datetime.now(UTC))
    async with app_factory(clock=clock) as app:
        gql = GraphQLClient(http_client(app))
        token = await sign_up(gql, app, EMAIL)
        assert (await gql(ME, **bearer(token)))["data"]["me"] is not None
        clock.advance(days=15)
        assert (await gql(ME, **bearer(token)))["data"]["me"] is None


async def test_the_cookie_signs_in_a_json_post_from_an_allowed_origin(app, client) -> None:
    gql = GraphQLClient(client)
    token = await sign_up(gql, app, EMAIL)
    cookie = {"cookie": f"onramp_session={token}"}

    same_site = await gql(ME, **cookie)
    allowed = await gql(ME, origin="https://app.example.test", **cookie)
    foreign = await gql(ME, origin="https://evil.test", **cookie)

    assert same_site["data"]["me"]["email"] == EMAIL
    assert allowed["data"]["me"]["email"] == EMAIL
    assert foreign["data"]["me"] is None


async def test_a_sign_in_from_a_foreign_origin_gets_no_cookie(app, client) -> None:
    gql = GraphQLClient(client)
    await sign_up(gql, app, EMAIL)
    query = """mutation($input: LoginInput!) { login(input: $input) { session { token } } }"""
    variables = {"input": {"email": EMAIL, "password": PASSWORD}}
    foreign = await gql.post(query, variables, origin="https://evil.test")
    allowed = await gql.post(query, variables, origin="https://app.example.test")
    assert foreign.json()["data"]["login"]["session"]["token"]
    assert "set-cookie" not in foreign.headers
    assert allowed.headers["set-cookie"].startswith("onramp_session=")


async def test_a_present_authorization_header_is_the_only_credential(app, client) -> None:
    gql = GraphQLClient(client)
    token = await sign_up(gql, app, EMAIL)
    both = await gql(ME, cookie=f"onramp_session={token}", **bearer("revoked-or-wrong"))
    assert both["data"]["me"] is None


async def test_the_cookie_is_not_accepted_without_a_json_body(app, client) -> None:
    token = await sign_up(GraphQLClient(client), app, EMAIL)
    response = await client.post(
        "/graphql",
        content=f'{{"query": "{ME}"}}',
        headers={"content-type": "text/plain", "cookie": f"onramp_session={token}"},
    )
    assert response.status_code != 200 or response.json()["data"]["me"] is None


async def test_outside_development_the_cookie_is_secure_and_host_prefixed(app_factory) -> None:
    async with app_factory(**STAGING) as app:
        # Outside development there is no outbox page to read a code from: make the account
        # as registration would.
        password_hash = await app.state.services.passwords.hash(PASSWORD)
        await Account.create(
            kind="HUAWEI_ID",
            email=EMAIL,
            email_display=EMAIL,
            region_code="DE",
            password_hash=password_hash,
        )
        gql = GraphQLClient(http_client(app))
        response = await gql.post(
            "mutation($input: LoginInput!) { login(input: $input) { errors { code } } }",
            {"input": {"email": EMAIL, "password": PASSWORD}},
        )
        failed = await gql.post(
            "mutation($input: LoginInput!) { login(input: $input) { errors { code } } }",
            {"input": {"email": EMAIL, "password": "wrong-pass-1"}},
        )
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-onramp_session=")
    for flag in ("Secure", "HttpOnly", "SameSite=lax", "Path=/"):
        assert flag in cookie
    assert "set-cookie" not in failed.headers
