"""A bill is charged once: when the gateway's answer is lost (the payment keeps the bill and
the gateway is asked again with the same key), when the process dies mid-charge, and when
payBill is sent many times at once with one idempotency key (sandbox gateway; the Stripe
side is in test_stripe.py).

No job runs by itself here: the clock is frozen and the test takes each job's step.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from gateways.sandbox.models import SandboxCharge
from models.accounts import Account
from models.billing import Bill, BillPayment, BillPaymentKey, BillPaymentStatus, BillStatus
from models.cards import PaymentCard
from services.bill_payments import CALL_LEASE
from services.cards.results import PAYMENT_CHECKING
from services.clock import FrozenClock
from tests.conftest import GraphQLClient, http_client, outbox, take_step
from tests.flows import answer_bank, bind, ready_for_card, tokenize
from tests.test_billing import _signed_in, at
from tests.test_pay_bill import _pay


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(at(2026, 10, 20))


@pytest.fixture
async def stepped_app(app_factory: Any, clock: FrozenClock) -> Any:
    async with app_factory(clock=clock, jobs=False, limit_codes_per_destination="50/minute") as app:
        yield app


async def _billed(app: Any, clock: FrozenClock, card: str) -> tuple[Account, GraphQLClient]:
    """A post-paid account with November's usage, on December 3rd before the run."""
    email = "eva@example.com"
    gql = GraphQLClient(http_client(app))
    await ready_for_card(gql, app, email)
    token = (await tokenize(gql, card)).json()["id"]
    started = (await bind(gql, token, "card"))["attempt"]
    await answer_bank(gql, started["nextAction"]["redirectUrl"], "approve")
    await take_step(app, "sandbox-webhooks")  # verification.succeeded: the card is bound
    account = await Account.get(email=email)
    assert await PaymentCard.filter(account_id=account.id, is_default=True).exists()
    clock.set(at(2026, 11, 15))
    await app.state.services.billing.record_usage(account, "5.00", "Compute")
    clock.set(at(2026, 12, 3))
    return account, (await _signed_in(app, email))[1]


def _answer_lost(
    monkeypatch: pytest.MonkeyPatch, app: Any, call: str, error: BaseException
) -> None:
    """The gateway makes the call (the card is charged), then its answer never arrives."""
    gateway = app.state.services.gateway
    real = getattr(gateway, call)

    async def charged_then_lost(**kwargs: Any) -> Any:
        await real(**kwargs)
        raise error

    monkeypatch.setattr(gateway, call, charged_then_lost)


BILL = "{ me { bills { edges { node { id payments { id status result } } } } } }"


async def _bill(gql: GraphQLClient) -> tuple[str, list[dict[str, Any]]]:
    """The account's one bill: its GraphQL id and its payments, newest first."""
    [edge] = (await gql(BILL))["data"]["me"]["bills"]["edges"]
    return edge["node"]["id"], edge["node"]["payments"]


async def _kinds(app: Any) -> list[str]:
    return [m["kind"] for m in await outbox(app)]


async def test_an_automatic_charge_whose_answer_was_lost_is_settled_once(
    stepped_app: Any, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = stepped_app
    billing = app.state.services.billing
    _, gql = await _billed(app, clock, "4242 4242 4242 4242")
    _answer_lost(monkeypatch, app, "charge_off_session", ConnectionError("connection reset"))
    await billing.run(date(2026, 12, 3))
    monkeypatch.undo()

    bill = await Bill.get()
    [payment] = await BillPayment.filter(bill_id=bill.id)
    # The card may have been charged: the payment keeps the bill, no retry is scheduled.
    assert payment.status is BillPaymentStatus.PROCESSING
    assert (bill.status, bill.active_payment_id, bill.next_charge_at) == (
        BillStatus.UNPAID,
        payment.id,
        None,
    )
    assert await SandboxCharge.filter(off_session=True).count() == 1
    _, [shown] = await _bill(gql)
    assert (shown["status"], shown["result"]) == ("PROCESSING", str(PAYMENT_CHECKING))

    await take_step(app, "bill-payments")  # not due yet: nothing asked
    assert (await BillPayment.get(id=payment.id)).status is BillPaymentStatus.PROCESSING
    clock.advance(seconds=30)
    await take_step(app, "bill-payments")  # asked again, with the same key
    await take_step(app, "bill-payments")  # settled: nothing more to ask

    payment = await BillPayment.get(id=payment.id)
    bill = await Bill.get()
    assert payment.status is BillPaymentStatus.SUCCEEDED
    assert payment.checks == 1
    assert payment.gateway_reference == (await SandboxCharge.get(off_session=True)).id
    assert (bill.status, bill.active_payment_id) == (BillStatus.PAID, None)
    assert await SandboxCharge.filter(off_session=True).count() == 1
    kinds = await _kinds(app)
    assert kinds.count("bill-paid") == 1
    assert "bill-payment-failed" not in kinds
    clock.set(at(2026, 12, 4))
    await billing.run(date(2026, 12, 4))
    assert await BillPayment.filter(bill_id=bill.id).count() == 1


class ProcessDied(BaseException):
    """The process stops there (killed, crashed): none of its code runs after."""


async def test_a_charge_cancelled_at_shutdown_is_handed_over_at_once(
    stepped_app: Any, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelled past the shutdown's grace (api/shutdown.py), the call's answer is unknown:
    the payment keeps its bill and is due for another process to ask about now, not after
    the call's lease."""
    app = stepped_app
    await _billed(app, clock, "4242 4242 4242 4242")
    _answer_lost(monkeypatch, app, "charge_off_session", asyncio.CancelledError())
    with pytest.raises(asyncio.CancelledError):
        await app.state.services.billing.run(date(2026, 12, 3))
    monkeypatch.undo()
    [payment] = await BillPayment.all()
    handed_over = (payment.status, payment.next_check_at)
    kept = (await Bill.get()).active_payment_id

    await take_step(app, "bill-payments")  # the same moment: no lease to wait for

    assert handed_over == (BillPaymentStatus.PROCESSING, clock.now())
    assert kept == payment.id  # the payment kept its bill: no other charge could start
    assert (await BillPayment.get(id=payment.id)).status is BillPaymentStatus.SUCCEEDED
    assert (await Bill.get()).status is BillStatus.PAID
    assert await SandboxCharge.filter(off_session=True).count() == 1  # charged once
    counted = app.state.metrics.registry.get_sample_value
    assert counted("onramp_bill_charges_total", {"outcome": "interrupted"}) == 1


@pytest.mark.parametrize("dies", ["after the gateway charged", "right after the claim"])
async def test_a_charge_whose_process_died_is_recovered_after_the_call_lease(
    stepped_app: Any, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch, dies: str
) -> None:
    app = stepped_app
    billing = app.state.services.billing
    await _billed(app, clock, "4242 4242 4242 4242")
    if dies == "after the gateway charged":
        _answer_lost(monkeypatch, app, "charge_off_session", ProcessDied())
    else:

        async def never_called(_: BillPayment) -> None:
            raise ProcessDied  # the process stops between claim and call

        monkeypatch.setattr(billing.payments, "call", never_called)
    with pytest.raises(ProcessDied):
        await billing.run(date(2026, 12, 3))
    monkeypatch.undo()
    charged_before = await SandboxCharge.filter(off_session=True).count()
    [payment] = await BillPayment.all()
    assert payment.status is BillPaymentStatus.PROCESSING
    assert payment.next_check_at is None  # nothing recorded the loss

    clock.advance(seconds=CALL_LEASE.total_seconds() - 1)
    await take_step(app, "bill-payments")  # its call may still be running elsewhere
    assert (await BillPayment.get(id=payment.id)).status is BillPaymentStatus.PROCESSING
    clock.advance(seconds=1)
    await take_step(app, "bill-payments")

    assert charged_before == (1 if dies == "after the gateway charged" else 0)
    assert (await BillPayment.get(id=payment.id)).status is BillPaymentStatus.SUCCEEDED
    assert (await Bill.get()).status is BillStatus.PAID
    assert await SandboxCharge.filter(off_session=True).count() == 1
    assert (await _kinds(app)).count("bill-paid") == 1


async def test_a_lost_answer_for_a_declined_card_fails_once_and_schedules_the_retry(
    stepped_app: Any, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = stepped_app
    await _billed(app, clock, "4000 0000 0000 0341")  # fails off-session
    _answer_lost(monkeypatch, app, "charge_off_session", TimeoutError())
    await app.state.services.billing.run(date(2026, 12, 3))
    monkeypatch.undo()
    assert (await Bill.get()).next_charge_at is None
    clock.advance(seconds=30)
    await take_step(app, "bill-payments")
    await take_step(app, "bill-payments")

    [payment] = await BillPayment.all()
    bill = await Bill.get()
    assert (payment.status, payment.failure_reason) == (BillPaymentStatus.FAILED, "DECLINED")
    assert (bill.status, bill.active_payment_id) == (BillStatus.UNPAID, None)
    assert bill.next_charge_at == datetime(2026, 12, 4, tzinfo=UTC)
    assert bill.last_charge_error == "card_declined"
    assert await SandboxCharge.filter(off_session=True).count() == 1
    assert (await _kinds(app)).count("bill-payment-failed") == 1


async def test_while_the_gateway_is_down_the_payment_keeps_its_bill_and_is_asked_less_often(
    stepped_app: Any, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = stepped_app
    billing = app.state.services.billing
    _, gql = await _billed(app, clock, "4242 4242 4242 4242")
    asked = []

    async def down(**kwargs: Any) -> None:
        asked.append(kwargs["idempotency_key"])
        raise ConnectionError("gateway down")

    monkeypatch.setattr(app.state.services.gateway, "charge_off_session", down)
    await billing.run(date(2026, 12, 3))
    for wait in (30, 60, 120):
        clock.advance(seconds=wait - 1)
        await take_step(app, "bill-payments")  # not yet
        clock.advance(seconds=1)
        await take_step(app, "bill-payments")
    payment = await BillPayment.get()
    assert payment.status is BillPaymentStatus.PROCESSING
    assert payment.checks == 3
    assert payment.next_check_at == clock.now() + timedelta(minutes=4)
    bill = await Bill.get()
    assert len(set(asked)) == 1  # every try carried the key of the bill's first attempt
    assert asked[0] == f"bill:{bill.id}:0"
    assert len(asked) == 4
    # Meanwhile nothing else charges the bill: not the person, not an automatic retry.
    bill_id, _ = await _bill(gql)
    refused = await _pay(gql, bill_id)
    assert [e["code"] for e in refused["errors"]] == ["PAYMENT_IN_PROGRESS"]
    clock.set(at(2026, 12, 4))
    await billing.run(date(2026, 12, 4))
    assert await BillPayment.all().count() == 1

    monkeypatch.undo()  # the gateway is back
    await take_step(app, "bill-payments")
    assert (await BillPayment.get()).status is BillPaymentStatus.SUCCEEDED
    assert (await Bill.get()).status is BillStatus.PAID
    assert await SandboxCharge.filter(off_session=True).count() == 1


# payBill


async def _unpaid(app: Any, clock: FrozenClock, card: str) -> tuple[GraphQLClient, str]:
    """A bill left UNPAID by its failed automatic charge (0341, 3184), and its GraphQL id."""
    _, gql = await _billed(app, clock, card)
    await app.state.services.billing.run(date(2026, 12, 3))
    bill_id, [failed] = await _bill(gql)
    assert failed["status"] == "FAILED"
    return gql, bill_id


async def test_pay_bill_answers_processing_when_the_answer_is_lost_then_settles_it(
    stepped_app: Any, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = stepped_app
    gql, bill_id = await _unpaid(app, clock, "4000 0000 0000 0341")  # fine on-session
    _answer_lost(monkeypatch, app, "charge_on_session", ConnectionError("connection reset"))
    answer = await _pay(gql, bill_id)
    monkeypatch.undo()

    assert answer["errors"] == []
    payment = answer["payment"]
    assert (payment["status"], payment["result"]) == ("PROCESSING", str(PAYMENT_CHECKING))
    assert payment["bill"]["status"] == "UNPAID"
    # The same key answers the same payment at once; another payment of the bill waits.
    assert (await _pay(gql, bill_id))["payment"]["id"] == payment["id"]
    other = await _pay(gql, bill_id, key="pay-2")
    assert [e["code"] for e in other["errors"]] == ["PAYMENT_IN_PROGRESS"]
    clock.set(at(2026, 12, 4))  # the automatic retry's day: it waits too
    await app.state.services.billing.run(date(2026, 12, 4))
    assert await BillPayment.all().count() == 2

    await take_step(app, "bill-payments")
    query = (
        "query($id: ID!) { node(id: $id) { ... on BillPayment { status result bill { status } } } }"
    )
    settled = (await gql(query, {"id": payment["id"]}))["data"]["node"]
    assert (settled["status"], settled["bill"]["status"]) == ("SUCCEEDED", "PAID")
    # One on-session charge of the bill's 5.95 EUR (the card's deposit is the other).
    assert await SandboxCharge.filter(off_session=False, amount="5.95").count() == 1
    assert (await _kinds(app)).count("bill-paid") == 1


async def test_pay_bill_whose_bank_page_link_was_lost_is_canceled_and_frees_the_bill(
    stepped_app: Any, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = stepped_app
    gql, bill_id = await _unpaid(app, clock, "4000 0027 6000 3184")  # wants the bank page
    _answer_lost(monkeypatch, app, "charge_on_session", ConnectionError("connection reset"))
    payment = (await _pay(gql, bill_id))["payment"]
    monkeypatch.undo()
    assert payment["status"] == "PROCESSING"
    clock.advance(seconds=30)
    await take_step(app, "bill-payments")
    # The sandbox's bank link is single-use and shown once: the intent is canceled instead.
    ended = await BillPayment.get(id=(await BillPayment.get(off_session=False)).id)
    assert (ended.status, ended.failure_reason) == (BillPaymentStatus.FAILED, "PROCESSING_ERROR")
    assert (await Bill.get()).active_payment_id is None
    again = await _pay(gql, bill_id, key="pay-2")
    assert again["errors"] == []
    assert again["payment"]["status"] == "REQUIRES_ACTION"


# payBill with one idempotency key, many times at once


async def test_concurrent_pay_bills_with_one_key_return_one_payment(
    stepped_app: Any, clock: FrozenClock
) -> None:
    app = stepped_app
    gql, bill_id = await _unpaid(app, clock, "4000 0000 0000 0341")
    answers = await asyncio.gather(*(_pay(gql, bill_id, key="same") for _ in range(12)))
    assert [a["errors"] for a in answers] == [[]] * 12
    assert len({a["payment"]["id"] for a in answers}) == 1
    assert {a["payment"]["status"] for a in answers} == {"SUCCEEDED"}
    assert await BillPayment.filter(off_session=False).count() == 1
    assert await BillPaymentKey.all().count() == 1
    assert await SandboxCharge.filter(off_session=False, amount="5.95").count() == 1
    assert (await _kinds(app)).count("bill-paid") == 1


async def test_a_retry_with_the_key_waits_for_the_answer_of_the_request_that_holds_it(
    stepped_app: Any, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = stepped_app
    gql, bill_id = await _unpaid(app, clock, "4000 0000 0000 0341")
    gateway = app.state.services.gateway
    real_charge = gateway.charge_on_session
    at_the_gateway = asyncio.Event()
    release = asyncio.Event()

    async def slow_charge(**kwargs: Any) -> Any:
        at_the_gateway.set()
        await release.wait()
        return await real_charge(**kwargs)

    retries = 5
    seen_in_flight = asyncio.Event()
    reads: list[BillPaymentKey] = []
    real_read = BillPaymentKey.get_or_none

    async def counted_read(**filters: Any) -> BillPaymentKey | None:
        stored = await real_read(**filters)
        if stored is not None and stored.answering and stored.payment_id is not None:
            reads.append(stored)
            if len(reads) >= retries:
                seen_in_flight.set()
        return stored

    monkeypatch.setattr(gateway, "charge_on_session", slow_charge)
    first = asyncio.create_task(_pay(gql, bill_id, key="slow"))
    await asyncio.wait_for(at_the_gateway.wait(), 5)
    monkeypatch.setattr(BillPaymentKey, "get_or_none", counted_read)
    others = [asyncio.create_task(_pay(gql, bill_id, key="slow")) for _ in range(retries)]
    # Every retry found the key held by a request still at the gateway ...
    await asyncio.wait_for(seen_in_flight.wait(), 5)
    assert not any(task.done() for task in others)
    release.set()
    answers = [await first, *[await task for task in others]]

    # ... and answered what that request answered once it had.
    assert [a["errors"] for a in answers] == [[]] * (retries + 1)
    assert {(a["payment"]["id"], a["payment"]["status"]) for a in answers} == {
        (answers[0]["payment"]["id"], "SUCCEEDED")
    }
    assert await SandboxCharge.filter(off_session=False, amount="5.95").count() == 1


# The arrears flag that charges set and lift, as every process reads it


async def test_the_arrears_flag_that_charges_set_and_lift_shows_in_the_next_query(
    stepped_app: Any, clock: FrozenClock
) -> None:
    app = stepped_app
    gql, bill_id = await _unpaid(app, clock, "4000 0000 0000 0341")  # fails off-session
    billing = app.state.services.billing
    flag = "{ me { billing { arrearsRisk } } }"
    for day in (4, 6):
        clock.set(at(2026, 12, day))
        await billing.run(date(2026, 12, day))
    clock.set(at(2026, 12, 10))
    assert (await gql(flag))["data"]["me"]["billing"]["arrearsRisk"] is False  # now cached
    await billing.run(date(2026, 12, 10))  # the last retry fails: flagged
    assert (await gql(flag))["data"]["me"]["billing"]["arrearsRisk"] is True
    assert (await _pay(gql, bill_id))["payment"]["status"] == "SUCCEEDED"  # lifted
    assert (await gql(flag))["data"]["me"]["billing"]["arrearsRisk"] is False
