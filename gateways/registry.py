"""Which gateways this build has, and how one is made from the configuration.

The only module outside a gateway's own package that names it: the app asks for a gateway
by the name in ONRAMP_GATEWAY and receives something that implements the port.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx

from gateways.port import PaymentGateway
from gateways.sandbox.gateway import SandboxGateway
from gateways.stripe.gateway import StripeGateway
from services.clock import Clock
from services.keys import KeyRing
from services.ratelimit import RateLimiter, Rule


@dataclass(frozen=True)
class GatewayConfig:
    """The gateway's part of the configuration (ONRAMP_GATEWAY_*)."""

    name: str
    public_url: str
    publishable_key: str | None = None
    secret_key: str | None = None
    webhook_secret: str | None = None
    tokenizations_per_ip: str = "60/hour"
    frontend_url: str | None = None
    # Stripe: ONRAMP_STRIPE_API_BASE (tests, an emulator) and ONRAMP_STRIPE_DEPOSIT.
    stripe_api_base: str | None = None
    stripe_deposit: str = "capture"


@dataclass(frozen=True)
class GatewayHost:
    """What the running app lends a gateway: its clock, keys, limits and its own address."""

    clock: Clock
    keys: KeyRing
    limiter: RateLimiter
    # Opens a client that reaches this app's routes, as a gateway's webhooks reach them.
    merchant: Callable[[], httpx.AsyncClient]


def _sandbox(config: GatewayConfig, host: GatewayHost) -> PaymentGateway:
    return SandboxGateway(
        clock=host.clock,
        keys=host.keys,
        public_url=config.public_url,
        publishable_key=config.publishable_key,
        webhook_secret=config.webhook_secret,
        limiter=host.limiter,
        tokenizations_per_ip=Rule.parse("tokenizations-ip", config.tokenizations_per_ip),
        merchant=host.merchant,
    )


def _stripe(config: GatewayConfig, host: GatewayHost) -> PaymentGateway:
    missing = [name for name, _, _ in REQUIRED_KEYS["stripe"] if not _key(config, name)]
    if missing:
        raise ValueError(f"the stripe gateway needs {', '.join(missing)}")
    assert config.secret_key
    assert config.publishable_key
    assert config.webhook_secret
    return StripeGateway(
        clock=host.clock,
        keys=host.keys,
        secret_key=config.secret_key,
        publishable_key=config.publishable_key,
        webhook_secret=config.webhook_secret,
        return_url=f"{config.frontend_url or config.public_url}/cards",
        api_base=config.stripe_api_base,
        deposit_mode="authorize" if config.stripe_deposit == "authorize" else "capture",
    )


def _key(config: GatewayConfig, variable: str) -> str | None:
    return {
        "ONRAMP_GATEWAY_SECRET_KEY": config.secret_key,
        "ONRAMP_GATEWAY_PUBLISHABLE_KEY": config.publishable_key,
        "ONRAMP_GATEWAY_WEBHOOK_SECRET": config.webhook_secret,
    }[variable]


GATEWAYS: dict[str, Callable[[GatewayConfig, GatewayHost], PaymentGateway]] = {
    "sandbox": _sandbox,
    "stripe": _stripe,
}
# Gateways that only pretend to move money: never in production.
SIMULATED_GATEWAYS = frozenset({"sandbox"})
# Keys a gateway cannot start without, whatever ONRAMP_ENV says: (variable, field, prefix).
REQUIRED_KEYS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "stripe": (
        ("ONRAMP_GATEWAY_SECRET_KEY", "gateway_secret_key", "sk_"),
        ("ONRAMP_GATEWAY_PUBLISHABLE_KEY", "gateway_publishable_key", "pk_"),
        ("ONRAMP_GATEWAY_WEBHOOK_SECRET", "gateway_webhook_secret", "whsec_"),
    ),
}


def build_gateway(config: GatewayConfig, host: GatewayHost) -> PaymentGateway:
    try:
        make = GATEWAYS[config.name]
    except KeyError:
        raise ValueError(f"no payment gateway is called {config.name!r}") from None
    return make(config, host)
