"""The ticket conversation across both endpoints: the queue, assignment, replies both ways,
the email with its link, OPEN → IN_PROGRESS → RESOLVED → CLOSED, reopening, the week after
which a RESOLVED ticket closes itself, and CLOSED being final; each staff step audited."""

from __future__ import annotations

import pytest

from models.cards import ServiceTicket, TicketStatus
from models.staff import AuditEntry, StaffRole
from services.clock import FrozenClock
from tests.conftest import GraphQLClient, http_client, outbox, take_step
from tests.flows import bearer, sign_up
from tests.staff_flows import START, signed_in_member

CUSTOMER = "omar.farouk@example.com"
SUBMIT = """mutation($input: SubmitServiceTicketInput!) { submitServiceTicket(input: $input) {
  ticket { id number status } errors { field code } } }"""
CUSTOMER_TICKET = """query($id: ID!) { node(id: $id) { ... on ServiceTicket {
  status updatedAt replies { id body fromSupport createdAt } } } }"""
CUSTOMER_REPLY = """mutation($input: ReplyToServiceTicketInput!) {
  replyToServiceTicket(input: $input) { ticket { status replies { body fromSupport } }
  errors { field code } } }"""
QUEUE = """query($statuses: [ServiceTicketStatus!], $first: Int, $after: String) {
  tickets(statuses: $statuses, first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id number status account { email } assignee { email } } } } }"""
TICKET = """fragment T on ServiceTicket { id number status
  assignee { email } replies { body fromSupport author { email } } }"""
ASSIGN = f"""mutation($input: TicketInput!) {{ assignTicket(input: $input) {{
  ticket {{ ...T }} errors {{ field code }} }} }} {TICKET}"""
REPLY = f"""mutation($input: ReplyToTicketInput!) {{ replyToTicket(input: $input) {{
  ticket {{ ...T }} errors {{ field code }} }} }} {TICKET}"""
MOVE = f"""mutation($input: MoveTicketInput!) {{ moveTicket(input: $input) {{
  ticket {{ ...T }} errors {{ field code }} }} }} {TICKET}"""
TRAIL = """query($id: ID!) { accountAuditTrail(accountId: $id) {
  edges { node { action actor clientIp subject before after } } } }"""


@pytest.fixture
async def desk(app_factory):
    """A customer with a ticket, and a support member signed in; no job runs by itself."""
    clock = FrozenClock(START)
    async with app_factory(clock=clock, jobs=False) as app:
        customer = GraphQLClient(http_client(app))
        customer.headers = bearer(await sign_up(customer, app, CUSTOMER))
        member, support = await signed_in_member(
            app, clock, "sam@onramp.example", StaffRole.SUPPORT
        )
        yield app, clock, customer, support, member


async def _submit(customer: GraphQLClient, subject: str = "Card refused") -> dict:
    body = await customer(SUBMIT, {"input": {"subject": subject, "description": "Twice."}})
    return body["data"]["submitServiceTicket"]["ticket"]


async def _customer_reply(customer: GraphQLClient, ticket_id: str, text: str) -> dict:
    variables = {"input": {"ticketId": ticket_id, "body": text}}
    return (await customer(CUSTOMER_REPLY, variables))["data"]["replyToServiceTicket"]


async def _staff(support: GraphQLClient, document: str, name: str, **values: str) -> dict:
    # A second apart, so that the trail's newest-first order is the order they were taken in.
    support.clock.advance(seconds=1)
    return (await support(document, {"input": values}))["data"][name]


async def test_the_conversation_end_to_end(desk) -> None:
    app, clock, customer, support, member = desk
    ticket = await _submit(customer)
    clock.advance(minutes=1)

    queue = (await support(QUEUE, {"statuses": ["OPEN"]}))["data"]["tickets"]["edges"]
    staff_id = queue[0]["node"]["id"]
    assigned = await _staff(support, ASSIGN, "assignTicket", ticketId=staff_id)
    clock.advance(minutes=1)
    answered = await _staff(
        support, REPLY, "replyToTicket", ticketId=staff_id, body="Try again now, please."
    )
    seen = (await customer(CUSTOMER_TICKET, {"id": ticket["id"]}))["data"]["node"]
    [email] = [m for m in await outbox(app) if m["kind"] == "service-ticket-reply"]
    clock.advance(minutes=1)
    answered_back = await _customer_reply(customer, ticket["id"], "It worked,\nthank you!")
    resolved = await _staff(support, MOVE, "moveTicket", ticketId=staff_id, status="RESOLVED")
    reopened = await _customer_reply(customer, ticket["id"], "Oh, one more thing.")
    resolved_again = await _staff(support, MOVE, "moveTicket", ticketId=staff_id, status="RESOLVED")
    backwards = await _staff(support, MOVE, "moveTicket", ticketId=staff_id, status="IN_PROGRESS")
    closed = await _staff(support, MOVE, "moveTicket", ticketId=staff_id, status="CLOSED")
    customer_after_close = await _customer_reply(customer, ticket["id"], "Hello?")
    staff_after_close = await _staff(support, REPLY, "replyToTicket", ticketId=staff_id, body="x")
    assign_after_close = await _staff(support, ASSIGN, "assignTicket", ticketId=staff_id)
    search = "query($e: String!) { searchAccounts(input: {email: $e}) { id } }"
    found = await support(search, {"e": CUSTOMER})
    account_id = found["data"]["searchAccounts"][0]["id"]
    trail = (await support(TRAIL, {"id": account_id}))["data"]["accountAuditTrail"]["edges"]

    assert queue[0]["node"]["number"] == ticket["number"]
    assert queue[0]["node"]["account"] == {"email": CUSTOMER}
    assert assigned["ticket"]["status"] == "IN_PROGRESS"
    assert assigned["ticket"]["assignee"] == {"email": member.email}
    assert answered["errors"] == []
    assert seen["replies"][0]["body"] == "Try again now, please."
    assert seen["replies"][0]["fromSupport"] is True
    assert seen["updatedAt"] > "2026-11-26T12:01"
    assert email["recipient"] == CUSTOMER
    assert f"https://app.example.test/tickets/{ticket['id']}" in email["body"]
    assert answered_back["ticket"]["status"] == "IN_PROGRESS"
    assert [r["fromSupport"] for r in answered_back["ticket"]["replies"]] == [True, False]
    assert answered_back["ticket"]["replies"][1]["body"] == "It worked,\nthank you!"
    assert resolved["ticket"]["status"] == "RESOLVED"
    assert reopened["ticket"]["status"] == "OPEN"
    assert resolved_again["errors"] == []
    assert [(e["field"], e["code"]) for e in backwards["errors"]] == [("status", "WRONG_STATUS")]
    assert closed["ticket"]["status"] == "CLOSED"
    for refused in (customer_after_close, staff_after_close, assign_after_close):
        assert [(e["field"], e["code"]) for e in refused["errors"]] == [
            ("ticketId", "TICKET_CLOSED")
        ]
    assert [e["node"]["action"] for e in trail] == [
        "ticket.status",
        "ticket.status",
        "ticket.status",
        "ticket.reply",
        "ticket.assign",
    ]
    reply_entry = trail[3]["node"]
    assert reply_entry["actor"] == member.email
    assert reply_entry["clientIp"] == "203.0.113.7"
    assert reply_entry["subject"] == ticket["number"]
    assert reply_entry["before"] == {"status": "IN_PROGRESS"}
    assert reply_entry["after"]["status"] == "IN_PROGRESS"
    assert trail[0]["node"]["before"] == {"status": "RESOLVED"}
    assert trail[0]["node"]["after"] == {"status": "CLOSED"}


async def test_a_resolved_ticket_closes_itself_after_a_week_without_a_reply(desk) -> None:
    app, clock, customer, support, _ = desk
    quiet, answered = await _submit(customer, "Quiet"), await _submit(customer, "Answered")
    queue = (await support(QUEUE))["data"]["tickets"]["edges"]
    ids = {edge["node"]["number"]: edge["node"]["id"] for edge in queue}
    for number in (quiet["number"], answered["number"]):
        await _staff(support, MOVE, "moveTicket", ticketId=ids[number], status="RESOLVED")
    clock.advance(days=6)
    await _customer_reply(customer, answered["id"], "Not solved after all.")
    await take_step(app, "tickets")
    after_six_days = {t.number: t.status for t in await ServiceTicket.all()}
    clock.advance(days=1, seconds=1)
    await take_step(app, "tickets")
    after_a_week = {t.number: t.status for t in await ServiceTicket.all()}
    late = await _customer_reply(customer, quiet["id"], "Still there?")

    assert after_six_days == {
        quiet["number"]: TicketStatus.RESOLVED,
        answered["number"]: TicketStatus.OPEN,
    }
    assert after_a_week == {
        quiet["number"]: TicketStatus.CLOSED,
        answered["number"]: TicketStatus.OPEN,
    }
    assert [e["code"] for e in late["errors"]] == ["TICKET_CLOSED"]


async def test_the_queue_is_oldest_first_by_status_and_pages(desk) -> None:
    _, clock, customer, support, _ = desk
    numbers = []
    for n in range(5):
        numbers.append((await _submit(customer, f"Ticket {n}"))["number"])
        clock.advance(minutes=5)
    first_page = (await support(QUEUE, {"first": 2}))["data"]["tickets"]
    cursor = first_page["pageInfo"]["endCursor"]
    rest = (await support(QUEUE, {"first": 10, "after": cursor}))["data"]["tickets"]
    ids = {e["node"]["number"]: e["node"]["id"] for e in first_page["edges"] + rest["edges"]}
    await _staff(support, ASSIGN, "assignTicket", ticketId=ids[numbers[0]])
    still_open = (await support(QUEUE, {"statuses": ["OPEN"]}))["data"]["tickets"]["edges"]
    in_progress = (await support(QUEUE, {"statuses": ["IN_PROGRESS"]}))["data"]["tickets"]

    assert [e["node"]["number"] for e in first_page["edges"]] == numbers[:2]
    assert first_page["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["number"] for e in rest["edges"]] == numbers[2:]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert [e["node"]["number"] for e in still_open] == numbers[1:]
    assert [e["node"]["number"] for e in in_progress["edges"]] == numbers[:1]


async def test_a_customer_replies_only_to_their_own_ticket(desk) -> None:
    app, _, customer, _, _ = desk
    ticket = await _submit(customer)
    stranger = GraphQLClient(http_client(app, client_ip="192.0.2.8"))
    stranger.headers = bearer(await sign_up(stranger, app, "stranger@example.com"))
    foreign = await _customer_reply(stranger, ticket["id"], "Mine now")
    empty = await _customer_reply(customer, ticket["id"], "   ")

    assert [(e["field"], e["code"]) for e in foreign["errors"]] == [("ticketId", "NOT_FOUND")]
    assert [(e["field"], e["code"]) for e in empty["errors"]] == [("body", "INVALID_INPUT")]
    assert not await AuditEntry.filter(action="ticket.reply").exists()
