"""The cards of an account after binding: one card once, and the default that bills use."""

from __future__ import annotations

import asyncio
from uuid import UUID

import pytest

from gateways.sandbox.models import SandboxCharge, SandboxPaymentMethod
from models.accounts import Account
from models.billing import Bill, BillStatus
from models.cards import CardBindingAttempt, PaymentCard
from resolvers.nodes import decode_id
from services.staff.audit import Actor
from tests.conftest import GraphQLClient, http_client
from tests.flows import answer_bank, attempt_until, bearer, bind, ready_for_card, tokenize

OPERATOR = Actor.command_line()

SET_DEFAULT = """mutation($input: CardInput!) { setDefaultCard(input: $input) {
  card { id last4 isDefault } account { paymentCards { last4 isDefault } }
  errors { field code } } }"""
CARDS = "{ me { paymentCards { id last4 isDefault } billing { defaultCard { last4 } } } }"


@pytest.fixture
async def holder(app_factory):
    async with app_factory(limit_codes_per_destination="50/minute") as app:
        gql = GraphQLClient(http_client(app))
        gql.headers = bearer(await ready_for_card(gql, app, "wallet@example.com"))
        yield app, gql


async def _bind(gql: GraphQLClient, number: str, key: str) -> dict:
    token = (await tokenize(gql, number)).json()["id"]
    started = await bind(gql, token, key)
    assert started["errors"] == [], started
    await answer_bank(gql, started["attempt"]["nextAction"]["redirectUrl"], "approve")
    return await attempt_until(gql, started["attempt"]["id"], lambda a: a["status"] == "SUCCEEDED")


async def test_the_same_card_twice_is_refused_before_any_deposit(holder) -> None:
    _, gql = holder
    await _bind(gql, "4242 4242 4242 4242", "first")
    charges = await SandboxCharge.all().count()
    again = await bind(gql, (await tokenize(gql, "4242424242424242")).json()["id"], "again")
    assert again["attempt"] is None
    assert [(e["field"], e["code"]) for e in again["errors"]] == [
        ("paymentMethodToken", "CARD_ALREADY_BOUND")
    ]
    assert await CardBindingAttempt.all().count() == 1
    assert await SandboxCharge.all().count() == charges


async def test_the_default_card_comes_first_and_can_be_changed(holder) -> None:
    _, gql = holder
    await _bind(gql, "4242 4242 4242 4242", "first")
    await _bind(gql, "5555 5555 5555 4444", "second")
    before = (await gql(CARDS))["data"]["me"]
    assert [(c["last4"], c["isDefault"]) for c in before["paymentCards"]] == [
        ("4242", True),
        ("4444", False),
    ]
    second = before["paymentCards"][1]["id"]
    changed = (await gql(SET_DEFAULT, {"input": {"cardId": second}}))["data"]["setDefaultCard"]
    assert changed["errors"] == []
    assert changed["card"] == {"id": second, "last4": "4444", "isDefault": True}
    assert [(c["last4"], c["isDefault"]) for c in changed["account"]["paymentCards"]] == [
        ("4444", True),
        ("4242", False),
    ]
    after = (await gql(CARDS))["data"]["me"]
    assert after["billing"]["defaultCard"] == {"last4": "4444"}


async def test_concurrent_changes_leave_exactly_one_default(holder) -> None:
    _, gql = holder
    await _bind(gql, "4242 4242 4242 4242", "first")
    await _bind(gql, "5555 5555 5555 4444", "second")
    await _bind(gql, "3782 822463 10005", "third")
    ids = [c["id"] for c in (await gql(CARDS))["data"]["me"]["paymentCards"]]
    answers = await asyncio.gather(
        *(gql(SET_DEFAULT, {"input": {"cardId": ids[i % 3]}}) for i in range(12))
    )
    assert all(a["data"]["setDefaultCard"]["errors"] == [] for a in answers)
    assert await PaymentCard.filter(is_default=True).count() == 1


async def test_a_foreign_or_unknown_card_is_not_found(holder, app_factory) -> None:
    app, gql = holder
    await _bind(gql, "4242 4242 4242 4242", "first")
    card_id = (await gql(CARDS))["data"]["me"]["paymentCards"][0]["id"]
    stranger = GraphQLClient(http_client(app, client_ip="203.0.113.7"))
    stranger.headers = bearer(await ready_for_card(stranger, app, "stranger@example.com"))
    for wanted in (card_id, "UGF5bWVudENhcmQ6bm9uZQ==", "not an id"):
        refused = (await stranger(SET_DEFAULT, {"input": {"cardId": wanted}}))["data"]
        assert refused["setDefaultCard"]["errors"] == [{"field": "cardId", "code": "NOT_FOUND"}]
    assert (await PaymentCard.get(id=_uuid(card_id))).is_default


async def test_bills_are_charged_to_the_new_default(holder) -> None:
    app, gql = holder
    await _bind(gql, "4242 4242 4242 4242", "first")
    await _bind(gql, "5555 5555 5555 4444", "second")
    second = (await gql(CARDS))["data"]["me"]["paymentCards"][1]["id"]
    await gql(SET_DEFAULT, {"input": {"cardId": second}})
    billing = app.state.services.billing
    account = await Account.get(email="wallet@example.com")
    account = await billing.flag_arrears(account, "test: bill at once", actor=OPERATOR)
    await billing.record_usage(account, "3.00", "Compute")
    bill = await Bill.get()
    assert bill.status is BillStatus.PAID
    charged = await SandboxCharge.filter(off_session=True).prefetch_related("payment_method")
    # Under arrears risk the bill is charged at once: on the new default card.
    assert [c.payment_method.last4 for c in charged] == ["4444"]


def _uuid(global_id: str) -> UUID | None:
    return decode_id(global_id, "PaymentCard")


REMOVE = """mutation($input: CardInput!) { removeCard(input: $input) {
  removedCardId account { paymentCards { last4 isDefault } } errors { field code } } }"""
HISTORY = "{ historicalCards(first: 10) { edges { node { last4 status } } } }"


async def test_a_card_but_the_default_can_be_removed_and_is_detached(holder) -> None:
    _, gql = holder
    await _bind(gql, "4242 4242 4242 4242", "first")
    await _bind(gql, "5555 5555 5555 4444", "second")
    cards = (await gql(CARDS))["data"]["me"]["paymentCards"]
    default, other = cards[0]["id"], cards[1]["id"]

    refused = (await gql(REMOVE, {"input": {"cardId": default}}))["data"]["removeCard"]
    assert refused["errors"] == [{"field": "cardId", "code": "CARD_IS_DEFAULT"}]
    assert refused["removedCardId"] is None

    removed = (await gql(REMOVE, {"input": {"cardId": other}}))["data"]["removeCard"]
    assert removed["errors"] == []
    assert removed["removedCardId"] == other
    assert removed["account"]["paymentCards"] == [{"last4": "4242", "isDefault": True}]
    card = await PaymentCard.get(id=_uuid(other))
    assert card.removed_at is not None
    method = await SandboxPaymentMethod.get(id=card.gateway_payment_method)
    assert method.detached_at is not None
    # Its attempt stays in Historical Cards; removing it again is NOT_FOUND.
    history = (await gql(HISTORY))["data"]["historicalCards"]["edges"]
    assert {e["node"]["last4"] for e in history} == {"4242", "4444"}
    again = (await gql(REMOVE, {"input": {"cardId": other}}))["data"]["removeCard"]
    assert again["errors"] == [{"field": "cardId", "code": "NOT_FOUND"}]
    made_default = (await gql(SET_DEFAULT, {"input": {"cardId": other}}))["data"]
    assert made_default["setDefaultCard"]["errors"] == [{"field": "cardId", "code": "NOT_FOUND"}]


async def test_a_removed_card_may_be_bound_again(holder) -> None:
    _, gql = holder
    await _bind(gql, "4242 4242 4242 4242", "first")
    await _bind(gql, "5555 5555 5555 4444", "second")
    other = (await gql(CARDS))["data"]["me"]["paymentCards"][1]["id"]
    await gql(REMOVE, {"input": {"cardId": other}})
    await _bind(gql, "5555 5555 5555 4444", "again")
    cards = (await gql(CARDS))["data"]["me"]["paymentCards"]
    assert [c["last4"] for c in cards] == ["4242", "4444"]


async def test_removing_and_defaulting_at_once_never_leaves_no_default(holder) -> None:
    _, gql = holder
    await _bind(gql, "4242 4242 4242 4242", "first")
    await _bind(gql, "5555 5555 5555 4444", "second")
    other = (await gql(CARDS))["data"]["me"]["paymentCards"][1]["id"]
    await asyncio.gather(
        gql(SET_DEFAULT, {"input": {"cardId": other}}),
        gql(REMOVE, {"input": {"cardId": other}}),
    )
    live = await PaymentCard.filter(removed_at=None)
    assert [c.is_default for c in live].count(True) == 1
