"""The staff schema, served at /staff/graphql and committed as staff.graphql.

It shares the customer schema's limits, error masking and UserError shape, and none of
its operations: a customer's session means nothing here.
"""

from __future__ import annotations

from strawberry.tools import merge_types

from resolvers.schema import OnrampSchema, _extensions
from resolvers.staff.accounts import AccountQuery
from resolvers.staff.audit import AuditQuery
from resolvers.staff.members import MembersMutation, MembersQuery
from resolvers.staff.money import MoneyMutation
from resolvers.staff.sign_in import SignInMutation, SignInQuery
from resolvers.staff.tickets import TicketMutation, TicketQuery

Query = merge_types("Query", (SignInQuery, AccountQuery, TicketQuery, AuditQuery, MembersQuery))
Mutation = merge_types("Mutation", (SignInMutation, TicketMutation, MoneyMutation, MembersMutation))

staff_schema = OnrampSchema(query=Query, mutation=Mutation, extensions=_extensions())


def export_staff_sdl() -> str:
    return staff_schema.as_str() + "\n"
