"""Finding a customer's account and opening it (recorded): SUPPORT and above."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.nodes import decode_id
from resolvers.staff.permissions import SupportRole, require_staff_session, staff_query
from resolvers.staff.types import AccountSummary, AccountView
from services.staff.accounts import CardKey, SearchKey


@strawberry.input
class CardSearchInput:
    last4: str
    expiry_month: int
    expiry_year: int


@strawberry.input(one_of=True, description="Exactly one key; matches are exact.")
class AccountSearchInput:
    email: str | None = strawberry.UNSET
    ticket_number: str | None = strawberry.UNSET
    bill_number: str | None = strawberry.UNSET
    card: CardSearchInput | None = strawberry.UNSET


def _key(search: AccountSearchInput) -> SearchKey:
    card = search.card
    return SearchKey(
        email=search.email or None,
        ticket_number=search.ticket_number or None,
        bill_number=search.bill_number or None,
        card=CardKey(card.last4, card.expiry_month, card.expiry_year) if card else None,
    )


@strawberry.type
class AccountQuery:
    @staff_query(SupportRole, description="Accounts that the key names (the search is recorded).")
    async def search_accounts(self, info: Info, input: AccountSearchInput) -> list[AccountSummary]:
        session = await require_staff_session(info)
        accounts = await info.context.services.staff_accounts.search(
            _key(input), info.context.actor(session)
        )
        return [AccountSummary.from_model(account) for account in accounts]

    @staff_query(SupportRole, description="Opens an account (recorded); null for an unknown id.")
    async def account(self, info: Info, id: strawberry.ID) -> AccountView | None:
        session = await require_staff_session(info)
        account = await info.context.services.staff_accounts.open(
            decode_id(id, "Account"), info.context.actor(session)
        )
        return AccountView.from_model(account) if account else None
