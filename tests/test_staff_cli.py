"""`onramp staff create|disable|reset-2fa` and the billing commands staff share: the same
services as the staff API, and the same audit rows (their actor is the command line)."""

from __future__ import annotations

import asyncio
import contextvars
import os
import re
from dataclasses import dataclass

import pyotp
import pytest

from api import cli
from models.accounts import Account
from models.staff import AuditEntry, StaffMember
from tests.conftest import TEST_SECRET, GraphQLClient, http_client
from tests.flows import ready_for_card
from tests.staff_flows import ME, SET_PASSWORD, SIGN_IN, STAFF_PASSWORD, staff_client

EMAIL = "ana.admin@onramp.example"


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
async def onramp(database_url, monkeypatch, capsys):
    for name in [k for k in os.environ if k.startswith("ONRAMP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ONRAMP_DATABASE_URL", database_url)
    monkeypatch.setenv("ONRAMP_SECRET_KEY", TEST_SECRET)
    loop = asyncio.get_running_loop()

    async def run(*argv: str) -> Outcome:
        """The command in this process: its own thread, event loop and Tortoise context."""
        args = cli.parser().parse_args(list(argv))
        code = await loop.run_in_executor(None, contextvars.Context().run, cli.run, args)
        out, err = capsys.readouterr()
        return Outcome(code, out, err)

    return run


async def test_staff_create_prints_a_setup_code_and_the_second_factor(app, onramp) -> None:
    created = await onramp("staff", "create", "--email", EMAIL, "--role", "admin")
    again = await onramp("staff", "create", "--email", EMAIL.upper(), "--role", "support")
    code = re.search(r"setup code .*: ([A-Z2-7]{5}(?:-[A-Z2-7]{5}){3})", created.stdout)
    url = re.search(r"(otpauth://totp/\S+)", created.stdout)
    assert created.returncode == 0, created.stderr
    assert code
    assert url
    assert "█" in created.stdout or "▀" in created.stdout  # the QR code, drawn in the terminal
    assert again.returncode == 1
    assert "already" in again.stderr

    # What was printed enrols the member through the API.
    totp = pyotp.parse_uri(url.group(1))
    client = staff_client(app)
    set_password = await client(
        SET_PASSWORD,
        {
            "input": {
                "email": EMAIL,
                "setupCode": code.group(1),
                "password": STAFF_PASSWORD,
                "totpCode": totp.now(),
            }
        },
    )
    member = await StaffMember.get(email=EMAIL)
    assert set_password["data"]["setPassword"]["errors"] == []
    assert member.role == "ADMIN"
    [row] = await AuditEntry.filter(action="staff.create")
    assert row.actor.startswith("command line")
    assert row.staff_id is None
    assert row.after == {"email": EMAIL, "role": "ADMIN"}
    assert code.group(1) not in str(row.after)


async def test_reset_2fa_and_disable(app, onramp) -> None:
    await onramp("staff", "create", "--email", EMAIL, "--role", "support")
    old_secret = (await StaffMember.get(email=EMAIL)).totp_secret_sealed
    reset = await onramp("staff", "reset-2fa", "--email", EMAIL)
    disabled = await onramp("staff", "disable", "--email", EMAIL)
    twice = await onramp("staff", "disable", "--email", EMAIL)
    unknown = await onramp("staff", "disable", "--email", "nobody@onramp.example")
    member = await StaffMember.get(email=EMAIL)

    assert reset.returncode == 0, reset.stderr
    assert "otpauth://totp/" in reset.stdout
    assert member.totp_secret_sealed != old_secret
    assert disabled.returncode == 0
    assert member.disabled_at is not None
    assert twice.returncode == 1
    assert unknown.returncode == 1
    assert [r.action for r in await AuditEntry.all().order_by("created_at")] == [
        "staff.create",
        "staff.reset-second-factor",
        "staff.disable",
    ]
    client = staff_client(app)
    refused = await client(
        SIGN_IN, {"input": {"email": EMAIL, "password": STAFF_PASSWORD, "totpCode": "123456"}}
    )
    assert refused["data"]["signIn"]["errors"][0]["code"] == "INVALID_CREDENTIALS"
    assert (await client(ME))["data"]["me"] is None


async def test_billing_commands_write_the_same_audit_rows(app_factory, onramp) -> None:
    async with app_factory(jobs=False) as app:
        gql = GraphQLClient(http_client(app))
        await ready_for_card(gql, app, "eva@example.com")
        flagged = await onramp(
            "billing", "flag-arrears", "--email", "eva@example.com", "--reason", "chargeback"
        )
        cleared = await onramp(
            "billing", "clear-arrears", "--email", "eva@example.com", "--reason", "settled"
        )
        no_reason = await onramp(
            "billing", "clear-arrears", "--email", "eva@example.com", "--reason", ""
        )
        unknown_bill = await onramp("billing", "charge-bill", "--number", "B-000000-NOPE")

        account = await Account.get(email="eva@example.com")
        rows = await AuditEntry.filter(account_id=account.id).order_by("created_at")
        assert (flagged.returncode, cleared.returncode) == (0, 0)
        assert no_reason.returncode == 1
        assert unknown_bill.returncode == 1
        assert "no such bill" in unknown_bill.stderr
        assert [(r.action, r.reason) for r in rows] == [
            ("arrears.flag", "chargeback"),
            ("arrears.clear", "settled"),
        ]
        assert all(r.actor.startswith("command line") and r.client_ip is None for r in rows)
        assert not account.arrears_risk
