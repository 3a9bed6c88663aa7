"""Per-destination code caps count a mailbox, not a spelling: `+tag`s and, at providers that
ignore them, dots do not each get a fresh cap. Messages still go to the address as typed."""

from __future__ import annotations

import pytest

from services.emails import parse_email
from tests.conftest import GraphQLClient, http_client, outbox
from tests.flows import REQUEST_RESET, codes_of, send_code

CAPS = {"limit_codes_per_destination": "2/hour", "limit_codes_per_ip": "1000/hour"}


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("Ana+news@Example.com", "ana@example.com"),
        ("ana@example.com", "ana@example.com"),
        ("a.n.a@example.com", "a.n.a@example.com"),  # dots matter elsewhere
        ("A.N.A+x@gmail.com", "ana@gmail.com"),
        ("a.na@googlemail.com", "ana@gmail.com"),
    ],
)
def test_the_canonical_form(typed: str, canonical: str) -> None:
    assert parse_email(typed).canonical == canonical


async def _answers(app_factory, addresses: list[str]) -> tuple[list[list[str]], list[str]]:
    async with app_factory(**CAPS) as app:
        gql = GraphQLClient(http_client(app))
        answers = [codes_of(await send_code(gql, address)) for address in addresses]
        recipients = [message["recipient"] for message in await outbox(app)]
    return answers, recipients


async def test_tags_and_case_share_one_cap(app_factory) -> None:
    answers, recipients = await _answers(
        app_factory, ["ana+1@example.com", "ana+2@example.com", "Ana@example.com"]
    )
    assert answers == [[], [], ["RATE_LIMITED"]]
    assert sorted(recipients) == ["ana+1@example.com", "ana+2@example.com"]  # as typed


async def test_dots_at_gmail_share_one_cap(app_factory) -> None:
    answers, _ = await _answers(
        app_factory, ["a.n.a@gmail.com", "ana@gmail.com", "an.a@googlemail.com"]
    )
    assert answers == [[], [], ["RATE_LIMITED"]]


async def test_dots_at_another_provider_are_another_mailbox(app_factory) -> None:
    answers, _ = await _answers(
        app_factory, ["a.n.a@example.com", "ana@example.com", "an.a@example.com"]
    )
    assert answers == [[], [], []]


async def test_reset_requests_count_on_the_same_cap(app_factory) -> None:
    async with app_factory(**CAPS) as app:
        gql = GraphQLClient(http_client(app))
        sent = await send_code(gql, "ana+1@example.com")
        reset = await gql(
            REQUEST_RESET,
            {"input": {"email": "ANA+reset@example.com", "kind": "HUAWEI_ID"}},
        )
        refused = await gql(
            REQUEST_RESET, {"input": {"email": "ana@example.com", "kind": "HUAWEI_ID"}}
        )
    assert sent["errors"] == []
    assert codes_of(reset["data"]["requestPasswordReset"]) == []
    assert codes_of(refused["data"]["requestPasswordReset"]) == ["RATE_LIMITED"]
