"""Service tickets: a session is all they need; numbers are unique and reveal no counts."""

from __future__ import annotations

import re

import pytest

from tests.conftest import GraphQLClient, http_client, outbox
from tests.flows import answer_bank, attempt_until, bearer, bind, ready_for_card, sign_up, tokenize

EMAIL = "omar.farouk@example.com"
SUBMIT = """mutation($input: SubmitServiceTicketInput!) { submitServiceTicket(input: $input) {
  ticket { id number subject description status createdAt cardBindingAttempt { id status } }
  errors { field code message } } }"""


@pytest.fixture
async def signed_in(app_factory):
    async with app_factory(limit_codes_per_destination="50/minute") as app:
        gql = GraphQLClient(http_client(app))
        gql.headers = bearer(await sign_up(gql, app, EMAIL))
        yield app, gql


async def _submit(gql: GraphQLClient, **fields) -> dict:
    values = {"subject": "Card refused", "description": "My card was refused twice."} | fields
    return (await gql(SUBMIT, {"input": values}))["data"]["submitServiceTicket"]


async def test_a_ticket_needs_only_a_session(signed_in) -> None:
    app, gql = signed_in
    payload = await _submit(gql, subject="  Card refused  ")

    ticket = payload["ticket"]
    assert payload["errors"] == []
    assert re.fullmatch(r"ST-\d{4}-\d{6}", ticket["number"])
    assert ticket["subject"] == "Card refused"
    assert ticket["status"] == "OPEN"
    assert ticket["cardBindingAttempt"] is None
    assert (await outbox(app))[0]["kind"] == "service-ticket"
    listed = (await gql("{ me { serviceTickets { number } } }"))["data"]["me"]["serviceTickets"]
    assert listed == [{"number": ticket["number"]}]
    node = await gql("query($id: ID!) { node(id: $id) { id } }", {"id": ticket["id"]})
    assert node["data"]["node"]["id"] == ticket["id"]


async def test_ticket_numbers_are_unique(signed_in) -> None:
    _, gql = signed_in
    numbers = {(await _submit(gql))["ticket"]["number"] for _ in range(20)}
    assert len(numbers) == 20


async def test_subject_and_description_lengths(signed_in) -> None:
    _, gql = signed_in
    empty = await _submit(gql, subject=" ", description="")
    long = await _submit(gql, subject="x" * 121, description="y" * 5001)
    edge = await _submit(gql, subject="x" * 120, description="y" * 5000)
    assert {e["field"] for e in empty["errors"]} == {"subject", "description"}
    assert {e["field"] for e in long["errors"]} == {"subject", "description"}
    assert empty["ticket"] is None
    assert edge["errors"] == []


async def test_a_ticket_about_an_attempt_of_ones_own(app_factory) -> None:
    async with app_factory(limit_codes_per_destination="50/minute") as app:
        gql = GraphQLClient(http_client(app))
        await ready_for_card(gql, app, EMAIL)
        card = (await tokenize(gql, "4000 0000 0000 0002")).json()["id"]
        attempt = (await bind(gql, card, "t"))["attempt"]
        await answer_bank(gql, attempt["nextAction"]["redirectUrl"], "approve")
        await attempt_until(gql, attempt["id"], lambda a: a["status"] == "FAILED")
        own = await _submit(gql, cardBindingAttemptId=attempt["id"])

        stranger = GraphQLClient(http_client(app, client_ip="192.0.2.8"))
        stranger.headers = bearer(await sign_up(stranger, app, "stranger@example.com"))
        foreign = await _submit(stranger, cardBindingAttemptId=attempt["id"])
        unknown = await _submit(stranger, cardBindingAttemptId="bm9wZQ==")
        foreign_node = await stranger(
            "query($id: ID!) { node(id: $id) { id } }", {"id": own["ticket"]["id"]}
        )

    assert own["ticket"]["cardBindingAttempt"] == {"id": attempt["id"], "status": "FAILED"}
    for refused in (foreign, unknown):
        assert [(e["field"], e["code"]) for e in refused["errors"]] == [
            ("cardBindingAttemptId", "NOT_FOUND")
        ]
    assert foreign_node["data"]["node"] is None


async def test_tickets_need_a_session(gql) -> None:
    body = await gql(SUBMIT, {"input": {"subject": "a", "description": "b"}})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
