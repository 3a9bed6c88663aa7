"""`cardBindingUpdates`: a card-binding attempt pushed to the browser as its status changes.

Every transition publishes the attempt on its pub/sub channel once its transaction has
committed; this subscription relays those until the attempt is SUCCEEDED or FAILED, while
the session it started under is still live (checked again at every message).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from resolvers.cards import CardBindingAttemptType
from resolvers.nodes import decode_id
from resolvers.session import require_account, require_session, session_locale
from services.cards.transitions import SETTLED_DEPOSITS, TERMINAL, channel
from services.i18n.text import tr
from services.pubsub import RESYNC


@strawberry.type
class CardBindingSubscription:
    @strawberry.subscription(
        description=(
            "The attempt as it is now, at once, then after every change of status or "
            "depositStatus; completes right after the first message whose status is SUCCEEDED "
            "or FAILED and whose depositStatus is NOT_CHARGED, REFUNDED or REFUND_FAILED. An "
            "unknown or foreign attempt is an error with extensions.code NOT_FOUND."
        )
    )
    async def card_binding_updates(
        self, info: Info, attempt_id: strawberry.ID
    ) -> AsyncGenerator[CardBindingAttemptType, None]:
        session = await require_session(info)
        # An open subscription keeps only what it compares against, not the session's and
        # account's rows (a few KiB each, times every open subscription).
        account_id, session_expires_at = session.account_id, session.expires_at
        locale = session_locale(info, session)
        del session
        wanted = decode_id(attempt_id, "CardBindingAttempt")
        services = info.context.services
        cards = services.cards
        # Listen first, read second: no change can fall between the two.
        with info.context.open_subscription("cardBindingUpdates"):
            async with info.context.services.pubsub.subscribe(channel(wanted)) as changes:
                attempt = await cards.attempt_of(account_id, wanted) if wanted else None
                if attempt is None:
                    raise GraphQLError(
                        tr("There is no such card-binding attempt.").render(locale),
                        extensions={"code": "NOT_FOUND"},
                    )
                yield CardBindingAttemptType.from_model(attempt)
                state = (attempt.status, attempt.deposit_status)
                del attempt  # this subscriber's own row: only its state is compared
                while state[0] not in TERMINAL or state[1] not in SETTLED_DEPOSITS:
                    event = await changes.get()
                    # An ended session's sockets are closed when its end is announced. Expiry
                    # is not announced, and a process told to RESYNC may have missed an end:
                    # then the session is read again, and an ended one hears nothing more.
                    if event == RESYNC or session_expires_at <= services.clock.now():
                        await require_account(info)
                    latest = await cards.attempt_after(account_id, wanted, event)
                    if latest is None:
                        return
                    if (latest.status, latest.deposit_status) != state:
                        yield CardBindingAttemptType.from_model(latest)
                    state = (latest.status, latest.deposit_status)
