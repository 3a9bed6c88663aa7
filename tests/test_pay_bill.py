"""payBill through the app: cards, the bank page, refusals, idempotency, races, retries."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import pytest

from models.accounts import Account
from models.billing import Bill, BillPayment, BillStatus
from services.clock import FrozenClock
from services.staff.audit import Actor
from tests.conftest import GraphQLClient, outbox
from tests.flows import answer_bank, attempt_until, bind, tokenize
from tests.test_billing import _postpaid, _signed_in, at

OPERATOR = Actor.command_line()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(at(2026, 10, 20))


@pytest.fixture
async def billing_app(app_factory, clock):
    async with app_factory(clock=clock, limit_codes_per_destination="50/minute") as app:
        yield app


PAY = """mutation($input: PayBillInput!) { payBill(input: $input) {
  payment { id status cardLast4 offSession: cardBrand amount { amount currency } failureReason
    result nextAction { type redirectUrl expiresAt } completedAt bill { id status } }
  errors { field code message } } }"""
PAYMENT = """query($id: ID!) { node(id: $id) { ... on BillPayment {
  id status failureReason nextAction { redirectUrl } bill { status } } } }"""
BILLS = "{ me { bills { edges { node { id status payments { id status } } } } } }"


async def _unpaid_bill(app: Any, clock: Any, email: str, card: str) -> tuple[Account, Any, str]:
    """A post-paid account whose bill's automatic charge failed (cards 0341 and 3184)."""
    account, _ = await _postpaid(app, email, card=card)
    billing = app.state.services.billing
    clock.set(at(2026, 11, 15))
    await billing.record_usage(account, "5.00", "Compute")
    clock.set(at(2026, 12, 3))
    await billing.run(date(2026, 12, 3))
    _, gql = await _signed_in(app, email)  # the first session has expired meanwhile
    edges = (await gql(BILLS))["data"]["me"]["bills"]["edges"]
    [bill] = [edge["node"] for edge in edges]
    assert bill["status"] == "UNPAID"
    return account, gql, bill["id"]


async def _pay(gql: GraphQLClient, bill_id: str, key: str = "pay-1", **extra: Any) -> Any:
    variables = {"input": {"billId": bill_id, "idempotencyKey": key, **extra}}
    return (await gql(PAY, variables))["data"]["payBill"]


async def _add_card(gql: GraphQLClient, number: str, key: str) -> str:
    token = (await tokenize(gql, number)).json()["id"]
    started = (await bind(gql, token, key))["attempt"]
    await answer_bank(gql, started["nextAction"]["redirectUrl"], "approve")
    await attempt_until(gql, started["id"], lambda a: a["status"] == "SUCCEEDED")
    cards = (await gql("{ me { paymentCards { id last4 } } }"))["data"]["me"]["paymentCards"]
    return next(c["id"] for c in cards if c["last4"] == number.replace(" ", "")[-4:])


async def _payment_until(gql: GraphQLClient, payment_id: str, status: str) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while True:
        payment = (await gql(PAYMENT, {"id": payment_id}))["data"]["node"]
        if payment["status"] == status:
            return payment
        assert loop.time() < deadline, payment
        await asyncio.sleep(0.05)


async def test_the_default_card_pays_on_session_even_when_off_session_fails(
    billing_app, clock
) -> None:
    _, gql, bill_id = await _unpaid_bill(billing_app, clock, "eva@example.com", "4000000000000341")
    paid = await _pay(gql, bill_id)
    assert paid["errors"] == []
    payment = paid["payment"]
    assert (payment["status"], payment["cardLast4"], payment["nextAction"]) == (
        "SUCCEEDED",
        "0341",
        None,
    )
    assert payment["amount"] == {"amount": "5.95", "currency": "EUR"}
    assert payment["bill"]["status"] == "PAID"
    assert payment["completedAt"] is not None
    bill = await Bill.get()
    assert bill.status is BillStatus.PAID
    assert bill.active_payment_id is None
    receipts = [m for m in await outbox(billing_app) if m["kind"] == "bill-paid"]
    assert len(receipts) == 1
    assert "0341" in receipts[0]["body"]
    # Newest first: this payment, then the automatic charge that failed.
    payments = (await gql(BILLS))["data"]["me"]["bills"]["edges"][0]["node"]["payments"]
    assert [p["status"] for p in payments] == ["SUCCEEDED", "FAILED"]
    # The same key and input answer the same payment; a paid bill refuses a new one.
    assert (await _pay(gql, bill_id))["payment"]["id"] == payment["id"]
    again = await _pay(gql, bill_id, key="pay-2")
    assert again["payment"] is None
    assert [(e["code"], e["field"]) for e in again["errors"]] == [("BILL_ALREADY_PAID", "billId")]


async def test_another_card_pays_when_named(billing_app, clock) -> None:
    _, gql, bill_id = await _unpaid_bill(billing_app, clock, "eva@example.com", "4000000000000341")
    card_id = await _add_card(gql, "4242 4242 4242 4242", "second-card")
    payment = (await _pay(gql, bill_id, cardId=card_id))["payment"]
    assert (payment["status"], payment["cardLast4"]) == ("SUCCEEDED", "4242")


async def test_the_bank_page_approves_then_the_bill_is_paid(billing_app, clock) -> None:
    _, gql, bill_id = await _unpaid_bill(billing_app, clock, "eva@example.com", "4000002760003184")
    started = await _pay(gql, bill_id, returnUrl="https://app.example.test/bills")
    assert started["errors"] == []
    payment = started["payment"]
    assert payment["status"] == "REQUIRES_ACTION"
    assert payment["nextAction"]["type"] == "REDIRECT_TO_BANK"
    assert payment["nextAction"]["redirectUrl"].startswith("http://testserver.local/sandbox/bank/")
    assert payment["bill"]["status"] == "UNPAID"
    # While it waits on the bank page, no other payment of the bill starts.
    busy = await _pay(gql, bill_id, key="pay-2")
    assert [e["code"] for e in busy["errors"]] == ["PAYMENT_IN_PROGRESS"]
    await answer_bank(gql, payment["nextAction"]["redirectUrl"], "approve")
    done = await _payment_until(gql, payment["id"], "SUCCEEDED")
    assert done["nextAction"] is None
    assert done["bill"]["status"] == "PAID"
    assert [m for m in await outbox(billing_app) if m["kind"] == "bill-paid"]


async def test_declining_on_the_bank_page_fails_the_payment(billing_app, clock) -> None:
    _, gql, bill_id = await _unpaid_bill(billing_app, clock, "eva@example.com", "4000002760003184")
    payment = (await _pay(gql, bill_id))["payment"]
    await answer_bank(gql, payment["nextAction"]["redirectUrl"], "decline")
    failed = await _payment_until(gql, payment["id"], "FAILED")
    assert failed["failureReason"] == "AUTHENTICATION_FAILED"
    assert failed["bill"]["status"] == "UNPAID"
    # The bill is free again: a new payment may start.
    again = await _pay(gql, bill_id, key="pay-2")
    assert again["errors"] == []
    assert again["payment"]["status"] == "REQUIRES_ACTION"


async def test_an_automatic_retry_waits_for_a_payment_on_the_bank_page(billing_app, clock) -> None:
    _, gql, bill_id = await _unpaid_bill(billing_app, clock, "eva@example.com", "4000002760003184")
    payment = (await _pay(gql, bill_id))["payment"]
    bill = await Bill.get()
    attempts = bill.charge_attempts
    clock.set(at(2026, 12, 4))
    await billing_app.state.services.billing.run(date(2026, 12, 4))
    bill = await Bill.get()
    assert bill.charge_attempts == attempts  # skipped, its retry kept for later
    assert bill.next_charge_at is not None
    assert await BillPayment.filter(bill_id=bill.id).count() == 2
    await answer_bank(gql, payment["nextAction"]["redirectUrl"], "approve")
    await _payment_until(gql, payment["id"], "SUCCEEDED")
    await billing_app.state.services.billing.run(date(2026, 12, 4))
    assert await BillPayment.filter(bill_id=bill.id).count() == 2  # paid: nothing to retry


async def test_refusals(billing_app, clock) -> None:
    account, gql, bill_id = await _unpaid_bill(
        billing_app, clock, "eva@example.com", "4000000000000341"
    )
    _, other, other_bill = await _unpaid_bill(
        billing_app, clock, "other@example.com", "4000000000000341"
    )
    other_card = (await other("{ me { paymentCards { id } } }"))["data"]["me"]["paymentCards"]

    async def codes(**input_: Any) -> list[tuple[str, str | None]]:
        answer = await _pay(gql, **input_)
        assert answer["payment"] is None
        return [(e["code"], e["field"]) for e in answer["errors"]]

    assert await codes(bill_id=other_bill, key="k1") == [("NOT_FOUND", "billId")]
    assert await codes(bill_id="QmlsbDox", key="k2") == [("NOT_FOUND", "billId")]
    assert await codes(bill_id=bill_id, key="k3", cardId=other_card[0]["id"]) == [
        ("NOT_FOUND", "cardId")
    ]
    assert await codes(bill_id=bill_id, key="k4", returnUrl="https://evil.example/x") == [
        ("RETURN_URL_NOT_ALLOWED", "returnUrl")
    ]
    assert await codes(bill_id=bill_id, key=" ") == [("INVALID_INPUT", "idempotencyKey")]
    # A refused request frees its key; used with other input, a key is refused.
    assert (await _pay(gql, bill_id, key="k1"))["payment"]["status"] == "SUCCEEDED"
    assert await codes(bill_id=bill_id, key="k1", returnUrl="https://app.example.test/") == [
        ("IDEMPOTENCY_KEY_REUSED", "idempotencyKey")
    ]
    # Without a card to charge (as if every card were gone): NO_PAYMENT_CARD.
    from models.cards import PaymentCard

    await Bill.filter(account_id=account.id).update(status=BillStatus.UNPAID)
    await PaymentCard.filter(account_id=account.id).update(is_default=False)
    assert await codes(bill_id=bill_id, key="k5") == [("NO_PAYMENT_CARD", "cardId")]


async def test_concurrent_payments_of_one_bill_make_one_payment(billing_app, clock) -> None:
    _, gql, bill_id = await _unpaid_bill(billing_app, clock, "eva@example.com", "4000002760003184")
    answers = await asyncio.gather(*(_pay(gql, bill_id, key=f"race-{i}") for i in range(10)))
    started = [a["payment"] for a in answers if a["payment"]]
    refused = [e["code"] for a in answers for e in a["errors"]]
    assert len(started) == 1
    assert started[0]["status"] == "REQUIRES_ACTION"
    assert refused == ["PAYMENT_IN_PROGRESS"] * 9
    bill = await Bill.get()
    assert await BillPayment.filter(bill_id=bill.id, off_session=False).count() == 1


async def test_the_webhook_settles_once_and_a_redelivery_changes_nothing(
    app_factory, clock
) -> None:
    async with app_factory(clock=clock, limit_codes_per_destination="50/minute") as app:
        _, gql, bill_id = await _unpaid_bill(app, clock, "eva@example.com", "4000002760003184")
        payment = (await _pay(gql, bill_id))["payment"]
        await answer_bank(gql, payment["nextAction"]["redirectUrl"], "approve")
        await _payment_until(gql, payment["id"], "SUCCEEDED")
        await app.state.services.billing.payments.sync(
            (await BillPayment.get(off_session=False)).gateway_reference
        )
        receipts = [m for m in await outbox(app) if m["kind"] == "bill-paid"]
        assert len(receipts) == 1


async def test_a_payment_left_on_the_bank_page_times_out_and_frees_the_bill(
    billing_app, clock
) -> None:
    _, gql, bill_id = await _unpaid_bill(billing_app, clock, "eva@example.com", "4000002760003184")
    waiting = (await _pay(gql, bill_id))["payment"]
    assert waiting["status"] == "REQUIRES_ACTION"
    sweep = billing_app.state.services.billing.payments.sweep
    await sweep()  # not yet expired
    assert (await gql(PAYMENT, {"id": waiting["id"]}))["data"]["node"]["status"] == (
        "REQUIRES_ACTION"
    )
    clock.advance(seconds=billing_app.state.settings.threeds_timeout_s + 1)
    await sweep()
    ended = (await gql(PAYMENT, {"id": waiting["id"]}))["data"]["node"]
    assert (ended["status"], ended["failureReason"]) == ("FAILED", "AUTHENTICATION_TIMEOUT")
    # The bank link no longer works, and the bill may be paid again.
    page = await gql.http.get(
        waiting["nextAction"]["redirectUrl"].removeprefix("http://testserver.local")
    )
    assert page.status_code == 410
    again = await _pay(gql, bill_id, key="pay-2")
    assert again["errors"] == []


async def test_a_card_with_a_payment_running_cannot_be_removed(billing_app, clock) -> None:
    _, gql, bill_id = await _unpaid_bill(billing_app, clock, "eva@example.com", "4000002760003184")
    other = await _add_card(gql, "4242 4242 4242 4242", "second")
    await gql(
        "mutation($input: CardInput!) { setDefaultCard(input: $input) { errors { code } } }",
        {"input": {"cardId": other}},
    )
    cards = (await gql("{ me { paymentCards { id last4 } } }"))["data"]["me"]["paymentCards"]
    busy_card = next(c["id"] for c in cards if c["last4"] == "3184")
    waiting = (await _pay(gql, bill_id, cardId=busy_card))["payment"]
    assert waiting["status"] == "REQUIRES_ACTION"
    remove = """mutation($input: CardInput!) { removeCard(input: $input) {
      removedCardId errors { field code } } }"""
    refused = (await gql(remove, {"input": {"cardId": busy_card}}))["data"]["removeCard"]
    assert refused["errors"] == [{"field": "cardId", "code": "PAYMENT_IN_PROGRESS"}]
    await answer_bank(gql, waiting["nextAction"]["redirectUrl"], "approve")
    await _payment_until(gql, waiting["id"], "SUCCEEDED")
    removed = (await gql(remove, {"input": {"cardId": busy_card}}))["data"]["removeCard"]
    assert removed["errors"] == []


async def _flagged_by_failures(app: Any, clock: Any) -> tuple[Account, Any, str]:
    """Card 0341: every automatic charge fails, and after the last retry the account is flagged."""
    account, gql, bill_id = await _unpaid_bill(app, clock, "eva@example.com", "4000000000000341")
    billing = app.state.services.billing
    for day in (4, 6, 10):
        clock.set(at(2026, 12, day))
        await billing.run(date(2026, 12, day))
    account = await Account.get(id=account.id)
    assert account.arrears_risk
    return account, gql, bill_id


async def test_paying_every_bill_lifts_a_flag_that_failed_charges_set(billing_app, clock) -> None:
    account, gql, bill_id = await _flagged_by_failures(billing_app, clock)
    paid = await _pay(gql, bill_id)  # 0341 fails only off-session
    assert paid["payment"]["status"] == "SUCCEEDED"
    account = await Account.get(id=account.id)
    assert not account.arrears_risk
    assert [m for m in await outbox(billing_app) if m["kind"] == "arrears-lifted"]


async def test_an_operators_flag_stays_when_the_bills_are_paid(billing_app, clock) -> None:
    account, gql, bill_id = await _flagged_by_failures(billing_app, clock)
    billing = billing_app.state.services.billing
    # An operator's word on top.
    await billing.flag_arrears(account, "manual review", actor=OPERATOR)
    await _pay(gql, bill_id)
    assert (await Account.get(id=account.id)).arrears_risk
    assert not [m for m in await outbox(billing_app) if m["kind"] == "arrears-lifted"]
    await billing.clear_arrears(account, "reviewed", actor=OPERATOR)
    assert not (await Account.get(id=account.id)).arrears_risk
