"""The Stripe gateway end to end: the real SDK against a strict local fake of Stripe's API.

bindCard goes through the app (GraphQL), the adapter calls the fake over loopback through
ONRAMP_STRIPE_API_BASE, and the fake's events come back signed to POST /webhooks/stripe.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from api.settings import UnsafeSettingsError
from gateways.port import VerificationState
from gateways.stripe.gateway import MAX_NETWORK_RETRIES, minor_units
from gateways.stripe.models import StripeCustomer
from models.accounts import Account
from models.billing import Bill, BillPayment, BillPaymentStatus, BillStatus
from models.cards import CardBindingAttempt, PaymentCard, ProcessedWebhookEvent
from services.cards.results import PAYMENT_CHECKING
from services.clock import FrozenClock
from services.money import Money
from services.public_ids import public_id
from tests.conftest import GraphQLClient, http_client, take_step
from tests.flows import GATEWAY, bearer, bind, login_payload, ready_for_card
from tests.stripe_fake import StripeFake, served
from tests.test_billing import at
from tests.test_pay_bill import PAYMENT, _pay

SK = "sk_test_onramp0000000000"
PK = "pk_test_onramp0000000000"
WHSEC = "whsec_onrampfake000000000"
KEYS = {"gateway_secret_key": SK, "gateway_publishable_key": PK, "gateway_webhook_secret": WHSEC}


class Stripe:
    """The app on the Stripe gateway, the fake behind it, and a signed-in GraphQL client."""

    def __init__(self, app: Any, fake: StripeFake, gql: GraphQLClient) -> None:
        self.app = app
        self.fake = fake
        self.gql = gql
        self.webhook_answers: list[int] = []
        # GraphQL id of an attempt -> the PaymentMethod it was started with.
        self.methods: dict[str, str] = {}

    async def post_webhook(self, body: bytes, headers: dict[str, str]) -> int:
        async with http_client(self.app) as client:
            response = await client.post("/webhooks/stripe", content=body, headers=headers)
        self.webhook_answers.append(response.status_code)
        return response.status_code

    async def deliver(self, body: bytes, headers: dict[str, str]) -> None:
        assert await self.post_webhook(body, headers) == 200

    async def ready(self, email: str = "ana.stripe@example.com") -> None:
        await ready_for_card(self.gql, self.app, email)

    async def bind(self, card: str, key: str = "bind-1") -> dict[str, Any]:
        method = self.fake.new_payment_method(card)
        payload = await bind(self.gql, method, key)
        assert payload["errors"] == [], payload
        self.methods[payload["attempt"]["id"]] = method
        return payload["attempt"]

    async def attempt(self, attempt_id: str) -> CardBindingAttempt:
        return await CardBindingAttempt.get(gateway_payment_method=self.methods[attempt_id])


async def _started(
    app_factory: Any, clock: FrozenClock | None = None, **overrides: Any
) -> AsyncIterator[Stripe]:
    fake = StripeFake(secret_key=SK, webhook_secret=WHSEC)
    if clock is not None:
        frozen = clock
        fake.now = lambda: frozen.now().timestamp()  # Stripe's time is the app's
    async with (
        served(fake) as base,
        app_factory(
            gateway="stripe", stripe_api_base=base, jobs=False, clock=clock, **KEYS, **overrides
        ) as app,
        http_client(app) as client,
    ):
        stripe = Stripe(app, fake, GraphQLClient(client))
        fake.deliver = stripe.deliver
        yield stripe


@pytest.fixture
async def stripe(app_factory: Any) -> AsyncIterator[Stripe]:
    async for started in _started(app_factory):
        yield started


@pytest.fixture
async def stripe_authorize(app_factory: Any) -> AsyncIterator[Stripe]:
    async for started in _started(app_factory, stripe_deposit="authorize"):
        yield started


async def test_the_gateway_config_names_stripe_and_its_publishable_key(stripe: Stripe) -> None:
    config = (await stripe.gql(GATEWAY))["data"]["paymentGateway"]
    assert config["name"] == "stripe"
    assert config["publishableKey"] == PK
    assert config["tokenizationUrl"] == f"{stripe.fake.base_url}/v1/payment_methods"


async def test_a_card_without_3ds_succeeds_at_once_and_its_deposit_is_refunded(
    stripe: Stripe,
) -> None:
    await stripe.ready()
    attempt = await stripe.bind("visa")
    assert attempt["status"] == "SUCCEEDED"
    assert attempt["depositStatus"] == "REFUNDED"
    assert attempt["nextAction"] is None
    assert attempt["card"]["last4"] == "4242"
    assert attempt["holderName"] == "Test Person"

    [intent] = stripe.fake.intents.values()
    row = await stripe.attempt(attempt["id"])
    assert row.gateway_intent == intent["id"]
    assert row.gateway_charge == intent["id"]  # the PaymentIntent is what is refunded
    assert intent["setup_future_usage"] == "off_session"
    assert intent["capture_method"] == "automatic_async"
    assert intent["currency"] == attempt["deposit"]["currency"].lower()
    assert intent["amount"] == minor_units(
        Money.of(attempt["deposit"]["amount"], attempt["deposit"]["currency"])
    )
    # One Customer for the account, named in its metadata and in the PaymentIntent.
    customer = await StripeCustomer.get(account_id=str(row.account_id))
    assert intent["customer"] == customer.customer_id
    assert stripe.fake.customers[customer.customer_id]["metadata"] == {
        "onramp_account": str(row.account_id),
        "onramp_key": f"onramp-customer-{row.account_id}",
    }
    assert intent["metadata"]["onramp_key"] == f"onramp-verification-{row.id}"
    # Every create carried the key derived from the attempt.
    [create] = stripe.fake.tries_of("POST", "/v1/payment_intents")
    assert create.idempotency_key == f"onramp-verification-{row.id}"
    # Stripe's fingerprint is kept only under our own key.
    method = stripe.fake.payment_methods[intent["payment_method"]]
    assert row.fingerprint != method["card"]["fingerprint"]
    assert method["card"]["fingerprint"] not in row.fingerprint
    assert len(row.fingerprint) >= 32
    # Stripe gives no first six digits.
    assert row.first6 == ""

    # The events that follow change nothing more.
    sent = await stripe.fake.flush()
    assert {e["type"] for e in sent} == {"payment_intent.succeeded", "charge.refunded"}
    assert stripe.webhook_answers == [200, 200]
    assert await PaymentCard.filter(account_id=row.account_id).count() == 1


async def test_the_same_card_twice_is_refused_before_any_charge(stripe: Stripe) -> None:
    await stripe.ready()
    assert (await stripe.bind("visa"))["status"] == "SUCCEEDED"
    again = await bind(stripe.gql, stripe.fake.new_payment_method("visa"), "bind-2")
    assert [e["code"] for e in again["errors"]] == ["CARD_ALREADY_BOUND"]
    assert len(stripe.fake.intents) == 1
    # The second binding of another card reuses the account's Customer.
    assert (await stripe.bind("mastercard", "bind-3"))["status"] == "SUCCEEDED"
    assert len(stripe.fake.customers) == 1
    assert await StripeCustomer.all().count() == 1


@pytest.mark.parametrize(("approve", "status"), [(True, "SUCCEEDED"), (False, "FAILED")])
async def test_3ds_asks_for_the_bank_page_then_follows_its_answer(
    stripe: Stripe, approve: bool, status: str
) -> None:
    await stripe.ready()
    attempt = await stripe.bind("threeDSecure2Required")
    assert attempt["status"] == "REQUIRES_ACTION"
    [intent] = stripe.fake.intents.values()
    assert (
        attempt["nextAction"]["redirectUrl"] == f"{stripe.fake.base_url}/_fake/3ds/{intent['id']}"
    )
    await stripe.fake.complete_3ds(intent["id"], approve=approve)
    await stripe.fake.flush()
    row = await stripe.attempt(attempt["id"])
    assert row.status.value == status
    if approve:
        assert row.deposit_status.value == "REFUNDED"
        assert len(stripe.fake.refunds) == 1
    else:
        assert row.failure_reason is not None
        assert row.failure_reason.value == "AUTHENTICATION_FAILED"
        assert row.deposit_status.value == "NOT_CHARGED"
        assert stripe.fake.refunds == {}


@pytest.mark.parametrize(
    ("card", "reason"),
    [
        ("chargeDeclined", "DECLINED"),
        ("chargeDeclinedInsufficientFunds", "INSUFFICIENT_FUNDS"),
        ("chargeDeclinedLostCard", "LOST_OR_STOLEN"),
        ("chargeDeclinedStolenCard", "LOST_OR_STOLEN"),
        ("chargeDeclinedExpiredCard", "EXPIRED_CARD"),
        ("chargeDeclinedIncorrectCvc", "INCORRECT_CVC"),
        ("chargeDeclinedProcessingError", "PROCESSING_ERROR"),
    ],
)
async def test_a_decline_at_confirm_fails_the_attempt_at_once_with_its_reason(
    stripe: Stripe, card: str, reason: str
) -> None:
    await stripe.ready()
    attempt = await stripe.bind(card)
    assert attempt["status"] == "FAILED"
    assert attempt["failureReason"] == reason
    assert attempt["depositStatus"] == "NOT_CHARGED"
    await stripe.fake.flush()  # payment_intent.payment_failed: nothing more
    failure = (await stripe.attempt(attempt["id"])).failure_reason
    assert failure is not None
    assert failure.value == reason


async def test_a_refund_that_fails_for_good_reads_refund_failed(stripe: Stripe) -> None:
    await stripe.ready()
    attempt = await stripe.bind("refundFail")
    assert (attempt["status"], attempt["depositStatus"]) == ("SUCCEEDED", "REFUNDED")
    await stripe.fake.flush()
    [intent] = stripe.fake.intents.values()
    await stripe.fake.fail_refund(intent["id"])
    [event] = await stripe.fake.flush()
    assert event["type"] == "charge.refund.updated"
    assert (await stripe.attempt(attempt["id"])).deposit_status.value == "REFUND_FAILED"


async def test_a_webhook_that_comes_before_the_api_answer(stripe: Stripe) -> None:
    stripe.fake.webhooks_first = True
    await stripe.ready()
    attempt = await stripe.bind("visa")
    # The event found no attempt by that PaymentIntent yet; the answer settled it.
    assert stripe.webhook_answers[0] == 200
    assert await ProcessedWebhookEvent.all().count() >= 1
    assert (attempt["status"], attempt["depositStatus"]) == ("SUCCEEDED", "REFUNDED")
    assert await PaymentCard.all().count() == 1


async def test_a_duplicated_webhook_changes_nothing(stripe: Stripe) -> None:
    await stripe.ready()
    attempt = await stripe.bind("threeDSecure2Required")
    [intent] = stripe.fake.intents.values()
    await stripe.fake.complete_3ds(intent["id"], approve=True)
    events, stripe.fake.pending_events = stripe.fake.pending_events, []
    succeeded = next(e for e in events if e["type"] == "payment_intent.succeeded")
    body, headers = stripe.fake.signed(succeeded)
    assert await stripe.post_webhook(body, headers) == 200
    assert await stripe.post_webhook(body, headers) == 200
    row = await stripe.attempt(attempt["id"])
    assert row.status.value == "SUCCEEDED"
    assert await PaymentCard.all().count() == 1
    assert len(stripe.fake.refunds) == 1
    assert len(stripe.fake.tries_of("POST", "/v1/refunds")) == 1


async def test_stripe_answering_500_then_200_makes_one_payment_intent(stripe: Stripe) -> None:
    await stripe.ready()
    stripe.fake.lost_answers["/v1/payment_intents"] = 1
    attempt = await stripe.bind("visa")
    assert attempt["status"] == "SUCCEEDED"
    tries = stripe.fake.tries_of("POST", "/v1/payment_intents")
    assert [t.status for t in tries] == [500, 200]
    row = await stripe.attempt(attempt["id"])
    assert {t.idempotency_key for t in tries} == {f"onramp-verification-{row.id}"}
    assert len(stripe.fake.intents) == 1


async def test_webhooks_with_a_wrong_or_old_signature_are_refused(stripe: Stripe) -> None:
    await stripe.ready()
    attempt = await stripe.bind("threeDSecure2Required")
    [intent] = stripe.fake.intents.values()
    await stripe.fake.complete_3ds(intent["id"], approve=True)
    event = next(e for e in stripe.fake.pending_events if e["type"] == "payment_intent.succeeded")
    body = json.dumps(event).encode()
    old = stripe.fake.sign(body, int(time.time()) - 301)
    wrong = stripe.fake.sign(body + b" ")
    for headers in ({"stripe-signature": old}, {"stripe-signature": wrong}, {}):
        assert await stripe.post_webhook(body, headers) == 400
    assert (await stripe.attempt(attempt["id"])).status.value == "REQUIRES_ACTION"
    assert await ProcessedWebhookEvent.all().count() == 0


async def test_authorize_mode_holds_the_deposit_then_releases_it(stripe_authorize: Stripe) -> None:
    stripe = stripe_authorize
    await stripe.ready()
    attempt = await stripe.bind("visa")
    [intent] = stripe.fake.intents.values()
    assert intent["capture_method"] == "manual"
    assert (attempt["status"], attempt["depositStatus"]) == ("SUCCEEDED", "REFUNDED")
    assert intent["status"] == "canceled"  # released, never captured nor refunded
    assert stripe.fake.refunds == {}


async def test_bills_charge_off_session_and_a_removed_card_is_detached(stripe: Stripe) -> None:
    await stripe.ready()
    attempt = await stripe.bind("visa")
    gateway = stripe.app.state.services.gateway
    row = await stripe.attempt(attempt["id"])
    outcome = await gateway.charge_off_session(
        token=row.gateway_payment_method, amount=Money.of("12.34", "EUR"), idempotency_key="bill-1"
    )
    assert outcome.succeeded
    bill_intent = stripe.fake.intents[outcome.reference]
    assert (bill_intent["amount"], bill_intent["currency"]) == (1234, "eur")
    [bill_try] = [t for t in stripe.fake.tries_of("POST", "/v1/payment_intents")][1:]
    assert bill_try.idempotency_key == "bill-1"
    await gateway.detach(row.gateway_payment_method)
    assert stripe.fake.payment_methods[row.gateway_payment_method]["customer"] is None
    after = await gateway.charge_off_session(
        token=row.gateway_payment_method, amount=Money.of("1", "EUR"), idempotency_key="bill-2"
    )
    assert not after.succeeded


async def test_off_session_charges_of_a_3ds_card_fail_as_authentication_required(
    stripe: Stripe,
) -> None:
    await stripe.ready()
    attempt = await stripe.bind("threeDSecure2Required")
    [intent] = stripe.fake.intents.values()
    await stripe.fake.complete_3ds(intent["id"], approve=True)
    await stripe.fake.flush()
    row = await stripe.attempt(attempt["id"])
    outcome = await stripe.app.state.services.gateway.charge_off_session(
        token=row.gateway_payment_method, amount=Money.of("5", "EUR"), idempotency_key="bill-3"
    )
    assert (outcome.succeeded, outcome.failure_code) == (False, "authentication_required")


async def test_a_bill_paid_on_session_succeeds_or_asks_for_the_bank_page(stripe: Stripe) -> None:
    await stripe.ready()
    gateway = stripe.app.state.services.gateway
    plain = await stripe.bind("visa")
    plain_row = await stripe.attempt(plain["id"])
    account = str(plain_row.account_id)
    paid = await gateway.charge_on_session(
        token=plain_row.gateway_payment_method,
        amount=Money.of("7.00", "EUR"),
        return_url="https://app.example.test/bills",
        idempotency_key="pay-1",
        account=account,
    )
    assert paid.state is VerificationState.SUCCEEDED
    sent = stripe.fake.intents[paid.reference]
    assert sent["amount"] == 700
    assert not sent.get("off_session")  # on the person's own initiative

    strong = await stripe.bind("threeDSecure2Required", key="bind-2")
    [deposit] = [i for i in stripe.fake.intents.values() if i["status"] == "requires_action"]
    await stripe.fake.complete_3ds(deposit["id"], approve=True)
    await stripe.fake.flush()
    strong_row = await stripe.attempt(strong["id"])
    asked = await gateway.charge_on_session(
        token=strong_row.gateway_payment_method,
        amount=Money.of("7.00", "EUR"),
        return_url="https://app.example.test/bills",
        idempotency_key="pay-2",
        account=account,
    )
    assert asked.state is VerificationState.REQUIRES_ACTION
    assert asked.redirect_url
    await stripe.fake.complete_3ds(asked.reference, approve=True)
    after = await gateway.verification(asked.reference)
    assert after is not None
    assert after.state is VerificationState.SUCCEEDED


def test_three_decimal_currencies_are_charged_in_tens() -> None:
    assert minor_units(Money.of(Decimal("0.308"), "KWD")) == 310
    assert minor_units(Money.of(Decimal("0.310"), "KWD")) == 310
    assert minor_units(Money.of(Decimal("1.00"), "EUR")) == 100
    assert minor_units(Money.of(Decimal("150"), "JPY")) == 150


@pytest.mark.parametrize("env", ["production", "development"])
def test_start_up_names_each_missing_stripe_key(settings_for: Any, env: str) -> None:
    base = {
        "env": env,
        "gateway": "stripe",
        "smtp_host": "smtp.example.test",
        "sms_webhook_url": "https://sms.example.test/hook",
    }
    with pytest.raises(UnsafeSettingsError) as refused:
        settings_for(**base).check_safe()
    for variable in KEYS:
        assert f"ONRAMP_{variable.upper()}" in str(refused.value)
    with pytest.raises(UnsafeSettingsError) as one_missing:
        settings_for(**base, **{**KEYS, "gateway_webhook_secret": None}).check_safe()
    assert "ONRAMP_GATEWAY_WEBHOOK_SECRET" in str(one_missing.value)
    assert "ONRAMP_GATEWAY_SECRET_KEY" not in str(one_missing.value)
    with pytest.raises(UnsafeSettingsError, match="ONRAMP_GATEWAY_SECRET_KEY"):
        settings_for(**base, **{**KEYS, "gateway_secret_key": "pk_wrong_kind"}).check_safe()
    settings_for(**base, **KEYS).check_safe()  # all three: it starts, in production too


async def test_an_attempt_left_on_the_3ds_page_times_out_and_its_intent_is_canceled(
    app_factory: Any,
) -> None:
    clock = FrozenClock(datetime.now(UTC))
    async for stripe in _started(app_factory, clock=clock):
        await stripe.ready()
        attempt = await stripe.bind("threeDSecure2Required")
        assert attempt["status"] == "REQUIRES_ACTION"
        clock.advance(seconds=899)
        await take_step(stripe.app, "card-binding")
        [intent] = stripe.fake.intents.values()
        assert intent["status"] == "requires_action"
        clock.advance(seconds=2)
        await take_step(stripe.app, "card-binding")
        assert intent["status"] == "canceled"
        row = await stripe.attempt(attempt["id"])
        assert row.status.value == "FAILED"
        assert row.failure_reason is not None
        assert row.failure_reason.value == "AUTHENTICATION_TIMEOUT"


# Lost answers, and retries after Stripe has forgotten their idempotency key (24 h).

EVERY_TRY = 1 + MAX_NETWORK_RETRIES  # the SDK's tries of one call


@pytest.fixture
def frozen() -> FrozenClock:
    return FrozenClock(at(2026, 11, 15))


@pytest.fixture
async def frozen_stripe(app_factory: Any, frozen: FrozenClock) -> AsyncIterator[Stripe]:
    async for started in _started(app_factory, clock=frozen):
        yield started


async def _bound(stripe: Stripe, card: str) -> Account:
    """A card bound (its bank page approved when it asks) to the account it makes post-paid."""
    await stripe.ready()
    attempt = await stripe.bind(card)
    if attempt["status"] == "REQUIRES_ACTION":
        [deposit] = stripe.fake.intents.values()
        await stripe.fake.complete_3ds(deposit["id"], approve=True)
        await stripe.fake.flush()
    row = await stripe.attempt(attempt["id"])
    assert row.status.value == "SUCCEEDED"
    return await Account.get(id=row.account_id)


async def _billed(
    stripe: Stripe, clock: FrozenClock, card: str, *, answer_lost: bool = False
) -> Bill:
    """November's usage billed on December 3rd, the automatic charge made; with
    `answer_lost` every try of its create is processed but answered 500."""
    account = await _bound(stripe, card)
    billing = stripe.app.state.services.billing
    await billing.record_usage(account, "5.00", "Compute")
    clock.set(at(2026, 12, 3))
    if answer_lost:
        stripe.fake.lost_answers["/v1/payment_intents"] = EVERY_TRY
    await billing.run(date(2026, 12, 3))
    return await Bill.get()


def _intents_for(stripe: Stripe, key: str) -> list[dict[str, Any]]:
    return [i for i in stripe.fake.intents.values() if i["metadata"].get("onramp_key") == key]


@pytest.mark.parametrize("later", [timedelta(seconds=30), timedelta(hours=25)])
async def test_a_bill_charge_whose_answer_was_lost_is_asked_again_and_made_once(
    frozen_stripe: Stripe, frozen: FrozenClock, later: timedelta
) -> None:
    stripe = frozen_stripe
    bill = await _billed(stripe, frozen, "visa", answer_lost=True)
    key = f"bill:{bill.id}:0"
    [payment] = await BillPayment.all()
    assert payment.status is BillPaymentStatus.PROCESSING  # charged, but nobody heard it
    assert _intents_for(stripe, key)[0]["status"] == "succeeded"
    frozen.advance(seconds=later.total_seconds())  # 25 h: the gateway was out of reach
    forgotten = later > timedelta(hours=24)
    assert stripe.fake.remembers(key) is not forgotten
    await take_step(stripe.app, "bill-payments")
    await take_step(stripe.app, "bill-payments")

    [intent] = _intents_for(stripe, key)
    payment = await BillPayment.get(id=payment.id)
    assert (payment.status, payment.gateway_reference) == (
        BillPaymentStatus.SUCCEEDED,
        intent["id"],
    )
    assert (await Bill.get()).status is BillStatus.PAID
    creates = [
        t.status
        for t in stripe.fake.tries_of("POST", "/v1/payment_intents")
        if t.idempotency_key == key
    ]
    # Within Stripe's retention the create is replayed; after it, the object is searched for.
    assert creates == [500] * EVERY_TRY + ([] if forgotten else [200])
    searched = stripe.fake.tries_of("GET", "/v1/payment_intents/search")
    assert len(searched) == (1 if forgotten else 0)


async def _pay_unpaid(stripe: Stripe, frozen: FrozenClock) -> dict[str, Any]:
    """A 3-D Secure card's bill (its automatic charge failed), paid with payBill while
    Stripe's answers to the payment's create are lost."""
    bill = await _billed(stripe, frozen, "threeDSecure2Required")
    assert bill.status is BillStatus.UNPAID
    stripe.gql.headers = bearer(
        (await login_payload(stripe.gql, "ana.stripe@example.com"))["session"]["token"]
    )
    stripe.fake.lost_answers["/v1/payment_intents"] = EVERY_TRY
    answer = await _pay(
        stripe.gql,
        public_id("Bill", bill.id),
        returnUrl="https://app.example.test/bills",
    )
    assert answer["errors"] == []
    assert (answer["payment"]["status"], answer["payment"]["result"]) == (
        "PROCESSING",
        PAYMENT_CHECKING,
    )
    return answer["payment"]


@pytest.mark.parametrize("later", [timedelta(seconds=30), timedelta(hours=25)])
async def test_pay_bill_whose_answer_was_lost_gets_its_bank_page_once_stripe_is_asked_again(
    frozen_stripe: Stripe, frozen: FrozenClock, later: timedelta
) -> None:
    stripe = frozen_stripe
    shown = await _pay_unpaid(stripe, frozen)
    payment = await BillPayment.get(off_session=False)
    key = f"onramp-payment-{payment.id}"
    frozen.advance(seconds=later.total_seconds())
    assert stripe.fake.remembers(key) is (later < timedelta(hours=24))
    await take_step(stripe.app, "bill-payments")

    [intent] = _intents_for(stripe, key)
    waiting = (await stripe.gql(PAYMENT, {"id": shown["id"]}))["data"]["node"]
    assert waiting["status"] == "REQUIRES_ACTION"
    assert (
        waiting["nextAction"]["redirectUrl"] == f"{stripe.fake.base_url}/_fake/3ds/{intent['id']}"
    )
    await stripe.fake.complete_3ds(intent["id"], approve=True)
    await stripe.fake.flush()  # payment_intent.succeeded
    paid = (await stripe.gql(PAYMENT, {"id": shown["id"]}))["data"]["node"]
    assert (paid["status"], paid["bill"]["status"]) == ("SUCCEEDED", "PAID")
    assert len(_intents_for(stripe, key)) == 1
    searched = stripe.fake.tries_of("GET", "/v1/payment_intents/search")
    assert len(searched) == (1 if later > timedelta(hours=24) else 0)


async def _bind_losing(stripe: Stripe, path: str) -> dict[str, Any]:
    """bindCard with a visa card while every answer to a create at `path` is lost."""
    await stripe.ready()
    stripe.fake.lost_answers[path] = EVERY_TRY
    return await stripe.bind("visa")


async def test_a_customer_whose_answer_was_lost_is_found_after_stripe_forgot_its_key(
    frozen_stripe: Stripe, frozen: FrozenClock
) -> None:
    stripe = frozen_stripe
    attempt = await _bind_losing(stripe, "/v1/customers")
    assert attempt["status"] == "PROCESSING"  # the Customer was made; nobody heard it
    assert len(stripe.fake.customers) == 1
    frozen.advance(hours=25)
    await take_step(stripe.app, "card-binding")  # the sweep starts the attempt again

    row = await stripe.attempt(attempt["id"])
    assert row.status.value == "SUCCEEDED"
    [customer] = stripe.fake.customers
    assert (await StripeCustomer.get(account_id=str(row.account_id))).customer_id == customer
    assert len(stripe.fake.tries_of("GET", "/v1/customers/search")) == 1


async def test_a_refund_whose_answer_was_lost_is_not_asked_for_again(
    frozen_stripe: Stripe, frozen: FrozenClock
) -> None:
    stripe = frozen_stripe
    attempt = await _bind_losing(stripe, "/v1/refunds")
    # The card is bound; the refund was made, but its answer lost.
    assert (attempt["status"], attempt["depositStatus"]) == ("SUCCEEDED", "CHARGED")
    assert len(stripe.fake.refunds) == 1
    frozen.advance(hours=25)
    await take_step(stripe.app, "card-binding")  # the sweep asks for the refund again

    assert (await stripe.attempt(attempt["id"])).deposit_status.value == "REFUNDED"
    assert len(stripe.fake.refunds) == 1
    assert len(stripe.fake.tries_of("POST", "/v1/refunds")) == EVERY_TRY


async def test_a_charge_stripe_refuses_fails_at_once_and_is_not_asked_again(
    frozen_stripe: Stripe, frozen: FrozenClock
) -> None:
    stripe = frozen_stripe
    account = await _bound(stripe, "visa")
    card = await PaymentCard.get(account_id=account.id)
    del stripe.fake.payment_methods[card.gateway_payment_method]  # Stripe answers 404
    await stripe.app.state.services.billing.record_usage(account, "5.00", "Compute")
    frozen.set(at(2026, 12, 3))
    await stripe.app.state.services.billing.run(date(2026, 12, 3))

    # Refused (4xx): nothing was charged, so the try failed, and is retried as a decline is.
    [payment] = await BillPayment.all()
    assert (payment.status, payment.failure_reason) == (
        BillPaymentStatus.FAILED,
        "PROCESSING_ERROR",
    )
    bill = await Bill.get()
    assert (bill.active_payment_id, bill.next_charge_at) == (None, at(2026, 12, 4, 0))
    # payBill's on-session charge alike: a failure, not an error to ask about again.
    refused = await stripe.app.state.services.gateway.charge_on_session(
        token=card.gateway_payment_method,
        amount=Money.of("5.95", "EUR"),
        return_url=None,
        idempotency_key="pay-gone",
        account=str(account.id),
    )
    assert (refused.state, refused.failure_code) == (VerificationState.FAILED, "processing_error")


async def test_a_create_asked_again_answers_what_its_object_is_now(stripe: Stripe) -> None:
    """Stripe's replay would repeat the first answer; the object is retrieved instead."""
    await stripe.ready()
    gateway = stripe.app.state.services.gateway
    bound = await stripe.attempt((await stripe.bind("visa"))["id"])
    strong = await stripe.attempt((await stripe.bind("threeDSecure2Required", key="b2"))["id"])
    await stripe.fake.complete_3ds(strong.gateway_intent, approve=True)
    await stripe.fake.flush()

    async def pay() -> Any:
        return await gateway.charge_on_session(
            token=strong.gateway_payment_method,
            amount=Money.of("7.00", "EUR"),
            return_url="https://app.example.test/bills",
            idempotency_key="pay-again",
            account=str(bound.account_id),
        )

    first = await pay()
    assert first.state is VerificationState.REQUIRES_ACTION
    await stripe.fake.complete_3ds(first.reference, approve=True)
    creates = len(stripe.fake.tries_of("POST", "/v1/payment_intents"))
    again = await pay()
    assert (again.reference, again.state) == (first.reference, VerificationState.SUCCEEDED)
    assert len(stripe.fake.tries_of("POST", "/v1/payment_intents")) == creates
