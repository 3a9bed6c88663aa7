"""The arrears-risk flag: set by an operator or by a bill's last failed charge, and lifted.

While an account is flagged, its usage is billed and charged as it is recorded. A flag that
failed charges set is lifted, and the person told, once every bill is paid; one an operator
set stays until an operator clears it.
"""

from __future__ import annotations

import logging
from uuid import UUID

from models.accounts import Account
from models.billing import Bill, BillStatus
from services import messages
from services.outbox import Outbox

log = logging.getLogger("onramp.billing")


class Arrears:
    def __init__(self, *, outbox: Outbox) -> None:
        self.outbox = outbox

    async def flag(self, account: Account, reason: str, *, by_charges: bool = False) -> Account:
        """Flags the account; an operator's flag stays until an operator clears it."""
        flagged = await Account.filter(id=account.id).first()
        operator_flag = bool(flagged and flagged.arrears_risk and not flagged.arrears_from_charges)
        await Account.filter(id=account.id).update(
            arrears_risk=True,
            arrears_reason=reason[:200],
            arrears_from_charges=by_charges and not operator_flag,
        )
        log.info("account %s flagged for arrears risk", account.id)
        return await Account.get(id=account.id)

    async def clear(self, account: Account) -> Account:
        await Account.filter(id=account.id).update(
            arrears_risk=False, arrears_reason=None, arrears_from_charges=False
        )
        return await Account.get(id=account.id)

    async def lift_if_settled(self, account_id: UUID) -> None:
        """Once every bill is paid, a flag that failed charges set is lifted, and said so."""
        if await Bill.filter(account_id=account_id, status=BillStatus.UNPAID).exists():
            return
        lifted = await Account.filter(
            id=account_id, arrears_risk=True, arrears_from_charges=True
        ).update(arrears_risk=False, arrears_reason=None, arrears_from_charges=False)
        if lifted:
            account = await Account.get(id=account_id)
            log.info("account %s no longer at arrears risk: every bill is paid", account.id)
            await self.outbox.send_email(account.email_display, messages.arrears_lifted())
