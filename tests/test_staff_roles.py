"""Every staff operation is refused to roles below its own, to customers and to nobody.

The table below names the least role of each operation; it must cover every field of the
staff schema, so a new operation cannot go in without a declared role.
"""

from __future__ import annotations

import pytest

from models.staff import StaffRole
from resolvers.staff.schema import staff_schema
from services.clock import FrozenClock
from tests.conftest import GraphQLClient, http_client
from tests.flows import bearer, sign_up
from tests.staff_flows import START, signed_in_member, staff_client

NOBODY_ID = "U3RhZmZNZW1iZXI6MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw"
ANY = "any staff session"
PUBLIC = "public"
ERR = "errors { code }"
REASON = 'reason: "r"'
# Least role, then a document that uses the operation with harmless arguments.
OPERATIONS: dict[str, tuple[str | StaffRole, str]] = {
    "me": (PUBLIC, "{ me { id } }"),
    "searchAccounts": (StaffRole.SUPPORT, '{ searchAccounts(input: {email: "a@b.co"}) { id } }'),
    "account": (StaffRole.SUPPORT, f'{{ account(id: "{NOBODY_ID}") {{ id }} }}'),
    "tickets": (StaffRole.SUPPORT, "{ tickets { edges { node { id } } } }"),
    "ticket": (StaffRole.SUPPORT, f'{{ ticket(id: "{NOBODY_ID}") {{ id }} }}'),
    "accountAuditTrail": (
        StaffRole.SUPPORT,
        f'{{ accountAuditTrail(accountId: "{NOBODY_ID}") {{ edges {{ cursor }} }} }}',
    ),
    "staffAuditTrail": (
        StaffRole.ADMIN,
        f'{{ staffAuditTrail(staffId: "{NOBODY_ID}") {{ edges {{ cursor }} }} }}',
    ),
    "staffMembers": (StaffRole.ADMIN, "{ staffMembers { id } }"),
    "signIn": (
        PUBLIC,
        'mutation { signIn(input: {email: "x@y.co", password: "p", totpCode: "123456"}) '
        f"{{ {ERR} }} }}",
    ),
    "setPassword": (
        PUBLIC,
        'mutation { setPassword(input: {email: "x@y.co", setupCode: "c", password: "p"}) '
        f"{{ {ERR} }} }}",
    ),
    "signOut": (ANY, f"mutation {{ signOut {{ {ERR} }} }}"),
    "assignTicket": (
        StaffRole.SUPPORT,
        f'mutation {{ assignTicket(input: {{ticketId: "{NOBODY_ID}"}}) {{ {ERR} }} }}',
    ),
    "replyToTicket": (
        StaffRole.SUPPORT,
        f'mutation {{ replyToTicket(input: {{ticketId: "{NOBODY_ID}", body: "hi"}}) {{ {ERR} }} }}',
    ),
    "moveTicket": (
        StaffRole.SUPPORT,
        f'mutation {{ moveTicket(input: {{ticketId: "{NOBODY_ID}", status: RESOLVED}}) '
        f"{{ {ERR} }} }}",
    ),
    "flagArrears": (
        StaffRole.BILLING,
        f'mutation {{ flagArrears(input: {{accountId: "{NOBODY_ID}", reason: "r"}}) {{ {ERR} }} }}',
    ),
    "clearArrears": (
        StaffRole.BILLING,
        f'mutation {{ clearArrears(input: {{accountId: "{NOBODY_ID}", {REASON}}}) {{ {ERR} }} }}',
    ),
    "recordUsage": (
        StaffRole.BILLING,
        f'mutation {{ recordUsage(input: {{accountId: "{NOBODY_ID}", amount: "1.00", '
        f'description: "x"}}) {{ {ERR} }} }}',
    ),
    "chargeBill": (
        StaffRole.BILLING,
        f'mutation {{ chargeBill(input: {{billId: "{NOBODY_ID}"}}) {{ {ERR} }} }}',
    ),
    "refundDeposit": (
        StaffRole.BILLING,
        f'mutation {{ refundDeposit(input: {{attemptId: "{NOBODY_ID}"}}) {{ {ERR} }} }}',
    ),
    "createStaffMember": (
        StaffRole.ADMIN,
        f'mutation {{ createStaffMember(input: {{email: "EMAIL", role: SUPPORT}}) {{ {ERR} }} }}',
    ),
    "disableStaffMember": (
        StaffRole.ADMIN,
        f'mutation {{ disableStaffMember(input: {{staffId: "{NOBODY_ID}"}}) {{ {ERR} }} }}',
    ),
    "resetStaffSecondFactor": (
        StaffRole.ADMIN,
        f'mutation {{ resetStaffSecondFactor(input: {{staffId: "{NOBODY_ID}"}}) {{ {ERR} }} }}',
    ),
}
RANK = [StaffRole.SUPPORT, StaffRole.BILLING, StaffRole.ADMIN]


def test_every_staff_operation_has_a_declared_role() -> None:
    schema = staff_schema._schema
    assert schema.mutation_type is not None
    fields = set(schema.query_type.fields) | set(schema.mutation_type.fields)
    assert fields == set(OPERATIONS)


def _allowed(least: str | StaffRole, role: StaffRole | None) -> bool:
    if least == PUBLIC:
        return True
    if role is None:
        return False
    return least == ANY or RANK.index(role) >= RANK.index(StaffRole(least))


def _refusal(body: dict) -> str | None:
    codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or []}
    refused = codes & {"FORBIDDEN", "UNAUTHENTICATED"}
    assert len(refused) <= 1, body
    return refused.pop() if refused else None


@pytest.mark.parametrize("name", sorted(OPERATIONS, key=lambda n: n == "signOut"))
async def test_each_operation_is_refused_below_its_role_and_to_customers(app_factory, name):
    clock = FrozenClock(START)
    least, document = OPERATIONS[name]
    async with app_factory(clock=clock, jobs=False) as app:
        customer = GraphQLClient(http_client(app))
        customer_token = await sign_up(customer, app, "cora@example.com")
        anonymous = staff_client(app)
        callers: list[tuple[str, StaffRole | None, GraphQLClient]] = [
            ("nobody", None, anonymous),
        ]
        as_customer = staff_client(app)
        as_customer.headers = bearer(customer_token)
        callers.append(("customer", None, as_customer))
        for role in RANK:
            _, client = await signed_in_member(
                app, clock, f"{role.value.lower()}@onramp.example", role
            )
            callers.append((role.value, role, client))

        for label, role, client in callers:
            wanted = document.replace("EMAIL", f"new-{label.lower()}@onramp.example")
            body = await client(wanted)
            refusal = _refusal(body)
            if _allowed(least, role):
                assert refusal is None, (name, label, body)
                assert not any(
                    (e.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR"
                    for e in body.get("errors") or []
                ), body
            else:
                expected = "FORBIDDEN" if role is not None else "UNAUTHENTICATED"
                assert refusal == expected, (name, label, body)
