"""The Stripe gateway end to end: the real SDK against a strict local fake of Stripe's API.

bindCard goes through the app (GraphQL), the adapter calls the fake over loopback through
ONRAMP_STRIPE_API_BASE, and the fake's events come back signed to POST /webhooks/stripe.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from api.settings import UnsafeSettingsError
from gateways.port import VerificationState
from gateways.stripe.gateway import minor_units
from gateways.stripe.models import StripeCustomer
from models.cards import CardBindingAttempt, PaymentCard, ProcessedWebhookEvent
from services.clock import FrozenClock
from services.money import Money
from tests.conftest import GraphQLClient, http_client, take_step
from tests.flows import GATEWAY, bind, ready_for_card
from tests.stripe_fake import StripeFake, served

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


async def _started(app_factory: Any, **overrides: Any) -> AsyncIterator[Stripe]:
    fake = StripeFake(secret_key=SK, webhook_secret=WHSEC)
    async with (
        served(fake) as base,
        app_factory(gateway="stripe", stripe_api_base=base, jobs=False, **KEYS, **overrides) as app,
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
        "onramp_account": str(row.account_id)
    }
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
