"""What every scenario needs: a scratch database, servers as subprocesses, accounts, load.

Every process started here is stopped in a `finally` (SIGTERM, then SIGKILL to its own
process group after a timeout); every wait has a timeout; every target is 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from redis.asyncio import Redis

HOST = "127.0.0.1"
BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
BIN = Path(sys.executable).parent
POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
# Database 12: the tests use 13; it is emptied before each run.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
RAISED = "1000000/minute"
PASSWORD = "correct-horse-9"  # noqa: S105 (a throwaway account's)
PROGRESS = (
    "query Progress { onboarding { steps { key status } nextStep blocked continueUrl } "
    "me { email region { code } } }"
)
LOGIN = """mutation Login($input: LoginInput!) {
  login(input: $input) { session { token } } }"""
SEND_CODE = """mutation($input: SendRegistrationCodeInput!) {
  sendRegistrationCode(input: $input) { errors { code message } } }"""
REGISTER = """mutation($input: RegisterInput!) {
  register(input: $input) { session { token } errors { code message } } }"""
AGREEMENTS = "{ agreements { id } }"
ENABLE = """mutation($input: EnableCloudServicesInput!) {
  enableCloudServices(input: $input) { errors { code message } } }"""
DETAILS = """mutation($input: AccountDetailsInput!) {
  completeAccountDetails(input: $input) { errors { code message } } }"""
GATEWAY = "{ paymentGateway { tokenizationUrl publishableKey } }"
BIND = """mutation($input: BindCardInput!) { bindCard(input: $input) {
  attempt { id status nextAction { redirectUrl } } errors { code message } } }"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Backend:
    """Where the servers keep their state: SQLite by default, or PostgreSQL; Redis or not."""

    postgres: bool = False
    redis: bool = False
    scratch: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="onramp-bench-")))
    database_url: str = ""
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(48))

    @property
    def label(self) -> str:
        return ("postgres" if self.postgres else "sqlite") + ("+redis" if self.redis else "")

    def env(self, port: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ONRAMP_")}
        env.update(
            ONRAMP_ENV="development",
            ONRAMP_DATABASE_URL=self.database_url,
            ONRAMP_SECRET_KEY=self.secret_key,
            ONRAMP_PUBLIC_URL=f"http://{HOST}:{port}",
            ONRAMP_FRONTEND_URL=f"http://{HOST}:{port}",
            ONRAMP_LIMIT_CODES_PER_DESTINATION=RAISED,
            ONRAMP_LIMIT_CODES_PER_IP=RAISED,
            ONRAMP_LIMIT_SMS_PER_ACCOUNT=RAISED,
            ONRAMP_LIMIT_SMS_PER_COUNTRY=RAISED,
            ONRAMP_LIMIT_SMS_OVERALL=RAISED,
            ONRAMP_LIMIT_TOKENIZATIONS_PER_IP=RAISED,
            ONRAMP_LOGIN_FREE_FAILURES_PER_ACCOUNT="1000000",
            ONRAMP_LOGIN_FREE_FAILURES_PER_IP="1000000",
            ONRAMP_CARD_FAILURES_PER_ACCOUNT="1000000",
            ONRAMP_CARD_FAILURES_PER_IP="1000000",
        )
        if self.redis:
            env["ONRAMP_REDIS_URL"] = REDIS_URL
        return env


@contextlib.asynccontextmanager
async def backend(*, postgres: bool = False, redis: bool = False) -> AsyncIterator[Backend]:
    """A migrated scratch database (and an emptied Redis database), dropped afterwards."""
    made = Backend(postgres=postgres, redis=redis)
    name = f"onramp_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = None
    try:
        if postgres:
            admin = await asyncio.wait_for(asyncpg.connect(f"{POSTGRES_SERVER}/postgres"), 10)
            await admin.execute(f'CREATE DATABASE "{name}"')
            made.database_url = f"{POSTGRES_SERVER}/{name}"
        else:
            made.database_url = f"sqlite://{made.scratch / 'onramp.sqlite3'}"
        if redis:
            client = Redis.from_url(REDIS_URL)
            try:
                await asyncio.wait_for(client.flushdb(), 10)
            finally:
                await client.aclose()
        done = await asyncio.to_thread(
            subprocess.run,
            [str(BIN / "onramp"), "migrate"],
            env=made.env(8000),
            cwd=made.scratch,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"onramp migrate failed: {done.stderr[-2000:]}")
        yield made
    finally:
        if admin is not None:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


class Server:
    """One server process: `onramp serve` or a baseline, under the same uvicorn settings."""

    def __init__(
        self,
        kind: str,
        store: Backend,
        *,
        workers: int = 1,
        env: dict[str, str] | None = None,
        label: str | None = None,
    ) -> None:
        self.kind = kind
        self.label = label or kind
        self.store = store
        self.workers = workers
        self.extra_env = env or {}
        self.port = free_port()
        self.log = store.scratch / f"{self.label.replace('+', '-')}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def command(self) -> list[str]:
        common = ["--host", HOST, "--port", str(self.port), "--workers", str(self.workers)]
        if self.kind == "onramp":
            return [str(BIN / "onramp"), "serve", *common]
        return [sys.executable, "-m", "bench.baselines.serve", self.kind, *common]

    async def start(self, within_s: float = 30.0) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603, ASYNC220 (our own command; returns at once)
                self.command(),
                env={**self.store.env(self.port), "PYTHONPATH": str(ROOT), **self.extra_env},
                cwd=self.store.scratch,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + within_s
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.kind} exited: {self.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/healthz")).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.kind} did not answer in {within_s} s: {self.log_tail()}")

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)  # its own group, made at start
            self.process.wait(5)

    def rss_kib(self) -> int:
        """Resident memory of the server process (the uvicorn process itself, one worker)."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, flags=re.MULTILINE)
        return int(match.group(1)) if match else 0

    def cpu_s(self) -> float:
        """CPU time the server process has used so far, all its threads (one worker)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
        return (utime + stime) / os.sysconf("SC_CLK_TCK")


@contextlib.asynccontextmanager
async def servers(store: Backend, *kinds: str, workers: int = 1) -> AsyncIterator[list[Server]]:
    async with running([Server(kind, store, workers=workers) for kind in kinds]) as started:
        yield started


@contextlib.asynccontextmanager
async def running(made: list[Server]) -> AsyncIterator[list[Server]]:
    """Starts the servers at once; stops every one of them however the block ends."""
    try:
        await asyncio.gather(*(server.start() for server in made))
        yield made
    finally:
        for server in made:
            server.stop()


@contextlib.asynccontextmanager
async def otlp_sink() -> AsyncIterator[str]:
    """An OTLP/HTTP receiver that keeps nothing (bench/otlp_sink.py); yields its address."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603, ASYNC220 (our own command; returns at once)
        [sys.executable, "-m", "bench.otlp_sink", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _, writer = await asyncio.open_connection(HOST, port)
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the OTLP sink did not start") from None
                await asyncio.sleep(0.1)
            else:
                writer.close()
                break
        yield f"http://{HOST}:{port}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


class Client:
    """A frontend's calls to one Onramp server, over loopback."""

    def __init__(self, server: Server) -> None:
        # Idle connections are dropped before uvicorn's 5 s keep-alive ends, so a request is
        # never sent on a connection the server is closing (a ReadError, not a slow server).
        self.http = httpx.AsyncClient(
            base_url=server.base_url, timeout=30, limits=httpx.Limits(keepalive_expiry=4)
        )
        self.token: str | None = None

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {self.token}"} if self.token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        if body.get("errors"):
            raise RuntimeError(f"GraphQL errors: {body['errors']}")
        return body["data"]

    async def payload(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        payload: dict[str, Any] = next(iter((await self.gql(query, variables)).values()))
        if payload.get("errors"):
            raise RuntimeError(f"refused: {payload['errors']}")
        return payload

    async def code_for(self, email: str) -> str:
        for _ in range(50):
            messages = (await self.http.get("/dev/outbox.json")).json()["messages"]
            for message in messages:
                if message["recipient"].casefold() == email.casefold():
                    found = re.findall(r"^(\d{6})$", message["body"], flags=re.MULTILINE)
                    if found:
                        return str(found[0])
            await asyncio.sleep(0.1)
        raise RuntimeError(f"no code for {email} in the outbox")

    async def sign_up(self, email: str, region: str = "DE") -> str:
        """sendRegistrationCode, the code from the development outbox, register."""
        await self.payload(SEND_CODE, {"input": {"email": email, "kind": "HUAWEI_ID"}})
        code = await self.code_for(email)
        registered = await self.payload(
            REGISTER,
            {
                "input": {
                    "kind": "HUAWEI_ID",
                    "regionCode": region,
                    "email": email,
                    "emailCode": code,
                    "password": PASSWORD,
                }
            },
        )
        self.token = str(registered["session"]["token"])
        return self.token

    async def ready_for_card(self, email: str) -> str:
        """Signed up, cloud services enabled, individual details complete."""
        token = await self.sign_up(email)
        ids = [a["id"] for a in (await self.gql(AGREEMENTS))["agreements"]]
        await self.payload(ENABLE, {"input": {"acceptedAgreementIds": ids}})
        await self.payload(DETAILS, {"input": {"individual": {"fullName": "Bench Person"}}})
        return token

    async def start_binding(self, number: str = "4242424242424242") -> dict[str, Any]:
        """Tokenizes a card at the sandbox and binds it: the attempt, awaiting the bank."""
        gateway = (await self.gql(GATEWAY))["paymentGateway"]
        card = {
            "number": number,
            "expMonth": 12,
            "expYear": 2030,
            "cvc": "123",
            "holderName": "Bench Person",
        }
        path = httpx.URL(gateway["tokenizationUrl"]).path
        tokenized = await self.http.post(
            path, json=card, headers={"authorization": f"Bearer {gateway['publishableKey']}"}
        )
        tokenized.raise_for_status()
        bound = await self.payload(
            BIND,
            {
                "input": {
                    "paymentMethodToken": tokenized.json()["id"],
                    "acceptServiceTerms": True,
                    "idempotencyKey": uuid.uuid4().hex,
                }
            },
        )
        attempt: dict[str, Any] = bound["attempt"]
        return attempt


def load_spec(server: Server, body: dict[str, Any], token: str | None, **spec: Any) -> str:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return json.dumps(
        {
            "host": HOST,
            "port": server.port,
            "path": "/graphql",
            "body": json.dumps(body),
            "headers": headers,
            **spec,
        }
    )


class Load:
    """A load generator process (bench/load.py) started now, awaited later."""

    def __init__(self, spec: str) -> None:
        self.spec = json.loads(spec)
        self.process = subprocess.Popen(  # noqa: S603 (our own command)
            [sys.executable, "-m", "bench.load", spec],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )

    async def result(self) -> dict[str, Any]:
        limit = self.spec.get("warmup", 1) + self.spec.get("duration", 5) + 30
        try:
            out, err = await asyncio.to_thread(self.process.communicate, timeout=limit)
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
        if self.process.returncode != 0:
            raise RuntimeError(f"load generator failed: {err.decode()[-2000:]}")
        result: dict[str, Any] = json.loads(out)
        return result


async def run_load(spec: str) -> dict[str, Any]:
    return await Load(spec).result()


@contextlib.contextmanager
def step(name: str) -> Iterator[None]:
    started = time.monotonic()
    print(f"  … {name}", file=sys.stderr, flush=True)
    yield
    print(f"    {name}: {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
