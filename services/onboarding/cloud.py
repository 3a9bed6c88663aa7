"""Step 4: accepting the current agreements and enabling cloud services.

Each acceptance is recorded per agreement version with its time, IP and user agent; a
security phone still undecided becomes SKIPPED, since enabling does not need one.
"""

from __future__ import annotations

from uuid import UUID

from tortoise.transactions import in_transaction

from models.accounts import Account
from models.onboarding import AgreementAcceptance
from services.accounts import Caller
from services.agreements import AgreementScope, current_agreements, find_agreement, title
from services.clock import Clock
from services.i18n.text import Listing, tr
from services.onboarding.progress import cloud_blocked_reason
from services.problems import ProblemCode, Problems, Refused
from services.steps import AfterStep


class CloudStep:
    """Enables cloud services for an account that accepts every current agreement."""

    def __init__(self, *, clock: Clock, after_step: AfterStep) -> None:
        self.clock = clock
        self.after_step = after_step

    async def enable(
        self, account: Account, accepted: list[UUID | None], caller: Caller
    ) -> Account:
        if account.cloud_enabled_at is not None:
            raise _already_enabled()
        if reason := cloud_blocked_reason(account):
            raise Refused.because(ProblemCode.CLOUD_NOT_AVAILABLE_FOR_ACCOUNT_KIND, reason)
        unknown = Problems()
        for index, agreement_id in enumerate(accepted):
            if agreement_id is None or find_agreement(agreement_id) is None:
                unknown.add(
                    ProblemCode.NOT_FOUND,
                    tr("There is no such agreement."),
                    f"acceptedAgreementIds.{index}",
                )
        unknown.refuse_if_any()
        now = self.clock.now()
        current = current_agreements(AgreementScope.CLOUD, now)
        missing = [a for a in current if a.id not in set(accepted)]
        if missing:
            names = Listing(
                [
                    tr("{title} (version {version})", title=title(a), version=a.version)
                    for a in missing
                ]
            )
            raise Refused.because(
                ProblemCode.AGREEMENTS_NOT_ACCEPTED,
                tr("Read and accept the current {names} to enable cloud services.", names=names),
                "acceptedAgreementIds",
            )
        async with in_transaction():
            # Conditional: of two requests racing, only one enables and records acceptances.
            enabled = await Account.filter(id=account.id, cloud_enabled_at=None).update(
                cloud_enabled_at=now
            )
            if not enabled:
                raise _already_enabled()
            await Account.filter(
                id=account.id, security_phone_verified_at=None, security_phone_skipped_at=None
            ).update(security_phone_skipped_at=now)
            for agreement in current:
                await AgreementAcceptance.create(
                    account_id=account.id,
                    agreement_id=agreement.id,
                    agreement_key=agreement.key,
                    version=agreement.version,
                    accepted_at=now,
                    client_ip=caller.client_ip[:64],
                    user_agent=caller.user_agent[:512],
                )
        await account.refresh_from_db()
        await self.after_step(account)
        return account


def _already_enabled() -> Refused:
    return Refused.because(ProblemCode.ALREADY_COMPLETED, tr("Cloud services are already enabled."))
