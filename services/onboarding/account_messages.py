"""The account's messages: listing them, marking them read, and the continue message.

The continue message is how a person who stops after enabling cloud services finds the way
back: it exists while mobile, details or a payment method are missing, its link follows the
next step, and it is withdrawn once all three are in place.

A message's title and text are shown in the reader's language: the row keeps its kind (and
the English text, for staff), and a kind the catalogue knows is written afresh at reading.
"""

from __future__ import annotations

from uuid import UUID

from models.accounts import Account
from models.onboarding import AccountMessage
from services import messages
from services.clock import Clock
from services.i18n.locales import DEFAULT
from services.i18n.text import Renderable, Verbatim, tr
from services.onboarding.progress import ProgressTracker
from services.outbox import Outbox
from services.problems import ProblemCode, Problems

CONTINUE_MESSAGE = "complete-account-information"


def title_and_body(message: AccountMessage) -> tuple[Renderable, Renderable]:
    """What the message says, to be written in the reader's language."""
    if message.kind == CONTINUE_MESSAGE:
        return messages.continue_title(), messages.continue_body()
    return Verbatim(message.title), Verbatim(message.body)


class AccountMessages:
    def __init__(
        self, *, clock: Clock, outbox: Outbox, progress: ProgressTracker, frontend_url: str
    ) -> None:
        self.clock = clock
        self.outbox = outbox
        self.progress = progress
        self.frontend_url = frontend_url

    async def refresh_continue_message(self, account: Account) -> None:
        """Keeps the continue message in step: its link follows progress; done, it goes."""
        progress = await self.progress.of(account)
        live = await AccountMessage.filter(
            account_id=account.id, kind=CONTINUE_MESSAGE, withdrawn_at=None
        ).first()
        if not progress.cloud_enabled:
            return
        if progress.account_information_complete:
            if live is not None:
                await AccountMessage.filter(id=live.id).update(withdrawn_at=self.clock.now())
            return
        if live is not None:
            if live.link != progress.continue_url:
                await AccountMessage.filter(id=live.id).update(link=progress.continue_url)
            return
        text = messages.complete_account_information(progress.continue_url or self.frontend_url)
        await AccountMessage.create(
            account_id=account.id,
            kind=CONTINUE_MESSAGE,
            title=messages.continue_title().render(DEFAULT),
            body=messages.continue_body().render(DEFAULT),
            link=progress.continue_url,
            created_at=self.clock.now(),
        )
        await self.outbox.send_email(account.email_display, text, account.locale)

    async def of_account(self, account: Account) -> list[AccountMessage]:
        """The messages still shown, newest first."""
        return await AccountMessage.filter(account_id=account.id, withdrawn_at=None).order_by(
            "-created_at"
        )

    async def mark_read(
        self, account: Account, message_ids: list[UUID | None]
    ) -> list[AccountMessage]:
        own = {
            m.id: m
            for m in await AccountMessage.filter(
                account_id=account.id, id__in=[i for i in message_ids if i is not None]
            )
        }
        missing = Problems()
        for index, message_id in enumerate(message_ids):
            if message_id is None or message_id not in own:
                missing.add(
                    ProblemCode.NOT_FOUND, tr("There is no such message."), f"messageIds.{index}"
                )
        missing.refuse_if_any()
        now = self.clock.now()
        await AccountMessage.filter(id__in=list(own), read_at=None).update(read_at=now)
        return await AccountMessage.filter(id__in=list(own)).order_by("-created_at")
