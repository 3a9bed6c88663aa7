"""Post-paid billing with a fixed clock: the 3rd, boundaries, currencies, tax, retries, arrears."""

from __future__ import annotations

import asyncio
import contextvars
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from api import cli
from gateways.sandbox.models import SandboxCharge
from models.accounts import Account
from models.billing import Bill, BillStatus, UsageRecord
from services.clock import FrozenClock
from services.problems import Refused
from services.staff.audit import Actor
from tests.conftest import TEST_SECRET, GraphQLClient, http_client, outbox
from tests.flows import (
    answer_bank,
    attempt_until,
    bearer,
    bind,
    login_payload,
    ready_for_card,
    sign_up,
    tokenize,
)

OPERATOR = Actor.command_line()
BILLS = """{ me {
  billing { nextBillDate arrearsRisk outstanding { amount currency } } bills { edges { node {
  id number kind status period { start end } subtotal { amount currency } taxRatePercent
  tax { amount currency } total { amount currency } issuedAt paidAt
  lines { description amount { amount currency } } } } } } }"""


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str


def at(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


async def _postpaid(app, email: str, region: str = "DE", card: str = "4242 4242 4242 4242"):
    """An account with a bound card; returns its model and a signed-in client."""
    gql = GraphQLClient(http_client(app, client_ip=f"192.0.2.{len(email) % 200 + 1}"))
    await ready_for_card(gql, app, email, region=region)
    payment_method = (await tokenize(gql, card)).json()["id"]
    started = (await bind(gql, payment_method, "bill-card"))["attempt"]
    await answer_bank(gql, started["nextAction"]["redirectUrl"], "approve")
    await attempt_until(gql, started["id"], lambda a: a["status"] == "SUCCEEDED")
    return await Account.get(email=email), gql


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(at(2026, 10, 20))


@pytest.fixture
async def billing_app(app_factory, clock):
    async with app_factory(clock=clock, limit_codes_per_destination="50/minute") as app:
        yield app


async def test_the_3rd_bills_last_month_with_tax_and_charges_the_card(billing_app, clock) -> None:
    billing = billing_app.state.services.billing
    account, _ = await _postpaid(billing_app, "eva@example.com")
    clock.set(at(2026, 11, 10))
    await billing.record_usage(account, "10.00", "Elastic Cloud Server, 100 hours")
    await billing.record_usage(account, "0.50", "Object storage, 5 GB")
    clock.set(at(2026, 12, 2))
    assert (await billing.run(date(2026, 12, 2))).bills_issued == 0

    clock.set(at(2026, 12, 3, 1))
    report = await billing.run(date(2026, 12, 3))

    [bill] = await Bill.all()
    assert report.bills_issued == 1
    assert report.period == "2026-11"
    assert (bill.period_start, bill.period_end) == (date(2026, 11, 1), date(2026, 11, 30))
    assert (bill.subtotal, bill.tax, bill.total) == ("10.50", "2.00", "12.50")  # 19 % of 10.50
    assert bill.status is BillStatus.PAID
    assert bill.paid_at is not None
    kinds = [m["kind"] for m in await outbox(billing_app)]
    assert "bill-issued" in kinds


async def test_a_run_twice_makes_one_bill_and_one_charge(billing_app, clock) -> None:
    billing = billing_app.state.services.billing
    account, _ = await _postpaid(billing_app, "eva@example.com")
    clock.set(at(2026, 11, 5))
    await billing.record_usage(account, "3.00", "Compute")
    clock.set(at(2026, 12, 3))
    await billing.run(date(2026, 12, 3))
    again = await billing.run(date(2026, 12, 3))
    assert again.bills_issued == 0
    assert await Bill.all().count() == 1
    assert await SandboxCharge.filter(off_session=True).count() == 1


async def test_no_usage_no_bill(billing_app, clock) -> None:
    await _postpaid(billing_app, "eva@example.com")
    clock.set(at(2026, 11, 3))
    assert (await billing_app.state.services.billing.run(date(2026, 11, 3))).bills_issued == 0
    assert await Bill.all().count() == 0


async def test_month_and_year_boundaries(billing_app, clock) -> None:
    billing = billing_app.state.services.billing
    account, _ = await _postpaid(billing_app, "eva@example.com")
    clock.set(datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC))
    await billing.record_usage(account, "1.00", "last second of the year")
    clock.set(datetime(2027, 1, 1, 0, 0, 0, tzinfo=UTC))
    await billing.record_usage(account, "2.00", "first second of the year")
    clock.set(at(2027, 1, 3))
    await billing.run(date(2027, 1, 3))
    clock.set(at(2027, 2, 3))
    await billing.run(date(2027, 2, 3))

    bills = {b.period_start: b for b in await Bill.all()}
    assert set(bills) == {date(2026, 12, 1), date(2027, 1, 1)}
    assert bills[date(2026, 12, 1)].subtotal == "1.00"
    assert bills[date(2026, 12, 1)].period_end == date(2026, 12, 31)
    assert bills[date(2027, 1, 1)].subtotal == "2.00"
    assert bills[date(2027, 1, 1)].number.startswith("B-202701-")


@pytest.mark.parametrize(
    ("region", "amounts", "expected"),
    [
        # JPY has no minor digits; 10 % of 1234 is 123.4, rounded half-up to 123.
        ("JP", ["1234", "1"], ("1235", "124", "1359")),
        # BHD has three; 10 % of 1.235 is 0.1235, rounded half-up to 0.124.
        ("BH", ["1.235"], ("1.235", "0.124", "1.359")),
        # Half-up at the half: 19 % of 0.50 is 0.095 -> 0.10.
        ("DE", ["0.50"], ("0.50", "0.10", "0.60")),
    ],
)
async def test_currencies_and_tax_rounding(billing_app, clock, region, amounts, expected) -> None:
    billing = billing_app.state.services.billing
    account, _ = await _postpaid(billing_app, "eva@example.com", region=region)
    clock.set(at(2026, 11, 15))
    for amount in amounts:
        await billing.record_usage(account, amount, "usage")
    clock.set(at(2026, 12, 3))
    await billing.run(date(2026, 12, 3))
    bill = await Bill.get()
    assert (bill.subtotal, bill.tax, bill.total) == expected


async def test_amounts_keep_the_currencys_minor_digits(billing_app) -> None:
    billing = billing_app.state.services.billing
    account, _ = await _postpaid(billing_app, "eva@example.com", region="JP")
    for bad in ("1.5", "-3", "0", "abc", "NaN"):
        with pytest.raises(Refused) as refused:
            await billing.record_usage(account, bad, "usage")
        assert [p.code for p in refused.value.problems] == ["INVALID_INPUT"], bad
    assert not await UsageRecord.exists()


async def test_a_failing_card_is_retried_then_the_account_is_flagged(billing_app, clock) -> None:
    billing = billing_app.state.services.billing
    account, _ = await _postpaid(billing_app, "eva@example.com", card="4000 0000 0000 0341")
    clock.set(at(2026, 11, 15))
    await billing.record_usage(account, "5.00", "Compute")
    clock.set(at(2026, 12, 3))
    await billing.run(date(2026, 12, 3))

    bill = await Bill.get()
    assert bill.status is BillStatus.UNPAID
    assert bill.next_charge_at == datetime(2026, 12, 4, tzinfo=UTC)
    attempts = [bill.charge_attempts]
    for day, next_retry in ((4, date(2026, 12, 6)), (6, date(2026, 12, 10)), (10, None)):
        clock.set(at(2026, 12, day))
        await billing.run(date(2026, 12, day))
        bill = await Bill.get()
        attempts.append(bill.charge_attempts)
        assert (bill.next_charge_at.date() if bill.next_charge_at else None) == next_retry
    assert attempts == [1, 2, 3, 4]
    assert bill.status is BillStatus.UNPAID
    assert (await Account.get(id=account.id)).arrears_risk
    failures = [m for m in await outbox(billing_app) if m["kind"] == "bill-payment-failed"]
    assert len(failures) == 4
    # The email says what to do, with links into the frontend.
    assert "https://app.example.test/cards" in failures[-1]["body"]
    assert "https://app.example.test/bills" in failures[-1]["body"]
    _, gql = await _signed_in(billing_app, "eva@example.com")
    profile = (await gql(BILLS))["data"]["me"]["billing"]
    assert profile["outstanding"] == {"amount": "5.95", "currency": "EUR"}


async def _signed_in(app, email: str) -> tuple[None, GraphQLClient]:
    gql = GraphQLClient(http_client(app, client_ip="192.0.2.250"))
    gql.headers = bearer((await login_payload(gql, email))["session"]["token"])
    return None, gql


async def test_usage_needs_cloud_services_enabled(billing_app) -> None:
    gql = GraphQLClient(http_client(billing_app))
    await sign_up(gql, billing_app, "early@example.com")
    account = await Account.get(email="early@example.com")
    with pytest.raises(Refused) as refused:
        await billing_app.state.services.billing.record_usage(account, "1.00", "Compute")
    assert [p.code for p in refused.value.problems] == ["PREREQUISITE_MISSING"]
    assert not await UsageRecord.exists()


async def test_under_arrears_risk_usage_is_billed_at_once(billing_app, clock) -> None:
    billing = billing_app.state.services.billing
    account, _ = await _postpaid(billing_app, "eva@example.com")
    account = await billing.flag_arrears(account, "manual review", actor=OPERATOR)
    clock.set(at(2026, 11, 15))
    await billing.record_usage(account, "7.00", "Compute")

    [bill] = await Bill.all()
    assert bill.kind == "IMMEDIATE"
    assert bill.status is BillStatus.PAID
    assert bill.total == "8.33"

    account = await billing.clear_arrears(account, "reviewed", actor=OPERATOR)
    await billing.record_usage(account, "1.00", "Compute")
    assert await Bill.all().count() == 1  # back to the monthly bill
    clock.set(at(2026, 12, 3))
    await billing.run(date(2026, 12, 3))
    monthly = await Bill.get(kind="MONTHLY")
    assert monthly.subtotal == "1.00"  # the usage billed at once is not billed again


async def test_bills_and_the_next_bill_date_in_graphql(billing_app, clock) -> None:
    billing = billing_app.state.services.billing
    account, gql = await _postpaid(billing_app, "eva@example.com")
    clock.set(at(2026, 11, 2))
    await billing.record_usage(account, "4.00", "Compute")
    clock.set(at(2026, 12, 2))
    gql.headers = bearer((await login_payload(gql, "eva@example.com"))["session"]["token"])
    before = (await gql(BILLS))["data"]["me"]
    clock.set(at(2026, 12, 3))
    await billing.run(date(2026, 12, 3))
    after = (await gql(BILLS))["data"]["me"]

    assert before["billing"]["nextBillDate"] == "2026-12-03"
    assert before["billing"]["outstanding"] == {"amount": "0.00", "currency": "EUR"}
    assert before["bills"]["edges"] == []
    assert after["billing"]["nextBillDate"] == "2027-01-03"
    [edge] = after["bills"]["edges"]
    bill = edge["node"]
    assert bill["status"] == "PAID"
    assert bill["period"] == {"start": "2026-11-01", "end": "2026-11-30"}
    assert bill["total"] == {"amount": "4.76", "currency": "EUR"}
    assert bill["tax"] == {"amount": "0.76", "currency": "EUR"}
    assert bill["taxRatePercent"] == "19"
    [receipt] = [m for m in await outbox(billing_app) if m["kind"] == "bill-paid"]
    assert "4.76 EUR" in receipt["body"]
    assert "VISA •••• 4242" in receipt["body"]
    assert f"https://app.example.test/bills/{bill['id']}" in receipt["body"]
    assert bill["lines"] == [
        {"description": "Compute", "amount": {"amount": "4.00", "currency": "EUR"}}
    ]


async def test_the_billing_commands(billing_app, database_url, monkeypatch, capsys) -> None:
    await _postpaid(billing_app, "eva@example.com")
    for name in [k for k in os.environ if k.startswith("ONRAMP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ONRAMP_DATABASE_URL", database_url)
    monkeypatch.setenv("ONRAMP_SECRET_KEY", TEST_SECRET)
    loop = asyncio.get_running_loop()

    async def onramp(*argv: str) -> Outcome:
        """The command in this process: its own thread, event loop and Tortoise context."""
        args = cli.parser().parse_args(["billing", *argv])
        code = await loop.run_in_executor(None, contextvars.Context().run, cli.run, args)
        out, err = capsys.readouterr()
        return Outcome(code, out, err)

    recorded = await onramp(
        "record-usage", "--email", "EVA@example.com", "--amount", "2.50", "--description", "Compute"
    )
    unknown = await onramp(
        "record-usage", "--email", "nobody@example.com", "--amount", "1", "--description", "x"
    )
    bad = await onramp(
        "record-usage", "--email", "eva@example.com", "--amount", "1.234", "--description", "x"
    )
    flagged = await onramp("flag-arrears", "--email", "eva@example.com", "--reason", "chargeback")
    flag_state = (await Account.get(email="eva@example.com")).arrears_risk
    cleared = await onramp(
        "clear-arrears", "--email", "eva@example.com", "--reason", "paid by transfer"
    )
    today = datetime.now(UTC).date()
    third = (today.replace(day=1) + timedelta(days=32)).replace(day=3)
    ran = await onramp("run", "--date", third.isoformat())

    assert recorded.returncode == 0, recorded.stderr
    assert unknown.returncode == 1
    assert "nobody@example.com" in unknown.stderr
    assert bad.returncode == 1
    assert flagged.returncode == 0
    assert flag_state
    assert cleared.returncode == 0
    assert not (await Account.get(email="eva@example.com")).arrears_risk
    assert ran.returncode == 0, ran.stderr
    assert "1 bill(s)" in ran.stdout
    assert (await Bill.get()).subtotal == "2.50"
    assert Decimal((await Bill.get()).total) == Decimal("2.98")


PAYMENTS = """{ me { bills { edges { node { id status payments {
  id status cardBrand cardLast4 amount { amount currency } failureReason result
  card { last4 } bill { number } completedAt } } } } } }"""


async def _payments(gql: GraphQLClient) -> list[dict]:
    edges = (await gql(PAYMENTS))["data"]["me"]["bills"]["edges"]
    return [p for edge in edges for p in edge["node"]["payments"]]


async def test_every_automatic_charge_is_a_payment_of_the_bill(billing_app, clock) -> None:
    billing = billing_app.state.services.billing
    account, _ = await _postpaid(billing_app, "eva@example.com", card="4000 0000 0000 0341")
    clock.set(at(2026, 11, 15))
    await billing.record_usage(account, "5.00", "Compute")
    clock.set(at(2026, 12, 3))
    await billing.run(date(2026, 12, 3))
    clock.set(at(2026, 12, 4))
    await billing.run(date(2026, 12, 4))
    _, gql = await _signed_in(billing_app, "eva@example.com")
    payments = await _payments(gql)
    assert [(p["status"], p["failureReason"]) for p in payments] == [
        ("FAILED", "DECLINED"),
        ("FAILED", "DECLINED"),
    ]
    newest = payments[0]
    assert (newest["cardBrand"], newest["cardLast4"], newest["card"]) == (
        "VISA",
        "0341",
        {"last4": "0341"},
    )
    assert newest["amount"] == {"amount": "5.95", "currency": "EUR"}
    assert newest["result"].startswith("Failed: the bank declined")
    assert newest["completedAt"] is not None
    assert newest["bill"]["number"]


async def test_a_card_that_wants_the_person_every_time_fails_automatic_charges(
    billing_app, clock
) -> None:
    billing = billing_app.state.services.billing
    account, _ = await _postpaid(billing_app, "eva@example.com", card="4000 0027 6000 3184")
    clock.set(at(2026, 11, 15))
    await billing.record_usage(account, "5.00", "Compute")
    clock.set(at(2026, 12, 3))
    await billing.run(date(2026, 12, 3))
    _, gql = await _signed_in(billing_app, "eva@example.com")
    [payment] = await _payments(gql)
    assert (payment["status"], payment["failureReason"]) == ("FAILED", "AUTHENTICATION_REQUIRED")
    assert "Pay the bill yourself" in payment["result"]
    [email] = [m for m in await outbox(billing_app) if m["kind"] == "bill-payment-failed"]
    assert "Pay the bill yourself at https://app.example.test/bills/" in email["body"]


async def test_a_paid_bill_shows_its_payment(billing_app, clock) -> None:
    """(A gateway error during a charge: tests/test_charge_once.py.)"""
    billing = billing_app.state.services.billing
    account, _ = await _postpaid(billing_app, "eva@example.com")
    clock.set(at(2026, 11, 15))
    await billing.record_usage(account, "5.00", "Compute")
    clock.set(at(2026, 12, 3))
    await billing.run(date(2026, 12, 3))
    _, gql = await _signed_in(billing_app, "eva@example.com")
    [payment] = await _payments(gql)
    assert (payment["status"], payment["failureReason"]) == ("SUCCEEDED", None)
    assert payment["result"].startswith("Paid")


async def test_a_payment_is_a_node_only_for_its_own_account(billing_app, clock) -> None:
    billing = billing_app.state.services.billing
    account, _ = await _postpaid(billing_app, "eva@example.com")
    clock.set(at(2026, 11, 15))
    await billing.record_usage(account, "5.00", "Compute")
    clock.set(at(2026, 12, 3))
    await billing.run(date(2026, 12, 3))
    _, gql = await _signed_in(billing_app, "eva@example.com")
    [payment] = await _payments(gql)
    query = "query($id: ID!) { node(id: $id) { ... on BillPayment { status cardLast4 } } }"
    own = await gql(query, {"id": payment["id"]})
    assert own["data"]["node"] == {"status": "SUCCEEDED", "cardLast4": "4242"}
    await _postpaid(billing_app, "other@example.com")
    _, other = await _signed_in(billing_app, "other@example.com")
    assert (await other(query, {"id": payment["id"]}))["data"]["node"] is None
