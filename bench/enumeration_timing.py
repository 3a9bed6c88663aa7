"""Does an answer's time tell whether an email holds an account? Medians per branch.

Runs the app in process (httpx's ASGI transport, a fresh SQLite file by default), registers
one account (with a security phone), then sends N requests of each mutation, alternating an
address with an account and one without, with the rate limits raised. Prints the median time
of each branch and the difference. Not part of `make test`: run `make bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from api.app import create_app
from api.settings import Environment, Settings
from models.accounts import Account, AccountKind
from models.migrate import apply_migrations

EXISTING = "existing.person@example.com"
UNKNOWN = "unknown.person@example.com"
SEND_CODE = """mutation($input: SendRegistrationCodeInput!) {
  sendRegistrationCode(input: $input) { expiresAt errors { code } } }"""
REQUEST_RESET = """mutation($input: RequestPasswordResetInput!) {
  requestPasswordReset(input: $input) { expiresAt errors { code } } }"""
MUTATIONS: dict[str, tuple[str, dict[str, str]]] = {
    "sendRegistrationCode": (SEND_CODE, {"kind": "HUAWEI_ID"}),
    "requestPasswordReset (email)": (REQUEST_RESET, {"kind": "HUAWEI_ID", "channel": "EMAIL"}),
    "requestPasswordReset (phone)": (
        REQUEST_RESET,
        {"kind": "HUAWEI_ID", "channel": "SECURITY_PHONE"},
    ),
}
RAISED = "1000000/minute"
BENCH_SECRET = "bench-secret-key-that-is-long-enough-0123456789"  # noqa: S105 (a throwaway key)


def settings(database_url: str) -> Settings:
    return Settings(
        env=Environment.DEVELOPMENT,
        database_url=database_url,
        secret_key=BENCH_SECRET,
        public_url="http://bench.local",
        frontend_url="https://app.bench.local",
        redis_url=None,
        smtp_host=None,
        sms_webhook_url=None,
        trusted_proxies=[],
        allowed_origins=[],
        limit_codes_per_destination=RAISED,
        limit_codes_per_ip=RAISED,
        limit_sms_per_account=RAISED,
        limit_sms_per_country=RAISED,
        limit_sms_overall=RAISED,
    )


async def timed(client: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> float:
    started = time.perf_counter()
    response = await client.post("/graphql", json={"query": query, "variables": variables})
    elapsed = time.perf_counter() - started
    payload = next(iter(response.json()["data"].values()))
    assert payload["errors"] == [], payload["errors"]
    return elapsed


async def run(database_url: str, samples: int, warmup: int) -> None:
    await apply_migrations(database_url)
    app = create_app(settings(database_url), start_jobs=False)
    async with LifespanManager(app):
        passwords = app.state.services.passwords
        await Account.filter(email__in=[EXISTING, UNKNOWN]).delete()
        await Account.create(
            kind=AccountKind.HUAWEI_ID,
            email=EXISTING,
            email_display=EXISTING,
            region_code="DE",
            password_hash=await passwords.hash("bench-password-1"),
            security_phone_e164="+4915123456789",
            security_phone_region="DE",
        )
        transport = httpx.ASGITransport(app=app, client=("198.51.100.7", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench.local") as client:
            print(f"{samples} samples per branch, medians in ms ({database_url.split(':')[0]})")
            for name, (query, extra) in MUTATIONS.items():
                times: dict[str, list[float]] = {EXISTING: [], UNKNOWN: []}
                for index in range(warmup + samples):
                    # Alternate which goes first, so neither branch always follows the other.
                    pair = (EXISTING, UNKNOWN) if index % 2 else (UNKNOWN, EXISTING)
                    for email in pair:
                        elapsed = await timed(client, query, {"input": {"email": email, **extra}})
                        if index >= warmup:
                            times[email].append(elapsed)
                existing = statistics.median(times[EXISTING]) * 1000
                unknown = statistics.median(times[UNKNOWN]) * 1000
                print(
                    f"{name:30} existing {existing:7.3f}  unknown {unknown:7.3f}  "
                    f"difference {existing - unknown:+7.3f}"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=400, help="requests per branch")
    parser.add_argument("--warmup", type=int, default=20, help="pairs sent before measuring")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()
    if args.database_url:
        asyncio.run(run(args.database_url, args.samples, args.warmup))
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite://{Path(folder) / 'bench.sqlite3'}"
        asyncio.run(run(url, args.samples, args.warmup))


if __name__ == "__main__":
    main()
