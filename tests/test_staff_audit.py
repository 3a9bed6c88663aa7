"""Nothing staff do goes unrecorded: every staff mutation, and the searches and openings of
accounts, writes exactly one audit row naming its action, and the table below must name
every mutation of the staff schema. The trail is listed per account and per staff member."""

from __future__ import annotations

from datetime import UTC, date, datetime

from models.accounts import Account
from models.billing import Bill
from models.staff import AuditEntry, StaffRole
from resolvers.staff.schema import staff_schema
from services.clock import FrozenClock
from tests.conftest import take_step
from tests.staff_flows import START, sign_in_again, signed_in_member
from tests.test_staff_money import _customer_with_card

ACTIONS = {
    "signIn": "staff.sign-in",
    "signOut": "staff.sign-out",
    "setPassword": "staff.set-password",
    "assignTicket": "ticket.assign",
    "replyToTicket": "ticket.reply",
    "moveTicket": "ticket.status",
    "flagArrears": "arrears.flag",
    "clearArrears": "arrears.clear",
    "recordUsage": "usage.record",
    "chargeBill": "bill.charge",
    "refundDeposit": "deposit.refund",
    "createStaffMember": "staff.create",
    "disableStaffMember": "staff.disable",
    "resetStaffSecondFactor": "staff.reset-second-factor",
}


def test_every_staff_mutation_names_its_audit_action() -> None:
    mutation = staff_schema._schema.mutation_type
    assert mutation is not None
    assert set(mutation.fields) == set(ACTIONS)


async def test_every_staff_action_writes_one_audit_row(app_factory) -> None:
    clock = FrozenClock(START)
    async with app_factory(clock=clock, jobs=False, limit_codes_per_destination="50/minute") as app:
        seen: list[str] = []

        async def expect(action: str, call) -> dict:
            before = await AuditEntry.all().count()
            clock.advance(seconds=1)
            body = await call
            rows = await AuditEntry.all().order_by("-created_at").limit(1)
            assert await AuditEntry.all().count() == before + 1, (action, body)
            assert rows[0].action == action, body
            seen.append(action)
            return body

        # The sign-in steps are recorded by the helper; counted here from the trail.
        admin_member, admin = await signed_in_member(
            app, clock, "ada@onramp.example", StaffRole.ADMIN
        )
        customer = await _customer_with_card(app, "4000 0000 0000 0341")  # off-session fails
        await take_step(app, "sandbox-refunds")
        await customer(
            'mutation { submitServiceTicket(input: {subject: "s", description: "d"}) '
            "{ errors { code } } }"
        )
        await _customer_with_card(app, "4000 0000 0000 5126", email="stuck@example.com")
        await take_step(app, "sandbox-refunds")  # its refund fails first: stuck
        billing = app.state.services.billing
        clock.set(datetime(2026, 11, 27, tzinfo=UTC))
        await billing.record_usage(await Account.get(email="eva@example.com"), "5.00", "Compute")
        clock.set(datetime(2026, 12, 3, 1, tzinfo=UTC))
        await billing.run(date(2026, 12, 3))
        await sign_in_again(admin, admin_member)

        search = await expect(
            "accounts.search",
            admin('{ searchAccounts(input: {email: "eva@example.com"}) { id } }'),
        )
        account_id = search["data"]["searchAccounts"][0]["id"]
        view = await expect(
            "account.open",
            admin(
                "query($id: ID!) { account(id: $id) { tickets { id } bills { id } } }",
                {"id": account_id},
            ),
        )
        ticket_id = view["data"]["account"]["tickets"][0]["id"]
        bill_id = view["data"]["account"]["bills"][0]["id"]
        stuck_id = (
            await admin(
                "query($id: ID!) { account(id: $id) { cardBindingAttempts { id } } }",
                {
                    "id": (
                        await admin(
                            '{ searchAccounts(input: {email: "stuck@example.com"}) { id } }'
                        )
                    )["data"]["searchAccounts"][0]["id"]
                },
            )
        )["data"]["account"]["cardBindingAttempts"][0]["id"]

        def run(name: str, **values: object):
            return admin(
                f"mutation($input: {_input_type(name)}!) {{ {name}(input: $input) "
                "{ errors { field code } } }",
                {"input": values},
            )

        results = {
            "assignTicket": await expect("ticket.assign", run("assignTicket", ticketId=ticket_id)),
            "replyToTicket": await expect(
                "ticket.reply", run("replyToTicket", ticketId=ticket_id, body="On it.")
            ),
            "moveTicket": await expect(
                "ticket.status", run("moveTicket", ticketId=ticket_id, status="RESOLVED")
            ),
            "flagArrears": await expect(
                "arrears.flag", run("flagArrears", accountId=account_id, reason="Review")
            ),
            "recordUsage": await expect(
                "usage.record",
                run("recordUsage", accountId=account_id, amount="1.00", description="Disk"),
            ),
            "clearArrears": await expect(
                "arrears.clear", run("clearArrears", accountId=account_id, reason="Done")
            ),
            "chargeBill": await expect("bill.charge", run("chargeBill", billId=bill_id)),
            "refundDeposit": await expect(
                "deposit.refund", run("refundDeposit", attemptId=stuck_id)
            ),
        }
        created = await expect(
            "staff.create",
            admin(
                'mutation { createStaffMember(input: {email: "new@onramp.example", role: SUPPORT})'
                " { staff { id } setupCode otpauthUrl errors { code } } }"
            ),
        )
        new_id = created["data"]["createStaffMember"]["staff"]["id"]
        results["resetStaffSecondFactor"] = await expect(
            "staff.reset-second-factor", run("resetStaffSecondFactor", staffId=new_id)
        )
        results["disableStaffMember"] = await expect(
            "staff.disable", run("disableStaffMember", staffId=new_id)
        )
        own_trail = await admin(
            "query($id: ID!) { staffAuditTrail(staffId: $id) { edges { node { action } } } }",
            {"id": admin_member.staff_id},
        )
        results["signOut"] = await expect(
            "staff.sign-out", admin("mutation { signOut { errors { code } } }")
        )
        customer_rows = await AuditEntry.filter(
            account_id=(await Account.get(email="eva@example.com")).id
        ).count()
        charged_again = await Bill.filter(charge_attempts=2).exists()

    for name, body in results.items():
        assert body["data"][name]["errors"] == [], (name, body)
    assert created["data"]["createStaffMember"]["setupCode"]
    trail = [edge["node"]["action"] for edge in own_trail["data"]["staffAuditTrail"]["edges"]]
    # Every mutation's action happened, and so did the sign-in and password steps.
    assert set(seen) | {"staff.sign-in", "staff.set-password"} >= set(ACTIONS.values())
    assert "staff.sign-in" in trail
    assert "staff.set-password" in trail
    assert customer_rows == 8  # opened, three ticket steps, flag, usage, clear, charge
    assert charged_again


def _input_type(name: str) -> str:
    field = staff_schema._schema.mutation_type.fields[name]  # type: ignore[union-attr]
    return field.args["input"].type.of_type.name
