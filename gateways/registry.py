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


GATEWAYS: dict[str, Callable[[GatewayConfig, GatewayHost], PaymentGateway]] = {
    "sandbox": _sandbox,
}
# Gateways that only pretend to move money: never in production.
SIMULATED_GATEWAYS = frozenset({"sandbox"})


def build_gateway(config: GatewayConfig, host: GatewayHost) -> PaymentGateway:
    try:
        make = GATEWAYS[config.name]
    except KeyError:
        raise ValueError(f"no payment gateway is called {config.name!r}") from None
    return make(config, host)
