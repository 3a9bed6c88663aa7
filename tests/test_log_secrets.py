"""No secret in any log line: the main flows run with every logger at DEBUG, through the
logging configuration `onramp serve` uses (JSON lines), and the lines are searched for every
code, token, password and card number the flows used."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from models.accounts import AccountKind
from services.clock import FrozenClock
from tests.conftest import TEST_SECRET, GraphQLClient, http_client, latest_code
from tests.flows import (
    ASSOCIATE_MOBILE,
    COMPLETE_DETAILS,
    DE_MOBILE,
    INDIVIDUAL_DETAILS,
    REQUEST_RESET,
    RESET,
    SET_SECURITY_PHONE,
    answer_bank,
    attempt_until,
    bearer,
    bind,
    enable_cloud,
    login_payload,
    phone_code,
    register_payload,
    send_code,
    tokenize,
)
from tests.logs import configured
from tests.test_billing import at
from tests.test_pay_bill import BILLS, _pay, _payment_until

EMAIL = "secret.keeper@example.com"
PASSWORD = "first-Passw0rd-xyz"
WRONG_PASSWORD = "wrong-Guess-4711"
NEW_PASSWORD = "second-Passw0rd-qrs"
CARD = "4242 4242 4242 4242"
BANK_PAGE_CARD = "4000 0027 6000 3184"  # every later charge asks for the bank page
CVC = "987"
SET_DEFAULT = "mutation($id: ID!) { setDefaultCard(input: {cardId: $id}) { errors { code } } }"


def _verify(code: str) -> dict[str, Any]:
    return {"input": {"regionCode": "DE", "phoneNumber": DE_MOBILE, "code": code}}


async def _bound(gql: GraphQLClient, number: str, key: str, secrets: list[str]) -> None:
    """Binds a card through the sandbox and its bank page, noting every secret it used."""
    response = await tokenize(gql, number, cvc=CVC)
    payment_method = response.json()["id"]
    attempt = (await bind(gql, payment_method, key))["attempt"]
    redirect_url = attempt["nextAction"]["redirectUrl"]
    secrets += [payment_method, redirect_url.rsplit("/", 1)[1]]
    await answer_bank(gql, redirect_url, "approve")
    await attempt_until(gql, attempt["id"], lambda a: a["status"] == "SUCCEEDED")


async def test_the_main_flows_log_no_code_token_password_or_card(app_factory) -> None:
    clock = FrozenClock(at(2026, 10, 20))
    secrets = [TEST_SECRET, PASSWORD, WRONG_PASSWORD, NEW_PASSWORD]
    with configured("DEBUG") as logs:
        async with app_factory(clock=clock, limit_codes_per_destination="50/minute") as app:
            gql = GraphQLClient(http_client(app))
            # Sign-up with the emailed code.
            assert (await send_code(gql, EMAIL))["errors"] == []
            code = await latest_code(app, EMAIL)
            registered = await register_payload(gql, EMAIL, code, password=PASSWORD)
            secrets += [code, registered["session"]["token"]]
            # Sign-in, once wrong.
            assert (await login_payload(gql, EMAIL, WRONG_PASSWORD))["session"] is None
            token = (await login_payload(gql, EMAIL, PASSWORD))["session"]["token"]
            secrets.append(token)
            gql.headers = bearer(token)
            # Phone codes: the security phone, then the mobile number.
            code = await phone_code(gql, app, "SECURITY_PHONE")
            secrets.append(code)
            assert (await gql(SET_SECURITY_PHONE, _verify(code)))["data"]["setSecurityPhone"][
                "errors"
            ] == []
            assert (await enable_cloud(gql))["errors"] == []
            code = await phone_code(gql, app, "MOBILE_NUMBER")
            secrets.append(code)
            assert (await gql(ASSOCIATE_MOBILE, _verify(code)))["data"]["associateMobile"][
                "errors"
            ] == []
            await gql(COMPLETE_DETAILS, {"input": INDIVIDUAL_DETAILS})
            # Card binding through the sandbox, its tokenizer and its bank page.
            await _bound(gql, CARD, "first-card", secrets)
            # Password reset by emailed code.
            gql.headers = {}
            await gql(REQUEST_RESET, {"input": {"email": EMAIL}})
            code = await latest_code(app, EMAIL)
            secrets.append(code)
            reset = {"input": {"email": EMAIL, "code": code, "newPassword": NEW_PASSWORD}}
            assert (await gql(RESET, reset))["data"]["resetPassword"]["errors"] == []
            token = (await login_payload(gql, EMAIL, NEW_PASSWORD))["session"]["token"]
            secrets.append(token)
            gql.headers = bearer(token)
            # A bill: its automatic charge asks for the bank page, so the person pays it.
            await _bound(gql, BANK_PAGE_CARD, "second-card", secrets)
            cards = (await gql("{ me { paymentCards { id last4 } } }"))["data"]["me"]
            card_id = next(c["id"] for c in cards["paymentCards"] if c["last4"] == "3184")
            await gql(SET_DEFAULT, {"id": card_id})
            account = await app.state.services.accounts.find(EMAIL, AccountKind.HUAWEI_ID)
            assert account is not None
            clock.set(at(2026, 11, 15))
            await app.state.services.billing.record_usage(account, "5.00", "Compute")
            clock.set(at(2026, 12, 3))
            await app.state.services.billing.run(date(2026, 12, 3))
            token = (await login_payload(gql, EMAIL, NEW_PASSWORD))["session"]["token"]
            secrets.append(token)
            gql.headers = bearer(token)
            bill = (await gql(BILLS))["data"]["me"]["bills"]["edges"][0]["node"]
            started = (await _pay(gql, bill["id"], returnUrl="https://app.example.test/bills"))[
                "payment"
            ]
            redirect_url = started["nextAction"]["redirectUrl"]
            secrets.append(redirect_url.rsplit("/", 1)[1])
            await answer_bank(gql, redirect_url, "approve")
            await _payment_until(gql, started["id"], "SUCCEEDED")

    records = logs.records()  # one JSON object a line, or this fails
    text = logs.text
    # Every step was logged: the scan below read the lines of all of them.
    operations = {r.get("graphql") for r in records if r["logger"] == "onramp.access"}
    assert {
        "mutation register",
        "mutation login",
        "mutation setSecurityPhone",
        "mutation associateMobile",
        "mutation bindCard",
        "mutation resetPassword",
        "mutation payBill",
    } <= operations
    routes = {r.get("route") for r in records if r["logger"] == "onramp.access"}
    assert {"/sandbox/tokens", "/sandbox/bank/{token}", "/webhooks/payments"} <= routes
    for secret in secrets:
        assert secret not in text, f"a log line holds {secret!r}"
    for number in (CARD, BANK_PAGE_CARD):
        digits = number.replace(" ", "")
        assert digits not in text
        assert number not in text
    assert not re.search(r"cvc|security.?code", text, flags=re.IGNORECASE)
    assert all(r.get("request_id") for r in records)
