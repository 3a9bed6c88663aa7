"""Per-operation DataLoaders: the only way resolvers read rows by key.

Every field that reads a row by its id, or an account's or a bill's rows, goes through one of
these, so a list of N items costs one query per field rather than one per item. Over HTTP a
context serves one operation and its loaders cache; a websocket's context lives as long as
the connection, so there the loaders only batch and every message reads the database afresh.
Whatever a write changed is cleared here by the mutation that made it (`forget_*`).
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from strawberry.dataloader import DataLoader
from tortoise.models import Model

from models.accounts import Account
from models.billing import Bill, BillLine, BillPayment
from models.cards import CardBindingAttempt, PaymentCard, ServiceTicket, ServiceTicketReply
from models.onboarding import AccountDetails, AccountMessage, AgreementAcceptance
from models.staff import StaffMember

M = TypeVar("M", bound=Model)
Batch = Callable[[list[UUID]], Awaitable[Sequence[Any]]]


def _by_id(model: type[M]) -> Batch:
    async def load(ids: list[UUID]) -> Sequence[M | None]:
        found = {row.pk: row for row in await model.filter(id__in=set(ids))}
        return [found.get(key) for key in ids]

    return load


def _one_per(model: type[M], column: str) -> Batch:
    async def load(keys: list[UUID]) -> Sequence[M | None]:
        rows = await model.filter(**{f"{column}__in": set(keys)})
        found = {getattr(row, column): row for row in rows}
        return [found.get(key) for key in keys]

    return load


def _all_per(model: type[M], column: str, *order: str, **only: Any) -> Batch:
    async def load(keys: list[UUID]) -> Sequence[list[M]]:
        grouped: dict[UUID, list[M]] = defaultdict(list)
        rows = model.filter(**{f"{column}__in": set(keys)}, **only).order_by(*order)
        for row in await rows:
            grouped[getattr(row, column)].append(row)
        return [grouped.get(key, []) for key in keys]

    return load


def _forget(loader: DataLoader[UUID, Any], key: UUID) -> None:
    # DataLoader.clear raises KeyError for a key it never loaded.
    with contextlib.suppress(KeyError):
        loader.clear(key)


class Loaders:
    """The loaders of one operation (or, uncached, of one websocket connection)."""

    def __init__(self, *, cache: bool = True) -> None:
        # By id: what the `node` field and the links between types resolve.
        self.account: DataLoader[UUID, Account | None] = DataLoader(_by_id(Account), cache=cache)
        self.card: DataLoader[UUID, PaymentCard | None] = DataLoader(
            _by_id(PaymentCard), cache=cache
        )
        self.attempt: DataLoader[UUID, CardBindingAttempt | None] = DataLoader(
            _by_id(CardBindingAttempt), cache=cache
        )
        self.ticket: DataLoader[UUID, ServiceTicket | None] = DataLoader(
            _by_id(ServiceTicket), cache=cache
        )
        self.bill: DataLoader[UUID, Bill | None] = DataLoader(_by_id(Bill), cache=cache)
        self.message: DataLoader[UUID, AccountMessage | None] = DataLoader(
            _by_id(AccountMessage), cache=cache
        )
        # By account or bill: the lists that hang off an Account or a Bill.
        self.details_of: DataLoader[UUID, AccountDetails | None] = DataLoader(
            _one_per(AccountDetails, "account_id"), cache=cache
        )
        self.acceptances_of: DataLoader[UUID, list[AgreementAcceptance]] = DataLoader(
            _all_per(AgreementAcceptance, "account_id", "accepted_at", "agreement_key"),
            cache=cache,
        )
        self.cards_of: DataLoader[UUID, list[PaymentCard]] = DataLoader(
            # The default card first, then the newest.
            _all_per(PaymentCard, "account_id", "-is_default", "-bound_at", removed_at=None),
            cache=cache,
        )
        self.bill_payment: DataLoader[UUID, BillPayment | None] = DataLoader(
            _by_id(BillPayment), cache=cache
        )
        self.payments_of: DataLoader[UUID, list[BillPayment]] = DataLoader(
            _all_per(BillPayment, "bill_id", "-created_at"), cache=cache
        )
        self.lines_of: DataLoader[UUID, list[BillLine]] = DataLoader(
            _all_per(BillLine, "bill_id", "occurred_at"), cache=cache
        )
        self.staff_member: DataLoader[UUID, StaffMember | None] = DataLoader(
            _by_id(StaffMember), cache=cache
        )
        self.replies_of: DataLoader[UUID, list[ServiceTicketReply]] = DataLoader(
            _all_per(ServiceTicketReply, "ticket_id", "created_at", "id"), cache=cache
        )

    def forget_account(self, account_id: UUID) -> None:
        """After a write to an account: what hangs off it is read again."""
        for loader in (self.details_of, self.acceptances_of, self.cards_of):
            _forget(loader, account_id)
        # The continue message follows the account's progress; any of its messages may move.
        self.message.clear_all()

    def forget_ticket(self, ticket_id: UUID) -> None:
        """After a reply or a move: the ticket and its conversation are read again."""
        _forget(self.ticket, ticket_id)
        _forget(self.replies_of, ticket_id)

    def forget_attempts(self) -> None:
        """After a card binding: the attempt it started or replayed is read again."""
        self.attempt.clear_all()

    def forget_messages(self, message_ids: Iterable[UUID | None]) -> None:
        for key in message_ids:
            if key is not None:
                _forget(self.message, key)
