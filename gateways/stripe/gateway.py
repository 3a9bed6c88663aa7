"""The Stripe gateway: the port on Stripe's PaymentIntents, through the official `stripe` SDK.

- One Stripe Customer per Onramp account (`StripeCustomer`), made at the first binding.
- The verification is a PaymentIntent for the deposit, confirmed at once with the
  PaymentMethod that Stripe.js made in the browser; `setup_future_usage=off_session` keeps
  the card for bills. Its reference is the PaymentIntent's id, and so is the "charge" an
  attempt remembers: refunds and their webhooks are looked up by the PaymentIntent.
- Every call is async (`*_async` on an httpx-based client), so nothing blocks the loop.
- Retries: the SDK retries network errors, 409 and 5xx itself (MAX_NETWORK_RETRIES, with
  its own backoff); every call that creates something sends an idempotency key derived from
  Onramp's ids, and the SDK sends that same `Idempotency-Key` header on each of its tries.
  A later retry by Onramp (the card sweep, a bill payment's recovery) derives the same key
  again, and may come after Stripe has forgotten it (it keeps keys at least 24 hours): so a
  create is recorded (`StripeRequest`) before it is sent, with the object's id once known,
  and is retrieved, not created again, when that id is known; when it is not (the answer
  was lost) and the key may be forgotten, the object is first searched for by the key,
  which every create also writes into the object's metadata. A refund is looked for among
  the PaymentIntent's refunds before one is created.
- A call Stripe refused (400) did nothing: a charge answers it as failed. Any other error
  (network, 5xx, timeouts) may hide a charge that went through, and is raised: the caller
  asks again later with the same key.
- Webhooks: the signature is checked by the SDK (`WebhookSignature.verify_header`); its age
  is checked against Onramp's clock, with the same 300 s tolerance.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any, Literal, TypeVar

import stripe
from starlette.routing import BaseRoute
from stripe.params import PaymentIntentCreateParams
from tortoise.exceptions import IntegrityError

from gateways.port import (
    Brand,
    CardDetails,
    ChargeOutcome,
    InvalidWebhook,
    PaymentMethod,
    PaymentMethodUnusable,
    RefundState,
    Verification,
    VerificationState,
    WebhookEvent,
)
from gateways.stripe.models import StripeCustomer, StripeRequest
from services.clock import Clock
from services.jobs import Job
from services.keys import KeyRing, Purpose
from services.money import Money, minor_digits

log = logging.getLogger("onramp.stripe")

WEBHOOK_PATH = "/webhooks/stripe"
SIGNATURE_HEADER = "stripe-signature"
SIGNATURE_TOLERANCE_S = 300
# The SDK's own tries after the first, each with the same Idempotency-Key.
MAX_NETWORK_RETRIES = 2
DEFAULT_API_BASE = "https://api.stripe.com"
# Stripe charges these in multiples of 10 minor units.
THREE_DECIMAL_CURRENCIES = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})
DepositMode = Literal["capture", "authorize"]
# Stripe keeps an idempotency key at least 24 hours. A create first sent longer ago than this
# may be forgotten, so its object is searched for before it is created again (search trails
# writes by about a minute, by up to an hour in an outage; never by most of a day).
KEY_TRUSTED_FOR = timedelta(hours=23)
# The metadata entry that names, on every object Onramp creates, the key it was created with.
KEY_METADATA = "onramp_key"

BRANDS = {
    "visa": Brand.VISA,
    "mastercard": Brand.MASTERCARD,
    "amex": Brand.AMEX,
    "discover": Brand.DISCOVER,
    "jcb": Brand.JCB,
    "unionpay": Brand.UNIONPAY,
    "diners": Brand.DINERS,
}
VERIFICATION_EVENTS = frozenset(
    {
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.requires_action",
        "payment_intent.canceled",
        "payment_intent.amount_capturable_updated",
        "payment_intent.processing",
    }
)
REFUND_EVENTS = frozenset({"charge.refunded", "refund.updated", "charge.refund.updated"})


Made = TypeVar("Made", stripe.Customer, stripe.PaymentIntent)


def minor_units(money: Money) -> int:
    """The amount in Stripe's integer minor units (ISO 4217 digits)."""
    units = int(money.amount.scaleb(minor_digits(money.currency)))
    if money.currency in THREE_DECIMAL_CURRENCIES:
        # Stripe refuses three-decimal amounts that are not multiples of 10.
        units = int((Decimal(units) / 10).to_integral_value(ROUND_CEILING)) * 10
    return units


class StripeGateway:
    name = "stripe"
    webhook_path = WEBHOOK_PATH

    def __init__(
        self,
        *,
        clock: Clock,
        keys: KeyRing,
        secret_key: str,
        publishable_key: str,
        webhook_secret: str,
        return_url: str,
        api_base: str | None = None,
        deposit_mode: DepositMode = "capture",
    ) -> None:
        """`return_url` is where Stripe sends the browser after 3-D Secure when the attempt
        names no return URL of its own."""
        self.clock = clock
        self.keys = keys
        self.publishable_key = publishable_key
        self.webhook_secret = webhook_secret
        self.default_return_url = return_url
        self.deposit_mode: DepositMode = deposit_mode
        base = (api_base or DEFAULT_API_BASE).rstrip("/")
        # Not used by Stripe.js (it makes PaymentMethods itself with the publishable key);
        # named for completeness: where PaymentMethods are made.
        self.tokenization_url = f"{base}/v1/payment_methods"
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": base},
            max_network_retries=MAX_NETWORK_RETRIES,
            http_client=stripe.HTTPXClient(timeout=30),
        )

    def routes(self) -> list[BaseRoute]:
        return []  # Stripe.js and Stripe's own pages host card entry and 3-D Secure

    def jobs(self) -> list[Job]:
        return []  # Stripe retries refunds and webhooks itself; the card sweep reconciles

    # Customers.

    async def _customer(self, account: str) -> str:
        known = await StripeCustomer.get_or_none(account_id=account)
        if known is not None:
            return known.customer_id
        # Two bindings at once make one Customer: the key is the account's.
        key = f"onramp-customer-{account}"
        customer = await self._once(
            key,
            create=lambda: self.client.v1.customers.create_async(
                params={"metadata": {"onramp_account": account, KEY_METADATA: key}},
                options={"idempotency_key": key},
            ),
            retrieve=self.client.v1.customers.retrieve_async,
            search=lambda query: self.client.v1.customers.search_async(params={"query": query}),
        )
        with contextlib.suppress(IntegrityError):
            await StripeCustomer.create(
                account_id=account, customer_id=customer.id, created_at=self.clock.now()
            )
        return (await StripeCustomer.get(account_id=account)).customer_id

    async def _once(
        self,
        key: str,
        *,
        create: Callable[[], Awaitable[Made]],
        retrieve: Callable[[str], Awaitable[Made]],
        search: Callable[[str], Awaitable[stripe.SearchResultObject[Made]]],
    ) -> Made:
        """What the create under `key` made, however late it is asked again: created once.

        The object is retrieved when its id is known; searched for by the key in its
        metadata when the key is old enough for Stripe to have forgotten it; else created
        (a repeat within Stripe's retention is answered by Stripe's replay). A PaymentIntent
        that a decline ended is made too: its id comes with the CardError, raised on.
        """
        now = self.clock.now()
        with contextlib.suppress(IntegrityError):
            await StripeRequest.create(idempotency_key=key, first_sent_at=now)
        request = await StripeRequest.get(idempotency_key=key)
        if request.object_id is not None:
            return await retrieve(request.object_id)
        if request.first_sent_at <= now - KEY_TRUSTED_FOR:
            escaped = key.replace("\\", "\\\\").replace("'", "\\'")
            found = (await search(f"metadata['{KEY_METADATA}']:'{escaped}'")).data
            if found:
                log.info("%s: found %s, made before Stripe forgot the key", key, found[0].id)
                await self._made(key, found[0].id)
                return found[0]
        try:
            made = await create()
        except stripe.CardError as declined:
            failed = declined.error.payment_intent if declined.error else None
            if failed is not None:
                await self._made(key, failed.id)
            raise
        await self._made(key, made.id)
        return made

    async def _made(self, key: str, object_id: str) -> None:
        await StripeRequest.filter(idempotency_key=key, object_id=None).update(object_id=object_id)

    async def _intent_once(
        self, key: str, params: PaymentIntentCreateParams, metadata: dict[str, str]
    ) -> stripe.PaymentIntent:
        """A PaymentIntent created once for `key` (see `_once`)."""
        params["metadata"] = {**metadata, KEY_METADATA: key}
        return await self._once(
            key,
            create=lambda: self.client.v1.payment_intents.create_async(
                params=params, options={"idempotency_key": key}
            ),
            retrieve=self.client.v1.payment_intents.retrieve_async,
            search=lambda query: self.client.v1.payment_intents.search_async(
                params={"query": query}
            ),
        )

    # The port.

    async def payment_method(self, token: str) -> PaymentMethod | None:
        token = token.strip()[:128]
        if not token.startswith("pm_"):
            return None
        try:
            method = await self.client.v1.payment_methods.retrieve_async(token)
        except stripe.InvalidRequestError:
            return None
        card = method.card
        brand = BRANDS.get(card.brand) if card is not None else None
        if card is None or brand is None or not card.fingerprint:
            return None  # not a card, or a brand Onramp does not know
        # Stripe never gives the first six digits of a PaymentMethod; `iin` when present.
        iin = card.to_dict().get("iin")
        details = CardDetails(
            brand=brand,
            first6=str(iin)[:6] if iin else "",
            last4=card.last4,
            expiry_month=card.exp_month,
            expiry_year=card.exp_year,
            holder_name=(method.billing_details.name or "").strip()[:100],
            # Stripe's fingerprint under our own key: never kept as Stripe gives it.
            fingerprint=self.keys.mac(Purpose.CARD_FINGERPRINTS, "stripe:" + card.fingerprint),
        )
        return PaymentMethod(reference=method.id, card=details, used=method.customer is not None)

    async def start_verification(
        self,
        *,
        token: str,
        deposit: Money,
        return_url: str | None,
        idempotency_key: str,
        account: str,
    ) -> Verification:
        customer = await self._customer(account)
        params: PaymentIntentCreateParams = {
            "amount": minor_units(deposit),
            "currency": deposit.currency.lower(),
            "customer": customer,
            "payment_method": token,
            "allowed_payment_method_types": ["card"],
            "confirm": True,
            "setup_future_usage": "off_session",
            "return_url": return_url or self.default_return_url,
            "description": "Onramp card verification deposit",
        }
        if self.deposit_mode == "authorize":
            params["capture_method"] = "manual"
        try:
            intent = await self._intent_once(
                f"onramp-verification-{idempotency_key}",
                params,
                {"onramp_account": account, "onramp_attempt": idempotency_key},
            )
        except stripe.CardError as declined:
            failed = declined.error.payment_intent if declined.error else None
            if failed is None:
                raise
            return _verification(failed)
        except stripe.InvalidRequestError as refused:
            if refused.param == "payment_method" or refused.code in (
                "resource_missing",
                "payment_method_unexpected_state",
            ):
                raise PaymentMethodUnusable(str(refused.user_message or refused.code)) from None
            raise
        return _verification(intent)

    async def verification(self, reference: str) -> Verification | None:
        try:
            intent = await self.client.v1.payment_intents.retrieve_async(reference)
        except stripe.InvalidRequestError:
            return None
        return _verification(intent)

    async def cancel_verification(self, reference: str) -> Verification | None:
        try:
            await self.client.v1.payment_intents.cancel_async(
                reference, options={"idempotency_key": f"onramp-cancel-{reference}"}
            )
        except stripe.InvalidRequestError as refused:
            # Already succeeded or failed: nothing to cancel; believe its state.
            log.info("PaymentIntent %s not canceled: %s", reference, refused.code)
        return await self.verification(reference)

    async def refund(self, charge: str) -> RefundState:
        if self.deposit_mode == "authorize":
            # The hold is released: the deposit reads REFUNDED.
            with contextlib.suppress(stripe.InvalidRequestError):
                await self.client.v1.payment_intents.cancel_async(
                    charge, options={"idempotency_key": f"onramp-release-{charge}"}
                )
            return await self.refund_state(charge)
        # Retrieve before create: a refund asked for earlier (its answer lost, its key maybe
        # forgotten by Stripe) is the refund; a second one would be refused.
        if await self.refund_state(charge) is RefundState.NONE:
            await self.client.v1.refunds.create_async(
                params={"payment_intent": charge, "metadata": {"onramp": "verification deposit"}},
                options={"idempotency_key": f"onramp-refund-{charge}"},
            )
        return await self.refund_state(charge)

    async def refund_state(self, charge: str) -> RefundState:
        if self.deposit_mode == "authorize":
            intent = await self.client.v1.payment_intents.retrieve_async(charge)
            return RefundState.SUCCEEDED if intent.status == "canceled" else RefundState.NONE
        refunds = await self.client.v1.refunds.list_async(
            params={"payment_intent": charge, "limit": 10}
        )
        if not refunds.data:
            return RefundState.NONE
        states = {refund.status for refund in refunds.data}
        if "succeeded" in states:
            return RefundState.SUCCEEDED
        if states & {"pending", "requires_action"}:
            return RefundState.PENDING
        # failed or canceled: Stripe has given it up.
        return RefundState.FAILED

    async def detach(self, payment_method: str) -> None:
        try:
            await self.client.v1.payment_methods.detach_async(payment_method)
        except stripe.InvalidRequestError as refused:
            # Already detached (or never attached): it charges nothing either way.
            log.info("PaymentMethod %s not detached: %s", payment_method, refused.code)

    async def charge_off_session(
        self, *, token: str, amount: Money, idempotency_key: str
    ) -> ChargeOutcome:
        try:
            method = await self.client.v1.payment_methods.retrieve_async(token)
            if method.customer is None:
                return ChargeOutcome("", False, "payment_method_detached")
            customer = method.customer if isinstance(method.customer, str) else method.customer.id
            intent = await self._intent_once(
                idempotency_key,
                {
                    "amount": minor_units(amount),
                    "currency": amount.currency.lower(),
                    "customer": customer,
                    "payment_method": token,
                    "allowed_payment_method_types": ["card"],
                    "off_session": True,
                    "confirm": True,
                },
                {},
            )
        except stripe.InvalidRequestError as refused:
            return ChargeOutcome("", False, _refusal_code(refused))
        except stripe.CardError as declined:
            error = declined.error
            failed = error.payment_intent if error else None
            code = (
                (_optional(error, "decline_code") or _optional(error, "code")) if error else None
            ) or "card_declined"
            return ChargeOutcome(failed.id if failed else "", False, code)
        if intent.status == "succeeded":
            return ChargeOutcome(intent.id, True, None)
        failure = _failure_code(intent) or (
            "authentication_required" if intent.status == "requires_action" else intent.status
        )
        return ChargeOutcome(intent.id, False, failure)

    async def charge_on_session(
        self,
        *,
        token: str,
        amount: Money,
        return_url: str | None,
        idempotency_key: str,
        account: str,
    ) -> Verification:
        customer = await self._customer(account)
        try:
            intent = await self._intent_once(
                f"onramp-payment-{idempotency_key}",
                {
                    "amount": minor_units(amount),
                    "currency": amount.currency.lower(),
                    "customer": customer,
                    "payment_method": token,
                    "allowed_payment_method_types": ["card"],
                    "confirm": True,
                    "return_url": return_url or self.default_return_url,
                    "description": "Onramp bill payment",
                },
                {"onramp_account": account, "onramp_payment": idempotency_key},
            )
        except stripe.InvalidRequestError as refused:
            return Verification("", VerificationState.FAILED, None, _refusal_code(refused), None)
        except stripe.CardError as declined:
            failed = declined.error.payment_intent if declined.error else None
            if failed is None:
                raise
            return _verification(failed)
        return _verification(intent)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str], now: datetime) -> WebhookEvent:
        signature = headers.get(SIGNATURE_HEADER)
        try:
            # The SDK checks the signature; the age is checked against Onramp's clock.
            stripe.WebhookSignature.verify_header(body, signature, self.webhook_secret, None)
        except stripe.SignatureVerificationError as error:
            raise InvalidWebhook(f"wrong or missing signature: {error.user_message}") from None
        sent_at = next(
            (part[2:] for part in (signature or "").split(",") if part.startswith("t=")), ""
        )
        try:
            age = abs(now.timestamp() - int(sent_at))
        except ValueError:
            raise InvalidWebhook("no signature timestamp") from None
        if age > SIGNATURE_TOLERANCE_S:
            raise InvalidWebhook("signature too old")
        try:
            event = json.loads(body)
            event_type = str(event["type"])
            found = event["data"]["object"]
            event_id = str(event["id"])
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidWebhook("not a Stripe event") from error
        if not isinstance(found, dict):
            raise InvalidWebhook("not a Stripe event")
        verification = charge = None
        if event_type in VERIFICATION_EVENTS:
            verification = _text(found.get("id"))
            if event_type == "payment_intent.canceled":
                charge = verification  # a released hold (ONRAMP_STRIPE_DEPOSIT=authorize)
        elif event_type in REFUND_EVENTS:
            # A Charge or a Refund: both name their PaymentIntent, the attempt's charge.
            charge = _text(found.get("payment_intent"))
        return WebhookEvent(id=event_id, type=event_type, verification=verification, charge=charge)


def _text(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _refusal_code(refused: stripe.InvalidRequestError) -> str:
    """A charge Stripe refused to make (400): it failed, and nothing was charged."""
    log.warning("Stripe refused a charge: %s (%s)", refused.code, refused.user_message)
    return "processing_error"


def _failure_code(intent: stripe.PaymentIntent) -> str | None:
    error = intent.last_payment_error
    if error is None:
        return None
    # Stripe leaves out what does not apply (decline_code outside card declines).
    return _optional(error, "decline_code") or _optional(error, "code") or "card_declined"


def _optional(obj: object, name: str) -> str | None:
    """A field Stripe may leave out of an object (the SDK raises AttributeError then)."""
    value = getattr(obj, name, None)
    return value if isinstance(value, str) and value else None


def _verification(intent: stripe.PaymentIntent) -> Verification:
    status = intent.status
    redirect = None
    if status == "requires_action" and intent.next_action is not None:
        # Only with a return_url: else Stripe asks for Stripe.js (use_stripe_sdk).
        to_url = getattr(intent.next_action, "redirect_to_url", None)
        redirect = _optional(to_url, "url")
    if status in ("succeeded", "requires_capture"):
        state = VerificationState.SUCCEEDED
    elif status == "requires_action":
        state = VerificationState.REQUIRES_ACTION
    elif status == "canceled":
        state = VerificationState.CANCELED
    elif status == "requires_payment_method" and intent.last_payment_error is not None:
        state = VerificationState.FAILED
    else:  # processing, requires_confirmation
        state = VerificationState.PROCESSING
    return Verification(
        reference=intent.id,
        state=state,
        redirect_url=redirect,
        failure_code=_failure_code(intent) if state is VerificationState.FAILED else None,
        # The PaymentIntent is what is refunded (or released), so it is the charge too.
        charge=intent.id if state is VerificationState.SUCCEEDED else None,
    )
