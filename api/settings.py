"""Settings read from ONRAMP_* environment variables, and the checks that refuse unsafe ones."""

from __future__ import annotations

import os
import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from limits import parse_many
from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from gateways.registry import GATEWAYS, REQUIRED_KEYS, SIMULATED_GATEWAYS

VAR_DIR = Path("var")
SECRET_KEY_FILE = VAR_DIR / "secret.key"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    STAGING = "staging"
    PRODUCTION = "production"


class UnsafeSettingsError(RuntimeError):
    """Start-up refused: the message names every variable that must be set or changed."""


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [item.strip().rstrip("/") for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONRAMP_", extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    graphiql: bool | None = None
    database_url: str = "sqlite://./var/onramp.sqlite3"
    redis_url: str | None = None
    # Publishes and rate limits share this pool; all subscriptions of a process share one
    # more connection of their own.
    redis_max_connections: int = Field(default=20, ge=2, le=10_000)
    # How long a process may keep a session, account or progress it read for queries
    # (services/read_cache.py); 0 keeps nothing.
    read_cache_ttl_s: float = Field(default=5.0, ge=0, le=300)
    secret_key: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    frontend_url: str | None = None
    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    staff_allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "Onramp <no-reply@onramp.invalid>"
    sms_webhook_url: str | None = None
    # Offers the pseudo-locale en-XA (accented, lengthened English) beside the real languages:
    # for development and tests, to see any text that escapes the catalogues.
    pseudo_locale: bool = False
    gateway: str = "sandbox"
    gateway_publishable_key: str | None = None
    gateway_secret_key: str | None = None
    gateway_webhook_secret: str | None = None
    stripe_api_base: str | None = None
    stripe_deposit: Literal["capture", "authorize"] = "capture"
    # Where the reference frontend loads Stripe.js from: Stripe requires its own address in
    # production; tests point it at a stand-in.
    stripe_js_url: str = "https://js.stripe.com/v3/"
    accepted_card_brands: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: [
            "visa",
            "mastercard",
            "amex",
            "discover",
            "jcb",
            "unionpay",
            "diners",
        ]
    )
    card_failures_per_account: int = Field(default=10, ge=1)
    card_failures_per_ip: int = Field(default=30, ge=1)
    threeds_timeout_s: int = Field(default=900, validation_alias="ONRAMP_3DS_TIMEOUT_S", gt=0)

    # Operating it (README's runbook).
    log_format: Literal["json", "text"] | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # False: no request is counted and /metrics is not served (what `make bench` compares).
    metrics: bool = True
    # Lets a scraper that is not on loopback read /metrics (Authorization: Bearer ...).
    metrics_token: str | None = None
    # After SIGTERM: how long in-flight requests and background steps may take to finish.
    shutdown_grace_s: int = Field(default=20, ge=0, le=3600)
    # OpenTelemetry's own variables: traces are exported only when an endpoint is set.
    otel_endpoint: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"
        ),
    )
    otel_sdk_disabled: bool = Field(default=False, validation_alias="OTEL_SDK_DISABLED")

    # Rate limits (the `limits` notation: "N/second|minute|hour|day", several joined by ";").
    limit_codes_per_destination: str = "1/minute;5/hour;10/day"
    limit_codes_per_ip: str = "30/hour"
    limit_sms_per_account: str = "10/day"
    limit_sms_per_country: str = "1000/day"
    limit_sms_overall: str = "10000/day"
    limit_tokenizations_per_ip: str = "60/hour"
    login_free_failures_per_account: int = Field(default=5, ge=0)
    login_free_failures_per_ip: int = Field(default=20, ge=0)
    login_base_delay_s: float = Field(default=1.0, gt=0)
    login_max_delay_s: float = Field(default=300.0, gt=0)

    _split_origins = field_validator(
        "allowed_origins",
        "staff_allowed_origins",
        "trusted_proxies",
        "accepted_card_brands",
        mode="before",
    )(_split_csv)

    @field_validator(
        "limit_codes_per_destination",
        "limit_codes_per_ip",
        "limit_sms_per_account",
        "limit_sms_per_country",
        "limit_sms_overall",
        "limit_tokenizations_per_ip",
    )
    @classmethod
    def _valid_limits(cls, value: str) -> str:
        parse_many(value)  # refuses at start-up what the limiter could not read
        return value

    @field_validator("accepted_card_brands")
    @classmethod
    def _known_brands(cls, value: list[str]) -> list[str]:
        known = {"visa", "mastercard", "amex", "discover", "jcb", "unionpay", "diners"}
        unknown = [brand for brand in value if brand.lower() not in known]
        if unknown:
            raise ValueError(f"unknown card brands: {', '.join(unknown)}")
        return [brand.lower() for brand in value]

    @field_validator("public_url", "frontend_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @property
    def is_development(self) -> bool:
        return self.env is Environment.DEVELOPMENT

    @property
    def log_json(self) -> bool:
        """JSON lines unless asked otherwise; plain text by default in development."""
        if self.log_format is None:
            return not self.is_development
        return self.log_format == "json"

    @property
    def tracing_enabled(self) -> bool:
        return bool(self.otel_endpoint) and not self.otel_sdk_disabled

    @property
    def graphiql_enabled(self) -> bool:
        return self.is_development if self.graphiql is None else self.graphiql

    @property
    def frontend_base(self) -> str:
        return self.frontend_url or self.public_url

    @property
    def origins(self) -> list[str]:
        """Origins allowed for CORS, websockets, cookie-carried requests and return URLs."""
        if self.allowed_origins:
            return list(self.allowed_origins)
        return list(dict.fromkeys([_origin(self.public_url), _origin(self.frontend_base)]))

    @property
    def staff_origins(self) -> list[str]:
        """Origins allowed for CORS and cookie-carried requests on /staff/graphql."""
        if self.staff_allowed_origins:
            return list(self.staff_allowed_origins)
        return [_origin(self.public_url)]

    @property
    def session_cookie_name(self) -> str:
        return "onramp_session" if self.is_development else "__Host-onramp_session"

    @property
    def staff_session_cookie_name(self) -> str:
        return "onramp_staff_session" if self.is_development else "__Host-onramp_staff_session"

    @property
    def staff_totp_required(self) -> bool:
        """Staff sign in with a second factor everywhere but on a developer's machine."""
        return not self.is_development

    @property
    def shared_state(self) -> bool:
        """True when several processes can serve as one (PostgreSQL and Redis)."""
        return self.database_url.startswith(("postgres://", "asyncpg://")) and bool(self.redis_url)

    def check_safe(self) -> None:
        """Refuse to start outside development on defaults that are only fit for development."""
        if self.gateway not in GATEWAYS:
            raise UnsafeSettingsError(
                f"refusing to start: ONRAMP_GATEWAY={self.gateway} names no adapter this build "
                f"has (it has {', '.join(sorted(GATEWAYS))})"
            )
        gateway_problems = [
            f"ONRAMP_GATEWAY={self.gateway} needs {variable} ({prefix}...)"
            for variable, field, prefix in REQUIRED_KEYS.get(self.gateway, ())
            if not str(getattr(self, field) or "").startswith(prefix)
        ]
        if self.is_development:
            if gateway_problems:
                raise UnsafeSettingsError("refusing to start: " + "; ".join(gateway_problems))
            return
        missing = [
            name
            for name, value in (
                ("ONRAMP_SECRET_KEY", self.secret_key),
                ("ONRAMP_SMTP_HOST", self.smtp_host),
                ("ONRAMP_SMS_WEBHOOK_URL", self.sms_webhook_url),
            )
            if not value
        ]
        problems = [f"{name} must be set when ONRAMP_ENV={self.env}" for name in missing]
        problems += gateway_problems
        if self.secret_key is not None and len(self.secret_key) < 32:
            problems.append("ONRAMP_SECRET_KEY must be at least 32 characters")
        if self.metrics_token is not None and len(self.metrics_token) < 32:
            problems.append("ONRAMP_METRICS_TOKEN must be at least 32 characters")
        if self.env is Environment.PRODUCTION and self.gateway in SIMULATED_GATEWAYS:
            problems.append(
                f"ONRAMP_GATEWAY={self.gateway} is refused when ONRAMP_ENV=production: "
                "configure a real payment gateway"
            )
        if problems:
            raise UnsafeSettingsError("refusing to start: " + "; ".join(problems))

    def master_secret(self) -> bytes:
        """The master key; in development it is generated once into var/secret.key and reused."""
        if self.secret_key:
            return self.secret_key.encode()
        if not self.is_development:
            raise UnsafeSettingsError("refusing to start: ONRAMP_SECRET_KEY must be set")
        return _development_secret()


def _origin(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def _development_secret() -> bytes:
    try:
        return SECRET_KEY_FILE.read_bytes().strip()
    except FileNotFoundError:
        pass
    VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48).encode()
    # O_EXCL: when two processes start at once, the second reads what the first wrote.
    try:
        fd = os.open(SECRET_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return SECRET_KEY_FILE.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key
