"""Asking for a code does the same work whether or not the address holds an account.

The time an answer takes is measured in bench/enumeration_timing.py; here each branch must
run the same SQL statements (counted by kind, neither the SQL nor its parameters kept) and
the same password hashing, for registration codes and both ways of resetting a password.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from models.accounts import Account
from models.codes import VerificationCode
from models.outbox import OutboxMessage
from services.passwords import Passwords
from tests.conftest import GraphQLClient, http_client, outbox
from tests.flows import REQUEST_RESET, SEND_CODE, codes_of, sign_up
from tests.queries import counting_statements

RELAXED = {"limit_codes_per_destination": "1000/minute", "limit_codes_per_ip": "1000/minute"}
ACCOUNT = "li.wei@example.com"
SECURITY_PHONE = ("+4915123456789", "DE")


@pytest.fixture
def hashing(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts calls of the password hasher (hash and verify)."""
    calls: Counter[str] = Counter()
    original_hash, original_verify = Passwords.hash, Passwords.verify

    async def hash_(passwords: Passwords, password: str) -> str:
        calls["hash"] += 1
        return await original_hash(passwords, password)

    async def verify(passwords: Passwords, stored: str | None, password: str) -> bool:
        calls["verify"] += 1
        return await original_verify(passwords, stored, password)

    monkeypatch.setattr(Passwords, "hash", hash_)
    monkeypatch.setattr(Passwords, "verify", verify)
    return calls


async def _work(
    gql: GraphQLClient, hashing: Counter[str], query: str, variables: dict[str, Any]
) -> tuple[Counter[str], Counter[str]]:
    """The statements and hashing one request costs; its payload must carry no errors."""
    hashing.clear()
    with counting_statements() as statements:
        body = await gql(query, variables)
    payload = next(iter(body["data"].values()))
    assert codes_of(payload) == [], payload
    assert statements, "no statement was counted: is the logger still the one Tortoise uses?"
    return Counter(statements), Counter(hashing)


@pytest.fixture
async def relaxed(app_factory):
    async with app_factory(jobs=False, **RELAXED) as app:  # no delivery job to count
        gql = GraphQLClient(http_client(app))
        await sign_up(gql, app, ACCOUNT)
        yield app, gql


def _reset(email: str, channel: str) -> dict[str, Any]:
    return {"input": {"email": email, "kind": "HUAWEI_ID", "channel": channel}}


async def test_a_registration_code_costs_the_same_with_or_without_an_account(
    relaxed, hashing
) -> None:
    app, gql = relaxed

    def ask(email: str) -> dict[str, Any]:
        return {"input": {"email": email, "kind": "HUAWEI_ID"}}

    existing = await _work(gql, hashing, SEND_CODE, ask(ACCOUNT))
    unknown = await _work(gql, hashing, SEND_CODE, ask("nobody@example.com"))

    assert existing == unknown
    assert {"SELECT", "INSERT", "UPDATE"} <= set(existing[0])
    kinds = [m["kind"] for m in await outbox(app)][:2]
    assert kinds == ["registration-code", "account-exists"]  # the owner is still told


async def test_a_reset_by_email_costs_the_same_with_or_without_an_account(relaxed, hashing) -> None:
    app, gql = relaxed
    existing = await _work(gql, hashing, REQUEST_RESET, _reset(ACCOUNT, "EMAIL"))
    unknown = await _work(gql, hashing, REQUEST_RESET, _reset("nobody@example.com", "EMAIL"))

    assert existing == unknown
    assert {"SELECT", "INSERT", "UPDATE"} <= set(existing[0])
    shown = await outbox(app)
    assert shown[0]["kind"] == "password-reset-code"
    assert all(m["recipient"] != "nobody@example.com" for m in shown)


async def test_a_reset_by_phone_costs_the_same_with_or_without_a_phone(relaxed, hashing) -> None:
    app, gql = relaxed
    without_phone = await _work(gql, hashing, REQUEST_RESET, _reset(ACCOUNT, "SECURITY_PHONE"))
    e164, region = SECURITY_PHONE
    await Account.filter(email=ACCOUNT).update(
        security_phone_e164=e164, security_phone_region=region
    )
    with_phone = await _work(gql, hashing, REQUEST_RESET, _reset(ACCOUNT, "SECURITY_PHONE"))
    unknown = await _work(
        gql, hashing, REQUEST_RESET, _reset("nobody@example.com", "SECURITY_PHONE")
    )

    assert with_phone == without_phone == unknown
    assert {"SELECT", "INSERT", "UPDATE"} <= set(with_phone[0])
    shown = await outbox(app)
    assert [(m["kind"], m["recipient"]) for m in shown[:1]] == [("password-reset-code", e164)]


async def test_decoys_are_never_delivered_nor_shown_nor_usable(relaxed) -> None:
    app, gql = relaxed
    before = len(await outbox(app))
    await gql(REQUEST_RESET, _reset("nobody@example.com", "EMAIL"))
    await gql(REQUEST_RESET, _reset("nobody@example.com", "SECURITY_PHONE"))

    decoys = await OutboxMessage.filter(kind="decoy")
    assert len(decoys) == 2
    assert all(d.status == "HELD" and d.recipient == "" and d.body == "" for d in decoys)
    assert len(await outbox(app)) == before
    codes = await VerificationCode.filter(destination="nobody@example.com")
    assert len(codes) == 2
    assert all(code.scope == "decoy" for code in codes)
