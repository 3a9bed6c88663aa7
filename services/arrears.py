"""The arrears-risk flag: set by an operator or by a bill's last failed charge, and lifted.

While an account is flagged, its usage is billed and charged as it is recorded. A flag that
failed charges set is lifted, and the person told, once every bill is paid; one an operator
set stays until an operator clears it. Every change of the flag is announced (the read cache
of every process drops the account): `flag` and `clear` (staff's or an operator's, each
with its audit row) announce it themselves; the bill payments change it inside their own
transaction, and announce once it has committed.
"""

from __future__ import annotations

import logging
from uuid import UUID

from tortoise.transactions import in_transaction

from models.accounts import Account
from models.billing import Bill, BillStatus
from services import messages
from services.outbox import Outbox
from services.problems import ProblemCode, Refused
from services.read_cache import ReadCache
from services.staff.audit import Actor, Audit
from services.text import check_text

log = logging.getLogger("onramp.billing")


class Arrears:
    def __init__(self, *, outbox: Outbox, read_cache: ReadCache, audit: Audit) -> None:
        self.outbox = outbox
        self.read_cache = read_cache
        self.audit = audit

    async def flag(self, account: Account, reason: str, *, actor: Actor) -> Account:
        """Staff's or an operator's flag: it stays until one of them clears it."""
        return await self._set(account, reason, actor, flagged=True)

    async def clear(self, account: Account, reason: str, *, actor: Actor) -> Account:
        return await self._set(account, reason, actor, flagged=False)

    async def _set(self, account: Account, reason: str, actor: Actor, *, flagged: bool) -> Account:
        text = check_text(reason, "reason").strip()
        if not 1 <= len(text) <= 200:
            raise Refused.because(
                ProblemCode.INVALID_INPUT, "Give the reason in 1 to 200 characters.", "reason"
            )
        async with in_transaction():
            before = await Account.get(id=account.id)
            await Account.filter(id=account.id).update(
                arrears_risk=flagged,
                arrears_reason=text if flagged else None,
                arrears_from_charges=False,
            )
            after = await Account.get(id=account.id)
            await self.audit.record(
                actor,
                "arrears.flag" if flagged else "arrears.clear",
                account_id=account.id,
                subject=account.email,
                before=_state(before),
                after=_state(after),
                reason=text,
            )
        await self.announce(account.id)
        log.info("account %s %s for arrears risk", account.id, "flagged" if flagged else "cleared")
        return after

    async def flag_for_charges(self, account: Account, reason: str) -> None:
        """Failed charges' flag (unannounced), lifted once every bill is paid; an operator's
        flag stays an operator's."""
        flagged = await Account.filter(id=account.id).first()
        operator_flag = bool(flagged and flagged.arrears_risk and not flagged.arrears_from_charges)
        await Account.filter(id=account.id).update(
            arrears_risk=True,
            arrears_reason=reason[:200],
            arrears_from_charges=not operator_flag,
        )
        log.info("account %s flagged for arrears risk", account.id)

    async def lift_if_settled(self, account_id: UUID) -> bool:
        """Once every bill is paid, a flag that failed charges set is lifted and the person
        told (unannounced); True when it was."""
        if await Bill.filter(account_id=account_id, status=BillStatus.UNPAID).exists():
            return False
        lifted = await Account.filter(
            id=account_id, arrears_risk=True, arrears_from_charges=True
        ).update(arrears_risk=False, arrears_reason=None, arrears_from_charges=False)
        if not lifted:
            return False
        account = await Account.get(id=account_id)
        log.info("account %s no longer at arrears risk: every bill is paid", account.id)
        await self.outbox.send_email(account.email_display, messages.arrears_lifted())
        return True

    async def announce(self, account_id: UUID) -> None:
        """Every process reads the account again (after the change has committed)."""
        await self.read_cache.account_changed(account_id)


def _state(account: Account) -> dict[str, object]:
    return {
        "arrearsRisk": account.arrears_risk,
        "arrearsReason": account.arrears_reason,
        "fromCharges": account.arrears_from_charges,
    }
