"""Reads go through per-operation DataLoaders: lists cost a bounded number of queries, and a
mutation's payload reads what its write changed."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any, cast
from uuid import UUID

import pytest
from strawberry import relay
from tortoise import timezone

from models.cards import BindingStatus, CardBindingAttempt, PaymentCard, ServiceTicket
from resolvers.context import RequestContext
from tests.conftest import GraphQLClient, http_client
from tests.flows import INDIVIDUAL_DETAILS, bearer, enable_cloud, sign_up
from tests.queries import counting_statements

EMAIL = "lin.wei@example.com"

ROWS = """{
  historicalCards(first: 50) { edges { node { id card { id last4 } } } }
  me { serviceTickets { number cardBindingAttempt { id card { id } } } }
}"""


@pytest.fixture
async def signed_in(app_factory):
    # No background jobs: their reads would count among the request's.
    async with app_factory(jobs=False) as app:
        gql = GraphQLClient(http_client(app))
        gql.headers = bearer(await sign_up(gql, app, EMAIL))
        me = (await gql("{ me { id } }"))["data"]["me"]
        yield gql, UUID(relay.GlobalID.from_id(me["id"]).node_id)


async def _add_attempts_with_cards_and_tickets(account_id: UUID, how_many: int) -> None:
    now = timezone.now()
    for index in range(how_many):
        at = now - timedelta(minutes=index)
        last4 = f"{secrets.randbelow(10_000):04d}"
        card = await PaymentCard.create(
            account_id=account_id,
            gateway_payment_method=f"pm_{secrets.token_hex(8)}",
            brand="visa",
            last4=last4,
            expiry_month=12,
            expiry_year=at.year + 3,
            holder_name="Lin Wei",
            fingerprint=secrets.token_hex(16),
            bound_at=at,
        )
        attempt = await CardBindingAttempt.create(
            account_id=account_id,
            status=BindingStatus.SUCCEEDED,
            gateway_payment_method=card.gateway_payment_method,
            brand="visa",
            first6="424242",
            last4=last4,
            expiry_month=12,
            expiry_year=at.year + 3,
            holder_name="Lin Wei",
            fingerprint=card.fingerprint,
            deposit_amount="1.00",
            deposit_currency="EUR",
            service_terms_id=UUID(int=0),
            terms_accepted_at=at,
            client_ip="198.51.100.10",
            user_agent="test",
            card=card,
            created_at=at,
            updated_at=at,
            completed_at=at,
        )
        await ServiceTicket.create(
            account_id=account_id,
            number=f"ST-{at.year}-{secrets.randbelow(1_000_000):06d}",
            subject="Card question",
            description="About this attempt.",
            attempt=attempt,
            created_at=at,
        )


async def _selects_for_rows(gql: GraphQLClient) -> tuple[int, dict]:
    with counting_statements() as counter:
        body = await gql(ROWS)
    assert "errors" not in body, body
    return counter["SELECT"], body["data"]


async def test_cards_of_attempts_and_attempts_of_tickets_are_read_in_batches(signed_in) -> None:
    gql, account_id = signed_in
    await _add_attempts_with_cards_and_tickets(account_id, 3)
    few, _ = await _selects_for_rows(gql)
    await _add_attempts_with_cards_and_tickets(account_id, 9)
    many, data = await _selects_for_rows(gql)

    # The session, the page of attempts, their cards, the tickets, the tickets' attempts.
    assert many == few <= 5
    attempts = [edge["node"] for edge in data["historicalCards"]["edges"]]
    tickets = data["me"]["serviceTickets"]
    assert len(attempts) == len(tickets) == 12
    assert all(attempt["card"] is not None for attempt in attempts)
    card_of = {attempt["id"]: attempt["card"]["id"] for attempt in attempts}
    assert len(set(card_of.values())) == 12
    for ticket in tickets:
        linked = ticket["cardBindingAttempt"]
        assert linked["card"]["id"] == card_of[linked["id"]]


DETAILS_TWICE = """mutation($a: AccountDetailsInput!, $b: AccountDetailsInput!) {
  a: completeAccountDetails(input: $a) {
    account { details { ... on IndividualDetails { fullName } } } errors { code } }
  b: completeAccountDetails(input: $b) {
    account { details { ... on IndividualDetails { fullName } } } errors { code } }
}"""


async def test_a_mutation_payload_reads_what_the_write_changed(signed_in) -> None:
    gql, _ = signed_in
    assert (await enable_cloud(gql))["errors"] == []
    renamed = {"individual": {"fullName": "Lin Wei Renamed"}}
    # Both run in one operation, in order: the first payload loads the details into the
    # operation's loaders; the second write must not be answered from that cache.
    body = await gql(DETAILS_TWICE, {"a": INDIVIDUAL_DETAILS, "b": renamed})

    first, second = body["data"]["a"], body["data"]["b"]
    assert first["errors"] == second["errors"] == []
    assert first["account"]["details"]["fullName"] == INDIVIDUAL_DETAILS["individual"]["fullName"]
    assert second["account"]["details"]["fullName"] == "Lin Wei Renamed"


def _context(*, websocket: bool) -> RequestContext:
    return RequestContext(
        request=None,
        response=None,
        request_id="-",
        client_ip="198.51.100.10",
        user_agent="test",
        frontend_url="https://app.example.test",
        services=cast(Any, None),
        token=None,
        cookie=cast(Any, None),
        remember_session=not websocket,
    )


def test_over_a_websocket_loaders_batch_but_never_cache() -> None:
    # A websocket's context serves the whole connection: no row may be kept from one
    # subscription message to the next. An HTTP context serves one operation and caches.
    http, socket = _context(websocket=False), _context(websocket=True)
    assert http.loaders is http.loaders
    assert all(loader.cache for loader in (http.loaders.attempt, http.loaders.card))
    assert not any(loader.cache for loader in (socket.loaders.attempt, socket.loaders.card))
