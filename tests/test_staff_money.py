"""Billing staff: arrears flagged and cleared with a reason, usage, a bill charged now and a
stuck deposit refunded, each with its audit row written in the change's own transaction;
a refund asked for twice at once reaches the gateway once."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest

from models.accounts import Account
from models.billing import Bill, BillStatus
from models.staff import AuditEntry, StaffRole
from services.clock import FrozenClock
from tests.conftest import GraphQLClient, http_client, take_step
from tests.flows import answer_bank, bind, ready_for_card, tokenize
from tests.staff_flows import START, sign_in_again, signed_in_member

CUSTOMER = "eva@example.com"
ERR = "errors { field code message }"
FLAG = f"""mutation($input: ArrearsInput!) {{ flagArrears(input: $input) {{
  account {{ arrearsRisk arrearsReason }} {ERR} }} }}"""
CLEAR = f"""mutation($input: ArrearsInput!) {{ clearArrears(input: $input) {{
  account {{ arrearsRisk arrearsReason }} {ERR} }} }}"""
USAGE = f"""mutation($input: RecordUsageInput!) {{ recordUsage(input: $input) {{ {ERR} }} }}"""
CHARGE = f"""mutation($input: ChargeBillInput!) {{ chargeBill(input: $input) {{
  bill {{ status chargeAttempts }} payment {{ status offSession failureReason result }}
  {ERR} }} }}"""
REFUND = f"""mutation($input: RefundDepositInput!) {{ refundDeposit(input: $input) {{
  attempt {{ depositStatus refundRetriedAt }} {ERR} }} }}"""
VIEW = """query($id: ID!) { account(id: $id) { arrearsRisk
  cardBindingAttempts { id status depositStatus }
  bills { id number status payments { status } } } }"""
CUSTOMER_BILLING = "{ me { billing { arrearsRisk } } }"


@pytest.fixture
async def billing_desk(app_factory):
    """A post-paid customer (card bound, jobs stepped by hand) and a billing member."""
    clock = FrozenClock(START)
    async with app_factory(clock=clock, jobs=False, limit_codes_per_destination="50/minute") as app:
        member, staff = await signed_in_member(app, clock, "bo@onramp.example", StaffRole.BILLING)
        yield app, clock, staff, member


async def _customer_with_card(app, number: str, email: str = CUSTOMER) -> GraphQLClient:
    gql = GraphQLClient(http_client(app, client_ip="192.0.2.44"))
    await ready_for_card(gql, app, email)
    token = (await tokenize(gql, number)).json()["id"]
    started = (await bind(gql, token, f"k-{email}"))["attempt"]
    await answer_bank(gql, started["nextAction"]["redirectUrl"], "approve")
    await take_step(app, "sandbox-webhooks")  # verification.succeeded: the card is bound
    return gql


async def _account_id(staff, email: str = CUSTOMER) -> str:
    body = await staff(
        "query($e: String!) { searchAccounts(input: {email: $e}) { id } }", {"e": email}
    )
    return body["data"]["searchAccounts"][0]["id"]


async def test_arrears_flagged_and_cleared_with_a_reason_and_audit_rows(billing_desk) -> None:
    app, clock, staff, member = billing_desk
    customer = await _customer_with_card(app, "4242 4242 4242 4242")
    account_id = await _account_id(staff)
    no_reason = (await staff(FLAG, {"input": {"accountId": account_id, "reason": " "}}))["data"]
    clock.advance(seconds=1)
    flagged = await staff(FLAG, {"input": {"accountId": account_id, "reason": "Chargeback"}})
    seen_by_customer = (await customer(CUSTOMER_BILLING))["data"]["me"]["billing"]
    clock.advance(seconds=1)
    usage = await staff(
        USAGE, {"input": {"accountId": account_id, "amount": "3.00", "description": "Compute"}}
    )
    clock.advance(seconds=1)
    cleared = await staff(CLEAR, {"input": {"accountId": account_id, "reason": "Paid by wire"}})
    rows = await AuditEntry.filter(account_id=(await Account.get(email=CUSTOMER)).id).order_by(
        "created_at"
    )

    assert [(e["field"], e["code"]) for e in no_reason["flagArrears"]["errors"]] == [
        ("reason", "INVALID_INPUT")
    ]
    assert flagged["data"]["flagArrears"]["account"] == {
        "arrearsRisk": True,
        "arrearsReason": "Chargeback",
    }
    assert seen_by_customer == {"arrearsRisk": True}
    assert usage["data"]["recordUsage"]["errors"] == []
    assert (await Bill.get()).kind == "IMMEDIATE"  # flagged: billed at once
    assert cleared["data"]["clearArrears"]["account"] == {
        "arrearsRisk": False,
        "arrearsReason": None,
    }
    assert [row.action for row in rows] == [
        "arrears.flag",
        "usage.record",
        "arrears.clear",
    ]
    flag, _, clear = rows
    assert (flag.actor, flag.staff_id, flag.client_ip) == (
        member.email,
        flag.staff_id,
        "203.0.113.7",
    )
    assert flag.staff_id is not None
    assert flag.reason == "Chargeback"
    assert flag.before == {"arrearsRisk": False, "arrearsReason": None, "fromCharges": False}
    assert flag.after == {"arrearsRisk": True, "arrearsReason": "Chargeback", "fromCharges": False}
    assert clear.before == flag.after
    assert clear.after["arrearsRisk"] is False
    assert clear.reason == "Paid by wire"


async def test_the_audit_row_is_written_in_the_changes_own_transaction(
    billing_desk, monkeypatch
) -> None:
    app, _, staff, _ = billing_desk
    await _customer_with_card(app, "4242 4242 4242 4242")
    account_id = await _account_id(staff)

    async def broken(*args, **kwargs):
        raise RuntimeError("the audit table is unwritable")

    monkeypatch.setattr(app.state.services.audit, "record", broken)
    body = await staff(FLAG, {"input": {"accountId": account_id, "reason": "Chargeback"}})

    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert not (await Account.get(email=CUSTOMER)).arrears_risk  # no row, no change


async def test_a_bill_is_charged_now_as_its_next_retry(billing_desk) -> None:
    app, clock, staff, member = billing_desk
    await _customer_with_card(app, "4000 0000 0000 0341")  # off-session charges fail
    await _customer_with_card(app, "4242 4242 4242 4242", email="paid@example.com")
    billing = app.state.services.billing
    for email in (CUSTOMER, "paid@example.com"):
        clock.set(datetime(2026, 11, 27, tzinfo=UTC))
        await billing.record_usage(await Account.get(email=email), "5.00", "Compute")
    clock.set(datetime(2026, 12, 3, 1, tzinfo=UTC))
    await billing.run(date(2026, 12, 3))
    await sign_in_again(staff, member)
    unpaid = await Bill.get(status=BillStatus.UNPAID)
    paid = await Bill.get(status=BillStatus.PAID)
    view = (await staff(VIEW, {"id": await _account_id(staff)}))["data"]["account"]
    [bill_id] = [b["id"] for b in view["bills"]]
    paid_view = await staff(VIEW, {"id": await _account_id(staff, "paid@example.com")})
    paid_id = paid_view["data"]["account"]["bills"][0]["id"]

    charged = (await staff(CHARGE, {"input": {"billId": bill_id}}))["data"]["chargeBill"]
    already = (await staff(CHARGE, {"input": {"billId": paid_id}}))["data"]["chargeBill"]
    unknown = (await staff(CHARGE, {"input": {"billId": "QmlsbDpub3Bl"}}))["data"]["chargeBill"]
    [row] = await AuditEntry.filter(action="bill.charge")

    assert unpaid.charge_attempts == 1
    assert paid.status is BillStatus.PAID
    assert charged["errors"] == []
    assert charged["bill"] == {"status": "UNPAID", "chargeAttempts": 2}
    assert charged["payment"]["status"] == "FAILED"
    assert charged["payment"]["offSession"] is True
    assert [e["code"] for e in already["errors"]] == ["BILL_ALREADY_PAID"]
    assert [(e["field"], e["code"]) for e in unknown["errors"]] == [("billId", "NOT_FOUND")]
    assert row.subject == unpaid.number
    assert row.before == {"status": "UNPAID", "chargeAttempts": 1}
    assert row.after["chargeAttempts"] == 2


async def test_a_stuck_refund_asked_for_twice_at_once_reaches_the_gateway_once(
    billing_desk,
) -> None:
    app, _, staff, _ = billing_desk
    await _customer_with_card(app, "4000 0000 0000 5126")  # its first refund fails
    await take_step(app, "sandbox-refunds")  # ... and is retried only 5 s later: stuck
    view = (await staff(VIEW, {"id": await _account_id(staff)}))["data"]["account"]
    [attempt] = view["cardBindingAttempts"]
    gateway = app.state.services.gateway
    asked: list[str] = []
    refund = gateway.refund

    async def counted(charge: str):
        asked.append(charge)
        return await refund(charge)

    gateway.refund = counted
    other = staff.__class__(http_client(app, client_ip="203.0.113.7"))
    other.headers = staff.headers
    first, second = await asyncio.gather(
        staff(REFUND, {"input": {"attemptId": attempt["id"]}}),
        other(REFUND, {"input": {"attemptId": attempt["id"]}}),
    )
    answers = sorted(
        [first["data"]["refundDeposit"], second["data"]["refundDeposit"]],
        key=lambda a: len(a["errors"]),
    )
    await take_step(app, "sandbox-refunds")  # the retry asked for is due now
    await take_step(app, "sandbox-webhooks")  # charge.refunded
    after = (await staff(VIEW, {"id": await _account_id(staff)}))["data"]["account"]
    again = (await staff(REFUND, {"input": {"attemptId": attempt["id"]}}))["data"]

    assert attempt["depositStatus"] == "REFUND_PENDING"
    assert answers[0]["errors"] == []
    assert answers[0]["attempt"]["refundRetriedAt"] is not None
    assert [e["code"] for e in answers[1]["errors"]] == ["PAYMENT_IN_PROGRESS"]
    assert len(asked) == 1
    assert await AuditEntry.filter(action="deposit.refund").count() == 1
    assert after["cardBindingAttempts"][0]["depositStatus"] == "REFUNDED"
    assert [e["code"] for e in again["refundDeposit"]["errors"]] == ["WRONG_STATUS"]
