"""bindCard: the checks, the idempotency key, the account's one binding slot, the start."""

from __future__ import annotations

import uuid

from tortoise.transactions import in_transaction

from gateways.port import PaymentGateway, PaymentMethod
from models.accounts import Account
from models.cards import BindingIdempotencyKey, BindingStatus, CardBindingAttempt, PaymentCard
from models.onboarding import AccountDetails
from services.accounts import Caller
from services.agreements import AgreementScope, current_agreements
from services.cards.rules import (
    FAILURE_WINDOW,
    BindingRules,
    check_return_url,
)
from services.cards.transitions import TERMINAL, Transitions
from services.clock import Clock
from services.deposits import verification_deposit
from services.idempotency import answer_once
from services.problems import ProblemCode, Refused
from services.regions import find_region


class Binder:
    def __init__(
        self,
        *,
        clock: Clock,
        gateway: PaymentGateway,
        rules: BindingRules,
        transitions: Transitions,
    ) -> None:
        self.clock = clock
        self.gateway = gateway
        self.rules = rules
        self.transitions = transitions

    async def bind(
        self,
        account: Account,
        *,
        token: str,
        accept_terms: bool,
        return_url: str | None,
        idempotency_key: str,
        caller: Caller,
    ) -> CardBindingAttempt:
        async def start(claimed: BindingIdempotencyKey) -> CardBindingAttempt:
            return await self._start(account, claimed, token, accept_terms, return_url, caller)

        return await answer_once(
            BindingIdempotencyKey,
            account.id,
            idempotency_key,
            (token, accept_terms, return_url),
            clock=self.clock,
            made="attempt_id",
            load=lambda attempt_id: CardBindingAttempt.get(id=attempt_id),
            busy=ProblemCode.BINDING_IN_PROGRESS,
            run=start,
        )

    async def _start(
        self,
        account: Account,
        claimed: BindingIdempotencyKey,
        token: str,
        accept_terms: bool,
        return_url: str | None,
        caller: Caller,
    ) -> CardBindingAttempt:
        method = await self._check(account, token, accept_terms, return_url, caller)
        region = find_region(account.region_code)
        assert region is not None
        deposit = verification_deposit(region.currency)
        now = self.clock.now()
        terms = current_agreements(AgreementScope.PAYMENT, now)[0]
        attempt_id = uuid.uuid4()
        if not await self._claim_slot(account, attempt_id):
            raise Refused.because(
                ProblemCode.BINDING_IN_PROGRESS,
                "A card is already being verified. Finish or wait for that one first.",
            )
        try:
            async with in_transaction():
                attempt = await CardBindingAttempt.create(
                    id=attempt_id,
                    account_id=account.id,
                    gateway_payment_method=method.reference,
                    **method.card.columns(),
                    deposit_amount=str(deposit.amount),
                    deposit_currency=deposit.currency,
                    return_url=return_url,
                    service_terms_id=terms.id,
                    terms_accepted_at=now,
                    client_ip=caller.client_ip[:64],
                    user_agent=caller.user_agent[:512],
                    created_at=now,
                    updated_at=now,
                )
                await BindingIdempotencyKey.filter(id=claimed.id).update(attempt_id=attempt.id)
        except BaseException:
            await Account.filter(id=account.id, binding_attempt_id=attempt_id).update(
                binding_attempt_id=None
            )
            raise
        await self.transitions.publish(attempt.id)
        await self.transitions.start(attempt)
        return await CardBindingAttempt.get(id=attempt.id)

    async def _check(
        self,
        account: Account,
        token: str,
        accept_terms: bool,
        return_url: str | None,
        caller: Caller,
    ) -> PaymentMethod:
        if account.cloud_enabled_at is None or not await AccountDetails.exists(
            account_id=account.id
        ):
            raise Refused.because(
                ProblemCode.PREREQUISITE_MISSING,
                "Enable cloud services and complete your account details before adding a card.",
            )
        if not accept_terms:
            raise Refused.because(
                ProblemCode.TERMS_NOT_ACCEPTED,
                "Accept the payment service terms to add a card.",
                "acceptServiceTerms",
            )
        method = await self.gateway.payment_method(token.strip()) if token.strip() else None
        if method is None or method.used:
            raise Refused.because(
                ProblemCode.PAYMENT_METHOD_INVALID,
                "This card token is not valid: enter the card again.",
                "paymentMethodToken",
            )
        card = method.card
        if await PaymentCard.filter(
            account_id=account.id, fingerprint=card.fingerprint, removed_at=None
        ).exists():
            # Refused before any deposit is charged: the same card twice verifies nothing.
            raise Refused.because(
                ProblemCode.CARD_ALREADY_BOUND,
                "This card is already bound to your account.",
                "paymentMethodToken",
            )
        today = self.clock.now()
        if (card.expiry_year, card.expiry_month) < (today.year, today.month):
            raise Refused.because(
                ProblemCode.CARD_EXPIRED, "This card has expired.", "paymentMethodToken"
            )
        if card.brand not in self.rules.accepted_brands:
            raise Refused.because(
                ProblemCode.CARD_BRAND_NOT_SUPPORTED,
                "Cards of this brand are not accepted.",
                "paymentMethodToken",
            )
        check_return_url(return_url, self.rules.allowed_origins)
        await self._check_failure_caps(account, caller)
        return method

    async def _check_failure_caps(self, account: Account, caller: Caller) -> None:
        since = self.clock.now() - FAILURE_WINDOW
        for filters, cap in (
            ({"account_id": account.id}, self.rules.failures_per_account),
            ({"client_ip": caller.client_ip[:64]}, self.rules.failures_per_client_ip),
        ):
            failed = CardBindingAttempt.filter(
                status=BindingStatus.FAILED, completed_at__gt=since, **filters
            )
            if await failed.count() >= cap:
                oldest = await failed.order_by("completed_at").first()
                assert oldest is not None
                assert oldest.completed_at is not None  # every FAILED attempt has completed
                raise Refused.because(
                    ProblemCode.RATE_LIMITED,
                    "Too many cards failed verification today. Try again later or open a "
                    "service ticket.",
                    retry_after=oldest.completed_at + FAILURE_WINDOW,
                )

    async def _claim_slot(self, account: Account, attempt_id: uuid.UUID) -> bool:
        if await Account.filter(id=account.id, binding_attempt_id=None).update(
            binding_attempt_id=attempt_id
        ):
            return True
        # A slot left behind by an attempt that has since ended is free to take over.
        holder = await Account.get(id=account.id).values_list("binding_attempt_id", flat=True)
        if holder and await CardBindingAttempt.filter(id=holder, status__in=TERMINAL).exists():
            return bool(
                await Account.filter(id=account.id, binding_attempt_id=holder).update(
                    binding_attempt_id=attempt_id
                )
            )
        return False
