"""Step 5.3 end to end: tokenizer, bindCard, the bank page, signed webhooks, refunds."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import UTC, date, datetime

import anyio
import pytest

from gateways.sandbox.gateway import SIGNATURE_HEADER
from gateways.sandbox.models import SandboxCharge, SandboxWebhook
from models.cards import (
    BindingIdempotencyKey,
    BindingStatus,
    CardBindingAttempt,
    DepositStatus,
    PaymentCard,
)
from services.cards.sweep import MAX_RECONCILE_TRIES
from services.clock import FrozenClock
from tests.conftest import GraphQLClient, http_client, outbox, take_step
from tests.flows import (
    ASSOCIATE_MOBILE,
    ATTEMPT,
    COMPLETE_DETAILS,
    GATEWAY,
    PROGRESS,
    answer_bank,
    attempt_until,
    bind,
    codes_of,
    phone_code,
    ready_for_card,
    tokenize,
)
from tests.queries import counting_statements

EMAIL = "jun.tanaka@example.com"
RETURN_URL = "https://app.example.test/onboarding/payment/done"
SUCCEEDING = [
    ("4242 4242 4242 4242", "VISA"),
    ("4000 0000 0000 3220", "VISA"),
    ("5555 5555 5555 4444", "MASTERCARD"),
    ("2223 0031 2200 3222", "MASTERCARD"),
    ("3782 822463 10005", "AMEX"),
    ("6011 1111 1111 1117", "DISCOVER"),
    ("3056 930902 5904", "DINERS"),
    ("3566 0020 2036 0505", "JCB"),
    ("6200 0000 0000 0005", "UNIONPAY"),
    ("4000 0000 0000 0341", "VISA"),
]
FAILING = [
    ("4000 0000 0000 0002", "DECLINED"),
    ("4000 0000 0000 9995", "INSUFFICIENT_FUNDS"),
    ("4000 0000 0000 9987", "LOST_OR_STOLEN"),
    ("4000 0000 0000 9979", "LOST_OR_STOLEN"),
    ("4000 0000 0000 0069", "EXPIRED_CARD"),
    ("4000 0000 0000 0127", "INCORRECT_CVC"),
    ("4000 0000 0000 0119", "PROCESSING_ERROR"),
]


@pytest.fixture
async def person(app_factory):
    """Someone ready to add a card: registered, cloud enabled, details complete."""
    async with app_factory(limit_codes_per_destination="50/minute") as app:
        gql = GraphQLClient(http_client(app))
        await ready_for_card(gql, app, EMAIL)
        yield app, gql


@pytest.fixture
async def frozen_person(app_factory):
    """`person` on a frozen clock, with no job running: the test takes every step itself."""
    clock = FrozenClock(datetime.now(UTC))
    async with app_factory(clock=clock, jobs=False, limit_codes_per_destination="50/minute") as app:
        gql = GraphQLClient(http_client(app))
        await ready_for_card(gql, app, EMAIL)
        yield app, gql, clock


async def _state(gql: GraphQLClient, attempt_id: str) -> tuple[str, str]:
    attempt = (await gql(ATTEMPT, {"id": attempt_id}))["data"]["node"]
    return attempt["status"], attempt["depositStatus"]


async def _token(gql: GraphQLClient, number: str, **fields) -> str:
    response = await tokenize(gql, number, **fields)
    assert response.status_code == 200, response.text
    return response.json()["id"]


async def _bound(gql: GraphQLClient, number: str, key: str = "k1", **extra) -> dict:
    payload = await bind(gql, await _token(gql, number), key, **extra)
    assert payload["errors"] == [], payload["errors"]
    return payload["attempt"]


def _terminal(attempt: dict) -> bool:
    return attempt["status"] in ("SUCCEEDED", "FAILED")


# The gateway and its tokenizer


async def test_the_gateway_configuration(person) -> None:
    _, gql = person
    gateway = (await gql(GATEWAY))["data"]["paymentGateway"]
    assert gateway["name"] == "sandbox"
    assert gateway["tokenizationUrl"] == "http://testserver.local/sandbox/tokens"
    assert gateway["publishableKey"].startswith("pk_sandbox_")
    assert set(gateway["acceptedBrands"]) == {
        "VISA",
        "MASTERCARD",
        "AMEX",
        "DISCOVER",
        "JCB",
        "UNIONPAY",
        "DINERS",
    }
    assert gateway["serviceTerms"]["key"] == "payment-service-terms"


@pytest.mark.parametrize(("number", "brand"), SUCCEEDING)
async def test_the_tokenizer_knows_every_brand(person, number, brand) -> None:
    _, gql = person
    response = await tokenize(gql, number)
    assert response.status_code == 200
    body = response.json()
    assert body["id"].startswith("pm_")
    assert body["brand"] == brand.lower()
    assert body["last4"] == number.replace(" ", "")[-4:]
    assert (body["expMonth"], body["expYear"]) == (12, 2030)


@pytest.mark.parametrize(
    ("number", "fields", "code", "field"),
    [
        ("4242 4242 4242 4241", {}, "incorrect_number", "number"),
        ("1234", {}, "incorrect_number", "number"),
        ("4242 4242 4242 4242", {"exp_month": 1, "exp_year": 2020}, "invalid_expiry", "expMonth"),
        ("4242 4242 4242 4242", {"exp_month": 13}, "invalid_expiry", "expMonth"),
        ("3782 822463 10005", {"cvc": "123"}, "invalid_cvc", "cvc"),
        ("4242 4242 4242 4242", {"cvc": "1234"}, "invalid_cvc", "cvc"),
        ("4242 4242 4242 4242", {"holder": "  "}, "missing_holder_name", "holderName"),
    ],
)
async def test_the_tokenizer_refuses_bad_fields(person, number, fields, code, field) -> None:
    _, gql = person
    response = await tokenize(gql, number, **fields)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"]


async def test_the_tokenizer_wants_the_publishable_key(person) -> None:
    _, gql = person
    response = await gql.http.post(
        "/sandbox/tokens", json={"number": "4242424242424242"}, headers={"authorization": "x"}
    )
    assert response.status_code == 401


# The test-card table, end to end


@pytest.mark.parametrize(("number", "brand"), SUCCEEDING)
async def test_cards_that_bind(person, number, brand) -> None:
    app, gql = person
    started = await _bound(gql, number, return_url=RETURN_URL)
    assert started["status"] == "REQUIRES_ACTION"
    assert started["nextAction"]["type"] == "REDIRECT_TO_BANK"
    assert started["deposit"] == {"amount": "0.95", "currency": "EUR"}
    assert started["serviceTerms"]["key"] == "payment-service-terms"

    answered = await answer_bank(gql, started["nextAction"]["redirectUrl"], "approve")
    at = time.monotonic()
    attempt = await attempt_until(gql, started["id"], _terminal, timeout_s=2)

    assert answered.status_code == 303
    assert answered.headers["location"] == RETURN_URL
    assert attempt["status"] == "SUCCEEDED"
    assert attempt["card"]["brand"] == brand
    assert attempt["card"]["isDefault"]
    refunded = await attempt_until(
        gql,
        started["id"],
        lambda a: a["depositStatus"] == "REFUNDED",
        timeout_s=5 - (time.monotonic() - at),
    )
    assert refunded["result"].startswith("Verified")
    assert (await outbox(app))[0]["kind"] in {"card-bound", "complete-account-information"}


@pytest.mark.parametrize(("number", "reason"), FAILING)
async def test_cards_that_fail_after_approval(person, number, reason) -> None:
    _, gql = person
    started = await _bound(gql, number)
    await answer_bank(gql, started["nextAction"]["redirectUrl"], "approve")
    attempt = await attempt_until(gql, started["id"], _terminal, timeout_s=2)
    assert attempt["status"] == "FAILED"
    assert attempt["failureReason"] == reason
    assert attempt["depositStatus"] == "NOT_CHARGED"
    assert attempt["card"] is None


async def test_every_failure_reason_has_its_own_sentence(person) -> None:
    _, gql = person
    sentences = set()
    for index, (number, _) in enumerate(FAILING[:3]):
        started = await _bound(gql, number, key=f"k{index}")
        await answer_bank(gql, started["nextAction"]["redirectUrl"], "approve")
        sentences.add((await attempt_until(gql, started["id"], _terminal))["result"])
    assert len(sentences) == 3


async def test_declining_on_the_bank_page_fails_authentication(person) -> None:
    _, gql = person
    started = await _bound(gql, "4242 4242 4242 4242")
    answered = await answer_bank(gql, started["nextAction"]["redirectUrl"], "decline")
    attempt = await attempt_until(gql, started["id"], _terminal, timeout_s=2)
    assert answered.status_code == 200  # no returnUrl: a page saying the window may close
    assert "close this window" in answered.text
    assert (attempt["status"], attempt["failureReason"]) == ("FAILED", "AUTHENTICATION_FAILED")


async def test_the_refund_that_fails_first_is_retried(frozen_person) -> None:
    app, gql, clock = frozen_person
    started = await _bound(gql, "4000 0000 0000 5126")
    await answer_bank(gql, started["nextAction"]["redirectUrl"], "approve")
    await take_step(app, "sandbox-webhooks")  # verification.succeeded: the refund is asked for
    succeeded = await _state(gql, started["id"])
    await take_step(app, "sandbox-refunds")  # this card's first refund fails
    failed_once = await _state(gql, started["id"])
    clock.advance(seconds=4)
    await take_step(app, "sandbox-refunds")
    await take_step(app, "sandbox-webhooks")
    too_early = await _state(gql, started["id"])
    clock.advance(seconds=1)  # the first retry comes 5 s after the failure
    await take_step(app, "sandbox-refunds")
    await take_step(app, "sandbox-webhooks")  # charge.refunded
    refunded = await _state(gql, started["id"])

    assert succeeded == ("SUCCEEDED", "REFUND_PENDING")
    assert failed_once == too_early == ("SUCCEEDED", "REFUND_PENDING")
    assert refunded == ("SUCCEEDED", "REFUNDED")


# What one binding costs the database from the bank page to the refunded deposit, step by
# step, the sandbox's own share included (with a real provider that share is the provider's).
# At 100 completions a second each statement is 100 more a second: one more is a choice.
COMPLETION_BUDGET = {"bank page": 7, "verification event": 22, "refund": 5, "refund event": 8}


async def test_a_completed_binding_keeps_to_its_budget_of_statements(frozen_person) -> None:
    app, gql, _ = frozen_person
    started = await _bound(gql, "4242 4242 4242 4242")
    spent: dict[str, int] = {}
    with counting_statements() as statements:
        await answer_bank(gql, started["nextAction"]["redirectUrl"], "approve")
        spent["bank page"] = statements.total()
        await take_step(app, "sandbox-webhooks")
        spent["verification event"] = statements.total() - sum(spent.values())
        await take_step(app, "sandbox-refunds")
        spent["refund"] = statements.total() - sum(spent.values())
        await take_step(app, "sandbox-webhooks")
        spent["refund event"] = statements.total() - sum(spent.values())
    assert await _state(gql, started["id"]) == ("SUCCEEDED", "REFUNDED")
    over = {step: n for step, n in spent.items() if n > COMPLETION_BUDGET[step]}
    assert not over, f"over budget: {over} (budget {COMPLETION_BUDGET})"


async def test_the_sweep_asks_again_for_a_refund_the_gateway_lost(frozen_person) -> None:
    app, gql, _ = frozen_person
    started = await _bound(gql, "4242 4242 4242 4242")
    await answer_bank(gql, started["nextAction"]["redirectUrl"], "approve")
    await take_step(app, "sandbox-webhooks")
    # As if the process died between charging the deposit and asking for its refund.
    await CardBindingAttempt.all().update(deposit_status=DepositStatus.CHARGED)
    await SandboxCharge.all().update(refund_status="none", refund_next_attempt_at=None)
    await take_step(app, "card-binding")
    await take_step(app, "sandbox-refunds")
    await take_step(app, "sandbox-webhooks")
    assert await _state(gql, started["id"]) == ("SUCCEEDED", "REFUNDED")


async def test_a_refund_the_gateway_gives_up_ends_refund_failed(frozen_person) -> None:
    app, gql, _ = frozen_person
    started = await _bound(gql, "4242 4242 4242 4242")
    await answer_bank(gql, started["nextAction"]["redirectUrl"], "approve")
    await take_step(app, "sandbox-webhooks")
    # The gateway's own retries are over: it says the refund failed for good.
    await SandboxCharge.all().update(refund_status="failed")
    await take_step(app, "card-binding")
    assert await _state(gql, started["id"]) == ("SUCCEEDED", "REFUND_FAILED")
    await take_step(app, "card-binding")  # final: nothing asks again
    assert await _state(gql, started["id"]) == ("SUCCEEDED", "REFUND_FAILED")


# The bank page


async def test_the_bank_page_cannot_be_framed_and_works_once(person) -> None:
    _, gql = person
    started = await _bound(gql, "4242 4242 4242 4242")
    path = started["nextAction"]["redirectUrl"].removeprefix("http://testserver.local")
    page = await gql.http.get(path)
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "<form" in page.text
    assert "4242" in page.text

    first = await gql.http.post(path, data={"outcome": "approve"})
    again = await gql.http.post(path, data={"outcome": "decline"})
    revisit = await gql.http.get(path)
    assert first.status_code == 200
    assert again.status_code == revisit.status_code == 410
    assert (await attempt_until(gql, started["id"], _terminal))["status"] == "SUCCEEDED"


async def test_the_bank_link_is_long_random_and_not_the_attempt_id(person) -> None:
    _, gql = person
    started = await _bound(gql, "4242 4242 4242 4242")
    token = started["nextAction"]["redirectUrl"].rsplit("/", 1)[1]
    assert len(token) >= 22  # at least 128 bits of URL-safe base64
    assert token not in started["id"]
    unknown = await gql.http.get("/sandbox/bank/" + "A" * len(token))
    assert unknown.status_code == 410


# bindCard's checks


async def test_each_check_of_bind_card(person) -> None:
    _, gql = person
    token = await _token(gql, "4242 4242 4242 4242")

    terms = await bind(gql, token, "a", accept=False)
    unknown = await bind(gql, "pm_unknown", "b")
    foreign_return = await bind(gql, token, "c", return_url="https://evil.test/x")
    userinfo = await bind(gql, token, "d", return_url="https://user@app.example.test/x")
    javascript = await bind(gql, token, "e", return_url="javascript:alert(1)")
    history = await gql("{ historicalCards { edges { node { id } } } }")

    assert codes_of(terms) == ["TERMS_NOT_ACCEPTED"]
    assert codes_of(unknown) == ["PAYMENT_METHOD_INVALID"]
    assert codes_of(foreign_return) == ["RETURN_URL_NOT_ALLOWED"]
    assert codes_of(userinfo) == ["RETURN_URL_NOT_ALLOWED"]
    assert codes_of(javascript) == ["RETURN_URL_NOT_ALLOWED"]
    assert history["data"]["historicalCards"]["edges"] == []  # errors started nothing


async def test_a_token_is_used_once(person) -> None:
    _, gql = person
    token = await _token(gql, "4242 4242 4242 4242")
    first = await bind(gql, token, "one")
    await answer_bank(gql, first["attempt"]["nextAction"]["redirectUrl"], "decline")
    await attempt_until(gql, first["attempt"]["id"], _terminal)
    second = await bind(gql, token, "two")
    assert codes_of(second) == ["PAYMENT_METHOD_INVALID"]


async def test_binding_needs_cloud_services_and_details(app_factory) -> None:
    async with app_factory() as app:
        gql = GraphQLClient(http_client(app))
        from tests.flows import bearer, sign_up

        gql.headers = bearer(await sign_up(gql, app, EMAIL))
        token = await _token(gql, "4242 4242 4242 4242")
        payload = await bind(gql, token, "k")
    assert codes_of(payload) == ["PREREQUISITE_MISSING"]


async def test_an_expired_card_and_an_unaccepted_brand(app_factory) -> None:
    clock = FrozenClock(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))
    async with app_factory(
        clock=clock, accepted_card_brands=["visa"], limit_codes_per_destination="50/minute"
    ) as app:
        gql = GraphQLClient(http_client(app))
        await ready_for_card(gql, app, EMAIL)
        visa = await _token(gql, "4242 4242 4242 4242", exp_month=11, exp_year=2026)
        amex = await _token(gql, "3782 822463 10005")
        gateway = (await gql(GATEWAY))["data"]["paymentGateway"]
        clock.advance(days=10)  # December: the card expired after it was tokenized
        expired = await bind(gql, visa, "a")
        refused_brand = await bind(gql, amex, "b")
    assert gateway["acceptedBrands"] == ["VISA"]
    assert codes_of(expired) == ["CARD_EXPIRED"]
    assert codes_of(refused_brand) == ["CARD_BRAND_NOT_SUPPORTED"]


async def test_idempotency_keys(person) -> None:
    _, gql = person
    token = await _token(gql, "4242 4242 4242 4242")
    first = await bind(gql, token, "same-key", return_url=RETURN_URL)
    again = await bind(gql, token, "same-key", return_url=RETURN_URL)
    other_input = await bind(gql, token, "same-key")

    assert first["errors"] == again["errors"] == []
    assert again["attempt"]["id"] == first["attempt"]["id"]
    assert codes_of(other_input) == ["IDEMPOTENCY_KEY_REUSED"]


async def test_the_idempotency_key_is_checked_first(person) -> None:
    _, gql = person
    token = await _token(gql, "4242 4242 4242 4242")
    first = await bind(gql, token, "key")
    # Even with terms unaccepted, the key speaks first.
    assert codes_of(await bind(gql, token, "key", accept=False)) == ["IDEMPOTENCY_KEY_REUSED"]
    assert first["errors"] == []


async def test_one_binding_at_a_time(person) -> None:
    _, gql = person
    first = await bind(gql, await _token(gql, "4242 4242 4242 4242"), "a")
    second = await bind(gql, await _token(gql, "5555 5555 5555 4444"), "b")
    assert first["errors"] == []
    assert codes_of(second) == ["BINDING_IN_PROGRESS"]

    await answer_bank(gql, first["attempt"]["nextAction"]["redirectUrl"], "decline")
    await attempt_until(gql, first["attempt"]["id"], _terminal)
    third = await bind(gql, await _token(gql, "5555 5555 5555 4444"), "c")
    assert third["errors"] == []


async def test_concurrent_binds_start_one_attempt(person) -> None:
    _, gql = person
    tokens = [await _token(gql, "4242 4242 4242 4242") for _ in range(8)]
    payloads = await asyncio.gather(*(bind(gql, t, f"key-{i}") for i, t in enumerate(tokens)))
    started = [p for p in payloads if not p["errors"]]
    assert len(started) == 1
    assert {c for p in payloads for c in codes_of(p)} == {"BINDING_IN_PROGRESS"}
    assert await CardBindingAttempt.all().count() == 1


async def test_concurrent_binds_with_one_key_return_one_attempt(person) -> None:
    """Retries with one key, all at once: every one answers the first one's attempt."""
    _, gql = person
    token = await _token(gql, "4242 4242 4242 4242")
    payloads = await asyncio.gather(*(bind(gql, token, "shared") for _ in range(10)))
    assert [p["errors"] for p in payloads] == [[]] * 10
    assert len({p["attempt"]["id"] for p in payloads}) == 1
    assert {p["attempt"]["status"] for p in payloads} == {"REQUIRES_ACTION"}
    assert await CardBindingAttempt.all().count() == 1
    assert await BindingIdempotencyKey.all().count() == 1


async def test_a_retry_waits_for_the_request_that_holds_its_key(person, monkeypatch) -> None:
    _, gql = person
    gateway = person[0].state.services.gateway
    real_start = gateway.start_verification
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow_start(**kwargs):
        started.set()
        await release.wait()
        return await real_start(**kwargs)

    monkeypatch.setattr(gateway, "start_verification", slow_start)
    token = await _token(gql, "4242 4242 4242 4242")
    first = asyncio.create_task(bind(gql, token, "slow"))
    await asyncio.wait_for(started.wait(), 5)
    retries = [asyncio.create_task(bind(gql, token, "slow")) for _ in range(3)]
    await asyncio.sleep(0.2)  # the retries are waiting, not answering
    assert not any(r.done() for r in retries)
    release.set()
    payloads = [await first, *[await r for r in retries]]
    assert [p["errors"] for p in payloads] == [[]] * 4
    assert {(p["attempt"]["id"], p["attempt"]["status"]) for p in payloads} == {
        (payloads[0]["attempt"]["id"], "REQUIRES_ACTION")
    }


async def test_a_refused_request_frees_its_key(person) -> None:
    _, gql = person
    token = await _token(gql, "4242 4242 4242 4242")
    refused = await bind(gql, token, "k", return_url="https://evil.test/x")
    assert codes_of(refused) == ["RETURN_URL_NOT_ALLOWED"]
    assert await BindingIdempotencyKey.all().count() == 0
    retried = await bind(gql, token, "k", return_url=RETURN_URL)
    assert retried["errors"] == []


async def test_accounts_binding_one_token_at_once(app_factory, monkeypatch) -> None:
    """Every account checks the token before any uses it: one wins, the rest fail at once."""
    async with app_factory(limit_codes_per_destination="50/minute") as app:
        people = []
        for index in range(3):
            gql = GraphQLClient(http_client(app))
            await ready_for_card(gql, app, f"racer{index}@example.com")
            people.append(gql)
        token = await _token(people[0], "4242 4242 4242 4242")
        gateway = app.state.services.gateway
        real_method = gateway.payment_method
        checked = []
        everyone = asyncio.Event()

        async def checked_together(reference):
            method = await real_method(reference)
            checked.append(reference)
            if len(checked) == len(people):
                everyone.set()
            await asyncio.wait_for(everyone.wait(), 5)
            return method

        monkeypatch.setattr(gateway, "payment_method", checked_together)
        payloads = await asyncio.gather(*(bind(gql, token, "same") for gql in people))
        monkeypatch.setattr(gateway, "payment_method", real_method)
        losers = [
            g
            for g, p in zip(people, payloads, strict=True)
            if p["attempt"]["status"] != "REQUIRES_ACTION"
        ]
        again = [await _bound(gql, "5555 5555 5555 4444", key="next") for gql in losers]
        rows = await CardBindingAttempt.filter(gateway_payment_method=token)

    assert [p["errors"] for p in payloads] == [[]] * 3
    outcomes = sorted((p["attempt"]["status"], p["attempt"]["failureReason"]) for p in payloads)
    assert outcomes == [
        ("FAILED", "PROCESSING_ERROR"),
        ("FAILED", "PROCESSING_ERROR"),
        ("REQUIRES_ACTION", None),
    ]
    assert sorted(row.status for row in rows) == ["FAILED", "FAILED", "REQUIRES_ACTION"]
    # The losers' slots are free: their next card starts at once.
    assert [a["status"] for a in again] == ["REQUIRES_ACTION"] * 2


async def test_reconciliation_gives_up_after_a_bounded_number_of_tries(
    frozen_person, monkeypatch, caplog
) -> None:
    app, gql, clock = frozen_person
    gateway = app.state.services.gateway
    real_start = gateway.start_verification
    calls = []

    async def unreachable(**kwargs):
        calls.append(clock.now())
        raise ConnectionError("gateway unreachable")

    monkeypatch.setattr(gateway, "start_verification", unreachable)
    stuck = await _bound(gql, "4242 4242 4242 4242")
    with caplog.at_level(logging.INFO, logger="onramp.cards"):
        for _ in range(60):  # a sweep every second for a minute
            clock.advance(seconds=1)
            await take_step(app, "card-binding")
        assert len(calls) == 1 + 2  # bindCard's own, then one try every 30 s
        for _ in range(10):
            clock.advance(seconds=31)
            await take_step(app, "card-binding")
    monkeypatch.setattr(gateway, "start_verification", real_start)
    final = (await gql(ATTEMPT, {"id": stuck["id"]}))["data"]["node"]
    after = await bind(gql, await _token(gql, "5555 5555 5555 4444"), "after")

    assert (final["status"], final["failureReason"]) == ("FAILED", "PROCESSING_ERROR")
    assert len(calls) == 1 + MAX_RECONCILE_TRIES
    assert after["errors"] == []
    # One traceback, bindCard's own; the sweep's tries say what went wrong in a line.
    assert len([r for r in caplog.records if r.exc_info]) <= 1
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == (
        MAX_RECONCILE_TRIES + 2  # bindCard's, each try's, the final one
    )


async def test_failed_bindings_are_capped(app_factory) -> None:
    async with app_factory(
        card_failures_per_account=2, limit_codes_per_destination="50/minute"
    ) as app:
        gql = GraphQLClient(http_client(app))
        await ready_for_card(gql, app, EMAIL)
        for index in range(2):
            started = await _bound(gql, "4000 0000 0000 0002", key=f"f{index}")
            await answer_bank(gql, started["nextAction"]["redirectUrl"], "approve")
            await attempt_until(gql, started["id"], _terminal)
        capped = await bind(gql, await _token(gql, "4242 4242 4242 4242"), "next")
    assert codes_of(capped) == ["RATE_LIMITED"]
    assert capped["errors"][0]["retryAfter"]


# Time-outs and reconciliation


async def test_an_attempt_left_on_the_bank_page_times_out(app_factory) -> None:
    clock = FrozenClock(datetime.now(UTC))
    async with app_factory(clock=clock, limit_codes_per_destination="50/minute") as app:
        gql = GraphQLClient(http_client(app))
        await ready_for_card(gql, app, EMAIL)
        started = await _bound(gql, "4242 4242 4242 4242")
        clock.advance(seconds=901)
        await app.state.services.cards.sweep.step()
        attempt = (await gql(ATTEMPT, {"id": started["id"]}))["data"]["node"]
        late = await gql.http.post(
            started["nextAction"]["redirectUrl"].removeprefix("http://testserver.local"),
            data={"outcome": "approve"},
        )
    assert (attempt["status"], attempt["failureReason"]) == ("FAILED", "AUTHENTICATION_TIMEOUT")
    assert late.status_code == 410


async def test_an_attempt_stuck_in_processing_is_reconciled(app_factory, monkeypatch) -> None:
    clock = FrozenClock(datetime.now(UTC))
    async with app_factory(clock=clock, limit_codes_per_destination="50/minute") as app:
        gql = GraphQLClient(http_client(app))
        await ready_for_card(gql, app, EMAIL)
        gateway = app.state.services.gateway
        real_start = gateway.start_verification

        async def unreachable(**kwargs):
            raise ConnectionError("gateway unreachable")

        monkeypatch.setattr(gateway, "start_verification", unreachable)
        stuck = await bind(gql, await _token(gql, "4242 4242 4242 4242"), "k")
        monkeypatch.setattr(gateway, "start_verification", real_start)
        clock.advance(seconds=31)
        await app.state.services.cards.sweep.step()
        attempt = await CardBindingAttempt.get()
    assert stuck["attempt"]["status"] == "PROCESSING"
    assert stuck["attempt"]["nextAction"] is None
    assert attempt.status is BindingStatus.REQUIRES_ACTION
    assert attempt.redirect_url


# Webhooks


def _signed(app, payload: dict, at: int | None = None) -> tuple[bytes, dict[str, str]]:
    gateway = app.state.services.gateway
    body = json.dumps(payload).encode()
    timestamp = at if at is not None else int(time.time())
    return body, {
        "content-type": "application/json",
        "webhook-signature": f"t={timestamp},v1={gateway.sign(body, timestamp)}",
    }


async def _approved_without_webhooks(app, gql, number: str = "4242 4242 4242 4242") -> dict:
    """An approval the gateway has recorded but whose webhooks were not delivered yet."""
    started = await _bound(gql, number)
    gateway = app.state.services.gateway
    token = started["nextAction"]["redirectUrl"].rsplit("/", 1)[1]
    await gateway.answer_bank_page(token, approve=True)
    return started


async def test_webhooks_with_a_bad_or_old_signature_change_nothing(person) -> None:
    app, gql = person
    started = await _bound(gql, "4242 4242 4242 4242")
    intent = (await CardBindingAttempt.get()).gateway_intent
    payload = {"id": "evt_1", "type": "verification.succeeded", "data": {"verification": intent}}
    body, headers = _signed(app, payload)

    missing = await gql.http.post("/webhooks/payments", content=body)
    wrong = await gql.http.post(
        "/webhooks/payments",
        content=body,
        headers={**headers, "webhook-signature": headers["webhook-signature"][:-4] + "beef"},
    )
    old_body, old_headers = _signed(app, payload, at=int(time.time()) - 301)
    stale = await gql.http.post("/webhooks/payments", content=old_body, headers=old_headers)

    assert missing.status_code == wrong.status_code == stale.status_code == 400
    attempt = (await gql(ATTEMPT, {"id": started["id"]}))["data"]["node"]
    assert attempt["status"] == "REQUIRES_ACTION"


async def test_a_duplicate_event_changes_nothing(person, monkeypatch) -> None:
    app, gql = person
    started = await _bound(gql, "4242 4242 4242 4242")
    intent = (await CardBindingAttempt.get()).gateway_intent
    payload = {"id": "evt_dup", "type": "verification.failed", "data": {"verification": intent}}
    body, headers = _signed(app, payload)
    first = await gql.http.post("/webhooks/payments", content=body, headers=headers)

    handled: list[object] = []
    monkeypatch.setattr(
        app.state.services.cards.events, "handle_event", lambda event: handled.append(event)
    )
    again = await gql.http.post("/webhooks/payments", content=body, headers=headers)

    assert first.status_code == again.status_code == 200
    assert handled == []
    attempt = (await gql(ATTEMPT, {"id": started["id"]}))["data"]["node"]
    assert attempt["status"] == "REQUIRES_ACTION"  # the gateway still says so: nothing moved


async def test_events_out_of_order_are_read_from_the_gateway(person) -> None:
    app, gql = person
    gateway = app.state.services.gateway
    started = await _approved_without_webhooks(app, gql)
    attempt_row = await CardBindingAttempt.get()
    verification = await gateway.verification(attempt_row.gateway_intent)
    await gateway.refund(verification.charge)
    await gateway.process_refunds()
    # The refund's event arrives before the approval's.
    refund_body, refund_headers = _signed(
        app,
        {
            "id": "evt_refund",
            "type": "charge.refunded",
            "data": {"charge": verification.charge, "verification": verification.reference},
        },
    )
    response = await gql.http.post(
        "/webhooks/payments", content=refund_body, headers=refund_headers
    )
    attempt = await attempt_until(gql, started["id"], lambda a: a["depositStatus"] == "REFUNDED")
    assert response.status_code == 200
    assert attempt["status"] == "SUCCEEDED"


# What success brings


async def test_success_makes_the_account_post_paid_and_completes_onboarding(person) -> None:
    app, gql = person
    code = await phone_code(gql, app, "MOBILE_NUMBER")
    await gql(
        ASSOCIATE_MOBILE,
        {"input": {"regionCode": "DE", "phoneNumber": "01512 3456789", "code": code}},
    )
    started = await _bound(gql, "4242 4242 4242 4242")
    await answer_bank(gql, started["nextAction"]["redirectUrl"], "approve")
    await attempt_until(gql, started["id"], _terminal)

    me = await gql(
        """{ me { billing { postpaidQualified currency billingDay nextBillDate arrearsRisk
          defaultCard { last4 isDefault } } paymentCards { last4 } messages { title }
          onboarding { nextStep canSubscribeToServices continueUrl } } }"""
    )
    account = me["data"]["me"]
    today = datetime.now(UTC).date()
    next_month = date(today.year + (today.month == 12), today.month % 12 + 1, 3)
    assert account["billing"] == {
        "postpaidQualified": True,
        "currency": "EUR",
        "billingDay": 3,
        "nextBillDate": next_month.isoformat(),
        "arrearsRisk": False,
        "defaultCard": {"last4": "4242", "isDefault": True},
    }
    assert account["paymentCards"] == [{"last4": "4242"}]
    assert account["messages"] == []  # the continue message is withdrawn
    # The security phone was skipped by enabling cloud services: nothing is left.
    assert account["onboarding"] == {
        "nextStep": None,
        "canSubscribeToServices": True,
        "continueUrl": None,
    }
    progress = (await gql(PROGRESS))["data"]["onboarding"]
    assert {s["key"]: s["status"] for s in progress["steps"]}["PAYMENT_METHOD"] == "COMPLETED"
    kinds = [m["kind"] for m in await outbox(app)]
    assert "card-bound" in kinds


async def test_a_second_card_is_not_the_default(person) -> None:
    _, gql = person
    for key, number in (("a", "4242 4242 4242 4242"), ("b", "5555 5555 5555 4444")):
        started = await _bound(gql, number, key=key)
        await answer_bank(gql, started["nextAction"]["redirectUrl"], "approve")
        await attempt_until(gql, started["id"], _terminal)
    cards = (await gql("{ me { paymentCards { last4 isDefault } } }"))["data"]["me"]["paymentCards"]
    assert sorted((c["last4"], c["isDefault"]) for c in cards) == [("4242", True), ("4444", False)]


async def test_once_a_card_is_bound_the_details_type_is_locked(person) -> None:
    _, gql = person
    started = await _bound(gql, "4242 4242 4242 4242")
    await answer_bank(gql, started["nextAction"]["redirectUrl"], "approve")
    await attempt_until(gql, started["id"], _terminal)
    enterprise = {
        "enterprise": {
            "companyName": "Tanaka KK",
            "registrationNumber": "HRB-1",
            "registeredAddress": {"line1": "1 Main St", "city": "Berlin", "postalCode": "10115"},
            "contactName": "Jun Tanaka",
        }
    }
    switched = await gql(COMPLETE_DETAILS, {"input": enterprise})
    updated = await gql(COMPLETE_DETAILS, {"input": {"individual": {"fullName": "Jun T."}}})
    assert codes_of(switched["data"]["completeAccountDetails"]) == ["ACCOUNT_TYPE_LOCKED"]
    assert updated["data"]["completeAccountDetails"]["errors"] == []


# Historical Cards and node


async def test_historical_cards_pages_newest_first_both_ways(person) -> None:
    _, gql = person
    ids = []
    for index in range(5):
        started = await _bound(gql, "4000 0000 0000 0002", key=f"h{index}")
        await answer_bank(gql, started["nextAction"]["redirectUrl"], "decline")
        await attempt_until(gql, started["id"], _terminal)
        ids.append(started["id"])
    newest_first = list(reversed(ids))
    page = """query($first: Int, $after: String, $last: Int, $before: String) {
      historicalCards(first: $first, after: $after, last: $last, before: $before) {
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { id status result } } } }"""

    one = (await gql(page, {"first": 2}))["data"]["historicalCards"]
    two = (await gql(page, {"first": 2, "after": one["pageInfo"]["endCursor"]}))["data"][
        "historicalCards"
    ]
    back = (await gql(page, {"last": 2, "before": two["pageInfo"]["startCursor"]}))["data"][
        "historicalCards"
    ]
    everything = (await gql(page, {}))["data"]["historicalCards"]

    assert [e["node"]["id"] for e in one["edges"]] == newest_first[:2]
    assert one["pageInfo"]["hasNextPage"]
    assert not one["pageInfo"]["hasPreviousPage"]
    assert [e["node"]["id"] for e in two["edges"]] == newest_first[2:4]
    assert two["pageInfo"]["hasPreviousPage"]
    assert [e["node"]["id"] for e in back["edges"]] == newest_first[:2]
    assert [e["node"]["id"] for e in everything["edges"]] == newest_first
    assert not everything["pageInfo"]["hasNextPage"]


async def test_historical_cards_limits(person) -> None:
    _, gql = person
    too_many = await gql("{ historicalCards(first: 101) { edges { cursor } } }")
    both = await gql("{ historicalCards(first: 1, last: 1) { edges { cursor } } }")
    bad_cursor = await gql('{ historicalCards(after: "%%%") { edges { cursor } } }')
    for body in (too_many, both, bad_cursor):
        assert body["data"]["historicalCards"] is None
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_historical_cards_needs_a_session(gql) -> None:
    body = await gql("{ historicalCards { edges { cursor } } }")
    assert body["data"]["historicalCards"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_another_accounts_attempt_reads_as_null(person) -> None:
    app, gql = person
    started = await _bound(gql, "4242 4242 4242 4242")
    stranger = GraphQLClient(http_client(app, client_ip="192.0.2.44"))
    await ready_for_card(stranger, app, "stranger@example.com")
    assert (await stranger(ATTEMPT, {"id": started["id"]}))["data"]["node"] is None
    assert (await gql(ATTEMPT, {"id": started["id"]}))["data"]["node"]["id"] == started["id"]


# Secrets


async def test_no_card_number_is_stored_or_logged(person, database_url, caplog) -> None:
    _, gql = person
    caplog.set_level(logging.INFO)
    numbers = [n for n, _ in SUCCEEDING + FAILING] + ["4000 0000 0000 5126", "4242 4242 4242 4241"]
    for index, number in enumerate(numbers):
        response = await tokenize(gql, number)
        if response.status_code != 200:
            continue
        started = (await bind(gql, response.json()["id"], f"s{index}"))["attempt"]
        await answer_bank(gql, started["nextAction"]["redirectUrl"], "approve")
        await attempt_until(gql, started["id"], _terminal)

    digits = [n.replace(" ", "") for n in numbers]
    logs = "\n".join(record.getMessage() for record in caplog.records)
    assert not [d for d in digits if d in logs]
    from tortoise import connections

    connection = connections.get("default")
    dump = []
    for table in (
        "card_binding_attempts",
        "payment_cards",
        "sandbox_payment_methods",
        "sandbox_intents",
        "sandbox_charges",
        "sandbox_webhooks",
        "outbox_messages",
    ):
        rows = await connection.execute_query_dict(f'SELECT * FROM "{table}"')
        dump.append(json.dumps(rows, default=str))
    stored = "\n".join(dump)
    assert not [d for d in digits if d in stored]
    if database_url.startswith("sqlite://"):
        raw = await anyio.Path(database_url.removeprefix("sqlite://")).read_bytes()
        assert not [d for d in digits if d.encode() in raw]


async def test_cards_are_nodes_of_their_owner(person) -> None:
    app, gql = person
    started = await _bound(gql, "4242 4242 4242 4242")
    await answer_bank(gql, started["nextAction"]["redirectUrl"], "approve")
    card_id = (await attempt_until(gql, started["id"], _terminal))["card"]["id"]
    query = "query($id: ID!) { node(id: $id) { ... on PaymentCard { id last4 } } }"
    stranger = GraphQLClient(http_client(app, client_ip="192.0.2.45"))
    await ready_for_card(stranger, app, "stranger@example.com")
    assert (await gql(query, {"id": card_id}))["data"]["node"]["last4"] == "4242"
    assert (await stranger(query, {"id": card_id}))["data"]["node"] is None


async def test_the_tokenizer_answers_browsers_of_allowed_origins(person) -> None:
    _, gql = person
    preflight = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
    }
    allowed = await gql.http.options(
        "/sandbox/tokens", headers={**preflight, "origin": "https://app.example.test"}
    )
    refused = await gql.http.options(
        "/sandbox/tokens", headers={**preflight, "origin": "https://evil.test"}
    )
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.test"
    assert "access-control-allow-origin" not in refused.headers


async def test_tokenizations_are_capped_per_client_ip(app_factory) -> None:
    async with app_factory(limit_tokenizations_per_ip="2/hour") as app:
        gql = GraphQLClient(http_client(app))
        answers = [(await tokenize(gql, "4242 4242 4242 4242")).status_code for _ in range(3)]
    assert answers == [200, 200, 429]


async def _post_at_once(app, event: SandboxWebhook, times: int) -> list[int]:
    """The event, signed as the sandbox signs it, POSTed `times` times at once."""
    gateway = app.state.services.gateway
    body = json.dumps(event.payload, separators=(",", ":")).encode()
    stamp = int(app.state.services.clock.now().timestamp())
    headers = {
        "content-type": "application/json",
        SIGNATURE_HEADER: f"t={stamp},v1={gateway.sign(body, stamp)}",
    }
    async with http_client(app) as client:
        answers = await asyncio.gather(
            *(
                client.post(gateway.webhook_path, content=body, headers=headers)
                for _ in range(times)
            )
        )
    return [answer.status_code for answer in answers]


async def test_one_event_delivered_many_times_at_once_is_applied_once(frozen_person) -> None:
    """A provider may deliver an event again before the first delivery is answered."""
    app, gql, _ = frozen_person
    started = await _bound(gql, "4242 4242 4242 4242")
    await answer_bank(gql, started["nextAction"]["redirectUrl"], "approve")
    verified = await SandboxWebhook.get(type="verification.succeeded")
    statuses = await _post_at_once(app, verified, 8)
    await take_step(app, "sandbox-refunds")
    refunded = await SandboxWebhook.get(type="charge.refunded")
    statuses += await _post_at_once(app, refunded, 8)

    assert statuses == [200] * 16
    assert await _state(gql, started["id"]) == ("SUCCEEDED", "REFUNDED")
    assert await PaymentCard.all().count() == 1
    assert await SandboxCharge.filter(refund_status="succeeded").count() == 1
    assert [m["kind"] for m in await outbox(app)].count("card-bound") == 1


async def test_webhooks_are_redelivered_until_accepted(frozen_person, monkeypatch) -> None:
    app, gql, clock = frozen_person
    cards = app.state.services.cards
    real_receive = cards.receive
    refusals: list[str] = []

    async def down_once(event):
        if not refusals:
            refusals.append(event.id)
            raise ConnectionError("database briefly unavailable")
        await real_receive(event)

    monkeypatch.setattr(cards, "receive", down_once)
    started = await _bound(gql, "4242 4242 4242 4242")
    await answer_bank(gql, started["nextAction"]["redirectUrl"], "approve")
    await take_step(app, "sandbox-webhooks")  # refused
    refused = await _state(gql, started["id"])
    await take_step(app, "sandbox-webhooks")  # not due yet: the retry waits 1 s
    waiting = await _state(gql, started["id"])
    clock.advance(seconds=1)
    await take_step(app, "sandbox-webhooks")
    delivered = await _state(gql, started["id"])

    assert len(refusals) == 1
    assert refused == waiting == ("REQUIRES_ACTION", "NOT_CHARGED")
    assert delivered == ("SUCCEEDED", "REFUND_PENDING")
