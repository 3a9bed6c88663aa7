"""Staff sign-in: a password and a TOTP second factor, sessions of their own (8 hours, own
cookie, own origins), the same throttling as customers, and nothing shared with customers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.exceptions import InvalidTag

from models.staff import StaffMember, StaffRole
from services.clock import FrozenClock
from services.keys import Purpose
from services.staff.audit import Actor
from tests.conftest import GraphQLClient, http_client
from tests.flows import ME as CUSTOMER_ME
from tests.flows import bearer, sign_up
from tests.staff_flows import (
    ME,
    SET_PASSWORD,
    STAFF_PASSWORD,
    START,
    code_at,
    enrol,
    sign_in,
    signed_in_member,
    staff_client,
)

EMAIL = "sam.support@onramp.example"
STAGING = {
    "env": "staging",
    "smtp_host": "smtp.example.test",
    "sms_webhook_url": "https://sms.example.test/send",
}


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
async def staff_app(app_factory, clock):
    async with app_factory(clock=clock, jobs=False) as app:
        yield app


def _codes(payload: dict) -> list[tuple[str | None, str]]:
    return [(e["field"], e["code"]) for e in payload["errors"]]


async def test_a_member_sets_a_password_with_the_setup_code_and_signs_in(staff_app, clock):
    member, client = await signed_in_member(staff_app, clock, EMAIL, StaffRole.SUPPORT)
    me = (await client(ME))["data"]["me"]
    row = await StaffMember.get(email=EMAIL)

    assert me == {"id": member.staff_id, "email": EMAIL, "role": "SUPPORT"}
    # Neither the setup code nor the TOTP secret is stored in clear.
    assert row.setup_code_mac is None
    assert member.totp.secret not in row.totp_secret_sealed
    keys = staff_app.state.services.keys
    assert keys.unseal(Purpose.STAFF_TOTP, row.totp_secret_sealed, str(row.id)) == (
        member.totp.secret
    )
    with pytest.raises(InvalidTag):  # sealed to its own row
        keys.unseal(Purpose.STAFF_TOTP, row.totp_secret_sealed, "another-row")


async def test_the_setup_code_works_once_and_expires(staff_app, clock):
    member = await enrol(staff_app, EMAIL, StaffRole.SUPPORT)
    late = await enrol(staff_app, "late@onramp.example", StaffRole.SUPPORT)
    client = staff_client(staff_app)

    async def set_password(who, code, steps=0, password=STAFF_PASSWORD):
        values = {
            "email": who.email,
            "setupCode": code,
            "password": password,
            "totpCode": code_at(who, clock, steps),
        }
        return (await client(SET_PASSWORD, {"input": values}))["data"]["setPassword"]

    wrong = await set_password(member, "AAAAA-BBBBB-CCCCC-DDDDD")
    weak = await set_password(member, member.setup_code, password="short")
    # Read out loud, typed in lower case with spaces: the same code.
    first = await set_password(member, member.setup_code.lower().replace("-", " "))
    again = await set_password(member, member.setup_code, steps=1)
    clock.advance(hours=73)
    expired = await set_password(late, late.setup_code)

    assert _codes(wrong) == [("setupCode", "CODE_INVALID")]
    assert _codes(weak) == [("password", "PASSWORD_POLICY")]
    assert first["errors"] == []
    assert first["staff"]["passwordSet"] is True
    assert _codes(again) == [("setupCode", "CODE_INVALID")]
    assert _codes(expired) == [("setupCode", "CODE_EXPIRED")]


async def test_totp_wrong_reused_and_one_step_of_skew(staff_app, clock):
    member, client = await signed_in_member(staff_app, clock, EMAIL, StaffRole.SUPPORT)
    clock.advance(seconds=10)  # still the step whose code signed in
    reused = await sign_in(client, member, clock)
    wrong = await sign_in(
        client,
        member,
        clock,
        totpCode="000000" if code_at(member, clock, 1) != "000000" else "111111",
    )
    clock.advance(seconds=60)
    behind = await sign_in(client, member, clock, totpCode=code_at(member, clock, -1))
    ahead = await sign_in(client, member, clock, totpCode=code_at(member, clock, 1))
    same_again = await sign_in(client, member, clock, totpCode=code_at(member, clock, 1))
    clock.advance(seconds=120)
    too_far = await sign_in(client, member, clock, totpCode=code_at(member, clock, -2))
    clock.advance(seconds=60)
    letters = await sign_in(client, member, clock, totpCode="12a456")
    now = await sign_in(client, member, clock)

    for refused in (reused, wrong, same_again, too_far, letters):
        assert _codes(refused) == [(None, "INVALID_CREDENTIALS")], refused
        assert refused["session"] is None
    for accepted in (behind, ahead, now):
        assert accepted["errors"] == [], accepted


async def test_a_right_code_with_a_wrong_password_is_refused_and_not_spent(staff_app, clock):
    member, client = await signed_in_member(staff_app, clock, EMAIL, StaffRole.SUPPORT)
    clock.advance(seconds=30)
    wrong_password = await sign_in(client, member, clock, password="not-the-password-1")
    right = await sign_in(client, member, clock)
    assert _codes(wrong_password) == [(None, "INVALID_CREDENTIALS")]
    assert right["errors"] == []


async def test_the_second_factor_is_required_outside_development(app_factory, clock):
    for env, expected in ((STAGING, [("totpCode", "INVALID_INPUT")]), ({}, [])):
        async with app_factory(clock=clock, jobs=False, **env) as app:
            member, client = await signed_in_member(app, clock, EMAIL, StaffRole.SUPPORT)
            clock.advance(seconds=30)
            without = await sign_in(client, member, clock, totpCode=None)
            assert _codes(without) == expected, env


async def test_staff_sessions_last_eight_hours_and_have_their_own_cookie(staff_app, clock):
    member, client = await signed_in_member(staff_app, clock, EMAIL, StaffRole.SUPPORT)
    clock.advance(seconds=30)
    browser = staff_client(staff_app)
    response = await browser.post(
        """mutation($input: SignInInput!) { signIn(input: $input) { session { expiresAt } } }""",
        {
            "input": {
                "email": EMAIL,
                "password": STAFF_PASSWORD,
                "totpCode": code_at(member, clock),
            }
        },
    )
    cookie = response.headers["set-cookie"]
    by_cookie = (await browser(ME))["data"]["me"]
    clock.advance(hours=8, seconds=1)
    expired = (await client(ME))["data"]["me"]

    assert cookie.startswith("onramp_staff_session=")
    assert "httponly" in cookie.lower()
    assert response.json()["data"]["signIn"]["session"]["expiresAt"].startswith("2026-11-26T20:0")
    assert by_cookie["email"] == EMAIL
    assert expired is None


async def test_outside_development_the_staff_cookie_is_secure_and_host_bound(app_factory, clock):
    async with app_factory(clock=clock, jobs=False, **STAGING) as app:
        member, _ = await signed_in_member(app, clock, EMAIL, StaffRole.SUPPORT)
        clock.advance(seconds=30)
        browser = staff_client(app)
        response = await browser.post(
            "mutation($input: SignInInput!) { signIn(input: $input) { errors { code } } }",
            {
                "input": {
                    "email": EMAIL,
                    "password": STAFF_PASSWORD,
                    "totpCode": code_at(member, clock),
                }
            },
        )
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-onramp_staff_session=")
    assert "secure" in cookie.lower()


async def test_customer_and_staff_sessions_mean_nothing_on_the_other_endpoint(staff_app, clock):
    member, staff = await signed_in_member(staff_app, clock, EMAIL, StaffRole.ADMIN)
    customer = GraphQLClient(http_client(staff_app))
    customer_token = await sign_up(customer, staff_app, "cora@example.com")

    staff_on_customers = await customer(CUSTOMER_ME, **bearer(member.token))
    customer_on_staff = await staff(ME, **bearer(customer_token))
    customer_on_staff_op = await staff("{ staffMembers { email } }", **bearer(customer_token))
    customer_me = await customer(CUSTOMER_ME, **bearer(customer_token))

    assert staff_on_customers["data"]["me"] is None
    assert customer_on_staff["data"]["me"] is None
    assert customer_on_staff_op["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert customer_me["data"]["me"]["email"] == "cora@example.com"


async def test_staff_origins_are_their_own(app_factory, clock):
    staff_origin, customer_origin = "https://staff.example.test", "https://app.example.test"
    async with app_factory(
        clock=clock,
        jobs=False,
        allowed_origins=[customer_origin],
        staff_allowed_origins=[staff_origin],
    ) as app:
        member, _ = await signed_in_member(app, clock, EMAIL, StaffRole.SUPPORT)
        clock.advance(seconds=30)
        browser = staff_client(app)
        values = {"email": EMAIL, "password": STAFF_PASSWORD, "totpCode": code_at(member, clock)}
        signed = await browser.post(
            "mutation($input: SignInInput!) { signIn(input: $input) { errors { code } } }",
            {"input": values},
            origin=staff_origin,
        )
        from_staff = (await browser(ME, origin=staff_origin))["data"]["me"]
        from_customers = (await browser(ME, origin=customer_origin))["data"]["me"]
        preflight = {
            origin: await browser.http.options(
                "/staff/graphql",
                headers={"origin": origin, "access-control-request-method": "POST"},
            )
            for origin in (staff_origin, customer_origin)
        }
        customer_preflight = await browser.http.options(
            "/graphql",
            headers={"origin": staff_origin, "access-control-request-method": "POST"},
        )

    assert "set-cookie" in signed.headers
    assert from_staff["email"] == EMAIL
    assert from_customers is None  # the cookie rides along but is not believed
    assert preflight[staff_origin].status_code == 200
    assert preflight[staff_origin].headers["access-control-allow-origin"] == staff_origin
    assert preflight[customer_origin].status_code == 400
    assert customer_preflight.status_code == 400


async def test_failed_staff_sign_ins_are_throttled_like_customers(app_factory, clock):
    async with app_factory(clock=clock, jobs=False, login_free_failures_per_account=2) as app:
        member, client = await signed_in_member(app, clock, EMAIL, StaffRole.SUPPORT)
        clock.advance(seconds=30)
        failures = [
            await sign_in(client, member, clock, password=f"wrong-password-{n}") for n in range(3)
        ]
        limited = await sign_in(client, member, clock)
        clock.advance(seconds=31)  # past the wait (and into a fresh code step)
        after_wait = await sign_in(client, member, clock)

    assert [_codes(f) for f in failures[:2]] == [[(None, "INVALID_CREDENTIALS")]] * 2
    assert _codes(limited) == [(None, "RATE_LIMITED")]
    assert limited["errors"][0]["retryAfter"] is not None
    assert after_wait["errors"] == []


async def test_disabling_a_member_ends_their_sessions_and_sign_ins(staff_app, clock):
    member, client = await signed_in_member(staff_app, clock, EMAIL, StaffRole.SUPPORT)
    await staff_app.state.services.staff.disable(
        await StaffMember.get(email=EMAIL), Actor.command_line()
    )
    clock.advance(seconds=30)
    again = await sign_in(client, member, clock)
    assert (await client(ME))["data"]["me"] is None
    assert _codes(again) == [(None, "INVALID_CREDENTIALS")]


async def test_sign_out_ends_the_session_and_is_recorded(staff_app, clock):
    member, client = await signed_in_member(staff_app, clock, EMAIL, StaffRole.SUPPORT)
    out = await client("mutation { signOut { errors { code } } }")
    me = (await client(ME))["data"]["me"]
    actions = [
        entry.action
        for entry in await staff_app.state.services.audit.of_staff(
            (await StaffMember.get(email=EMAIL)).id
        ).query.order_by("created_at")
    ]
    assert out["data"]["signOut"]["errors"] == []
    assert me is None
    assert actions == ["staff.set-password", "staff.sign-in", "staff.sign-out"]
    assert member.token


def test_a_session_lasts_eight_hours() -> None:
    from services.sessions import STAFF_SESSIONS

    assert STAFF_SESSIONS.ttl == timedelta(hours=8)
