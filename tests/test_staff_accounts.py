"""Support finds an account (by email, ticket number, bill number, card last four and
expiry) and opens it: onboarding, attempts with Results, cards, bills and payments, tickets,
messages; never more of a card than brand, first six, last four, expiry and holder. Both the
search and the opening are recorded. staff.graphql is what the code exports."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from api import cli
from models.accounts import Account
from models.cards import CardBindingAttempt, PaymentCard
from models.staff import AuditEntry, StaffRole
from resolvers.staff.schema import export_staff_sdl, staff_schema
from services.clock import FrozenClock
from tests.conftest import GraphQLClient, http_client, take_step
from tests.flows import answer_bank, bind, ready_for_card, tokenize
from tests.staff_flows import START, sign_in_again, signed_in_member

ROOT = Path(__file__).resolve().parent.parent
CUSTOMER = "lena@example.com"
SEARCH = """query($input: AccountSearchInput!) { searchAccounts(input: $input) { id email } }"""
VIEW = """query($id: ID!) { account(id: $id) {
  id email kind regionCode arrearsRisk cloudServicesEnabledAt
  onboarding { nextStep steps { key status } }
  details { __typename ... on IndividualDetails { fullName } }
  cardBindingAttempts { status failureReason result depositStatus
    card { brand first6 last4 expiryMonth expiryYear holderName } deposit { amount currency } }
  cards { isDefault removedAt card { brand first6 last4 expiryMonth expiryYear holderName } }
  bills { number status total { amount currency } payments { status cardLast4 result } }
  tickets { number subject status replies { body } }
  messages { title link }
  emails { kind subject status } } }"""


async def _bind(app, gql: GraphQLClient, number: str, key: str, outcome: str = "approve"):
    token = (await tokenize(gql, number, exp_month=7, exp_year=2031)).json()["id"]
    started = (await bind(gql, token, key))["attempt"]
    await answer_bank(gql, started["nextAction"]["redirectUrl"], outcome)
    await take_step(app, "sandbox-webhooks")


@pytest.fixture
async def known_customer(app_factory):
    """A customer with a declined card, a bound one, a paid bill and a ticket."""
    clock = FrozenClock(START)
    async with app_factory(clock=clock, jobs=False, limit_codes_per_destination="50/minute") as app:
        gql = GraphQLClient(http_client(app, client_ip="192.0.2.60"))
        await ready_for_card(gql, app, CUSTOMER)
        await _bind(app, gql, "4000 0000 0000 0002", "declined")
        await _bind(app, gql, "4242 4242 4242 4242", "bound")
        await take_step(app, "sandbox-refunds")
        await take_step(app, "sandbox-webhooks")
        await gql(
            """mutation { submitServiceTicket(input: {subject: "Declined", description: "Why?"})
            { errors { code } } }"""
        )
        billing = app.state.services.billing
        await billing.record_usage(await Account.get(email=CUSTOMER), "2.00", "Compute")
        clock.set(datetime(2026, 12, 3, 1, tzinfo=UTC))
        await billing.run(date(2026, 12, 3))
        member, staff = await signed_in_member(app, clock, "sue@onramp.example", StaffRole.SUPPORT)
        yield app, staff, member


async def test_an_account_is_found_by_each_key(known_customer) -> None:
    _, staff, _ = known_customer
    account = await Account.get(email=CUSTOMER)
    ticket = (await account.service_tickets.all())[0]
    bill = (await account.bills.all())[0]
    keys = [
        {"email": "LENA@example.com"},
        {"ticketNumber": ticket.number.lower()},
        {"billNumber": bill.number},
        {"card": {"last4": "4242", "expiryMonth": 7, "expiryYear": 2031}},
        {"card": {"last4": "0002", "expiryMonth": 7, "expiryYear": 2031}},  # a declined one
    ]
    found = [(await staff(SEARCH, {"input": key}))["data"]["searchAccounts"] for key in keys]
    misses = [
        (await staff(SEARCH, {"input": key}))["data"]["searchAccounts"]
        for key in (
            {"email": "nobody@example.com"},
            {"email": "not an email"},
            {"card": {"last4": "4242", "expiryMonth": 8, "expiryYear": 2031}},
        )
    ]
    both = await staff(SEARCH, {"input": {"email": CUSTOMER, "billNumber": bill.number}})

    assert all(result == [{"id": found[0][0]["id"], "email": CUSTOMER}] for result in found)
    assert misses == [[], [], []]
    assert both["errors"]  # exactly one key at a time
    assert await AuditEntry.filter(action="accounts.search").count() == len(keys) + 3


async def test_opening_an_account_shows_it_and_is_recorded(known_customer) -> None:
    app, staff, member = known_customer
    [summary] = (await staff(SEARCH, {"input": {"email": CUSTOMER}}))["data"]["searchAccounts"]
    response = await staff.post(VIEW, {"id": summary["id"]})
    view = response.json()["data"]["account"]
    [opened] = await AuditEntry.filter(action="account.open")

    assert view["email"] == CUSTOMER
    assert view["onboarding"]["nextStep"] == "MOBILE_NUMBER"
    assert view["details"] == {"__typename": "IndividualDetails", "fullName": "Test Person"}
    declined, bound = view["cardBindingAttempts"][1], view["cardBindingAttempts"][0]
    assert (declined["status"], declined["failureReason"]) == ("FAILED", "DECLINED")
    assert declined["result"]
    assert declined["card"] == {
        "brand": "VISA",
        "first6": "400000",
        "last4": "0002",
        "expiryMonth": 7,
        "expiryYear": 2031,
        "holderName": "Test Person",
    }
    assert (bound["status"], bound["depositStatus"]) == ("SUCCEEDED", "REFUNDED")
    assert view["cards"][0]["isDefault"] is True
    assert view["cards"][0]["card"]["first6"] == "424242"
    [bill] = view["bills"]
    assert bill["status"] == "PAID"
    assert bill["payments"][0]["cardLast4"] == "4242"
    assert view["tickets"][0]["subject"] == "Declined"
    assert {"bill-issued", "card-bound", "service-ticket"} <= {e["kind"] for e in view["emails"]}
    # Nothing of a card beyond the five things, no gateway reference, no bank page.
    text = response.text
    attempt = await CardBindingAttempt.filter(last4="4242").first()
    card = await PaymentCard.first()
    assert attempt is not None
    assert card is not None
    for secret in (
        "4242424242424242",
        card.fingerprint,
        card.gateway_payment_method,
        attempt.gateway_charge,
        "/sandbox/bank/",
    ):
        assert secret not in text
    assert opened.actor == member.email
    assert opened.account_id == (await Account.get(email=CUSTOMER)).id
    assert opened.client_ip == "203.0.113.7"
    assert opened.subject == CUSTOMER
    assert app


async def test_an_unknown_account_reads_as_null_and_is_not_recorded(known_customer) -> None:
    _, staff, _ = known_customer
    body = await staff(VIEW, {"id": "QWNjb3VudDpub3BlLW5vcGU="})
    assert body["data"]["account"] is None
    assert not await AuditEntry.filter(action="account.open").exists()


def test_a_card_shows_five_things_and_no_type_shows_more() -> None:
    card = staff_schema.get_type_by_name("Card")
    assert card is not None
    fields = {field.name for field in card.fields}
    assert fields == {"brand", "first6", "last4", "expiry_month", "expiry_year", "holder_name"}
    forbidden = ("cvc", "fingerprint", "redirect", "gateway", "secret", "hash", "mac")
    numbers = {"number", "ticketNumber", "billNumber", "registrationNumber"}
    for type_ in staff_schema._schema.type_map.values():
        for name in getattr(type_, "fields", None) or {}:
            lowered = name.lower()
            assert not any(word in lowered for word in forbidden), (type_.name, name)
            assert "number" not in lowered or name in numbers, (type_.name, name)


def test_staff_graphql_is_what_the_code_exports(capsys: pytest.CaptureFixture[str]) -> None:
    committed = (ROOT / "staff.graphql").read_text(encoding="utf-8")
    assert committed == export_staff_sdl(), "run `onramp export-schema --staff > staff.graphql`"
    assert cli.run(cli.parser().parse_args(["export-schema", "--staff"])) == 0
    assert capsys.readouterr().out == export_staff_sdl()


def test_every_staff_mutation_answers_refusals_in_its_payload() -> None:
    from resolvers.errors import RefusalsAsErrors

    mutation = staff_schema.get_type_by_name("Mutation")
    assert mutation is not None
    for field in mutation.fields:
        assert any(isinstance(e, RefusalsAsErrors) for e in field.extensions), field.name
        assert "errors" in {f.name for f in field.type.__strawberry_definition__.fields}


async def test_a_session_outlived_by_the_clock_needs_signing_in_again(known_customer) -> None:
    _, staff, member = known_customer
    staff.clock.advance(hours=9)
    expired = await staff(SEARCH, {"input": {"email": CUSTOMER}})
    await sign_in_again(staff, member)
    renewed = await staff(SEARCH, {"input": {"email": CUSTOMER}})
    assert expired["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert renewed["data"]["searchAccounts"][0]["email"] == CUSTOMER
