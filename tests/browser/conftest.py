"""Browser tests: a real `onramp serve` (uvicorn, SQLite, development settings, a free port)
driven by Playwright through Debian's Chromium at /usr/bin/chromium, headless.

Playwright's own browser download cannot be reached here, so the tests use the system's
Chromium; without it they are skipped, saying so, unless ONRAMP_BROWSER_TESTS=required
(`.ci/run` sets it, after installing Chromium), which turns the skip into a failure. Every
request a page makes must go to 127.0.0.1: any other is aborted and fails the test.
Screenshots of each screen go to test-output/browser/ (gitignored).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "browser"
SECRET = "browser-test-secret-key-that-is-long-enough-0123456789"
PASSWORD = "correct-horse-9"


def _why_skip() -> str | None:
    if os.environ.get("ONRAMP_TEST_DATABASE_URL"):
        # The browser drives a server of its own on SQLite; the PostgreSQL pass is the API's.
        return "browser tests run in the SQLite pass only (ONRAMP_TEST_DATABASE_URL is set)"
    if not CHROMIUM.exists():
        return (
            "browser tests skipped: /usr/bin/chromium is missing "
            "(apt-get install chromium; .ci/run installs it)"
        )
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _why_skip()
    if reason is None:
        return
    # CI installs Chromium and sets this: there a missing browser fails instead of skipping.
    required = os.environ.get("ONRAMP_BROWSER_TESTS") == "required" and not CHROMIUM.exists()
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.path)).parent != here:
            continue
        if required and not os.environ.get("ONRAMP_TEST_DATABASE_URL"):
            item.add_marker(pytest.mark.usefixtures("_chromium_required"))
        else:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def _chromium_required() -> None:
    pytest.fail("ONRAMP_BROWSER_TESTS=required, but /usr/bin/chromium is missing")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """`onramp serve` in a process of its own, and what a test needs to reach it."""

    url: str
    env: dict[str, str]
    workdir: Path
    process: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> str:
        """Runs `onramp ...` against this server's database, as an operator would."""
        done = subprocess.run(
            [sys.executable, "-m", "api", *args],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def outbox(self) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.url}/dev/outbox.json", timeout=10)
        response.raise_for_status()
        messages: list[dict[str, Any]] = response.json()["messages"]
        return messages

    def code_for(self, recipient: str) -> str:
        """The six-digit code of the newest message to `recipient`."""
        for message in self.outbox():
            if message["recipient"].casefold() == recipient.casefold():
                codes = re.findall(r"^(\d{6})$", message["body"], flags=re.MULTILINE)
                assert codes, f"no code in the newest message to {recipient}"
                return codes[0]
        raise AssertionError(f"no message to {recipient}")

    def graphql(self, query: str, variables: dict[str, Any] | None = None, token: str = "") -> Any:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers,
            timeout=10,
        )
        body = response.json()
        assert "errors" not in body, body
        return body["data"]


def server_env(port: int, workdir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONRAMP_")}
    env.update(
        ONRAMP_ENV="development",
        ONRAMP_DATABASE_URL=f"sqlite://{workdir / 'onramp.sqlite3'}",
        ONRAMP_SECRET_KEY=SECRET,
        ONRAMP_PUBLIC_URL=f"http://127.0.0.1:{port}",
        # Every test signs up from 127.0.0.1. A test may ask for a second code within the
        # minute (a reset right after sign-up); the third is still refused.
        ONRAMP_LIMIT_CODES_PER_IP="1000/hour",
        ONRAMP_LIMIT_CODES_PER_DESTINATION="2/minute;20/hour;50/day",
        ONRAMP_LIMIT_TOKENIZATIONS_PER_IP="1000/hour",
        ONRAMP_LOG_FORMAT="text",
    )
    env.update(extra)
    return env


def start_server(workdir: Path, **extra: str) -> Server:
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = Server(f"http://127.0.0.1:{port}", server_env(port, workdir, **extra), workdir)
    server.cli("migrate")
    log = (workdir / "server.log").open("wb")
    server.process = subprocess.Popen(
        [sys.executable, "-m", "api", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=server.env,
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while True:
        assert server.process.poll() is None, (workdir / "server.log").read_text()
        try:
            if httpx.get(f"{server.url}/readyz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the server did not become ready in 30 s"
        time.sleep(0.1)


def stop_server(server: Server) -> None:
    if server.process is not None:
        server.process.terminate()
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    started = start_server(tmp_path_factory.mktemp("browser-server"))
    try:
        yield started
    finally:
        stop_server(started)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one module. Playwright's sync API keeps an event loop running on this
    thread while it lives: it must stop before the suite's asyncio tests run."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class Watch:
    """What a page did that a test must not let pass: requests elsewhere, script errors,
    answers of 400 or more (but those a test names with `allow`)."""

    elsewhere: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow(self, status: int, url_pattern: str) -> None:
        self.allowed.append(re.compile(f"{status} .*{url_pattern}"))

    def check(self) -> None:
        assert self.elsewhere == [], f"requests that left 127.0.0.1: {self.elsewhere}"
        assert self.errors == [], f"errors in the page: {self.errors}"
        unexpected = [r for r in self.refused if not any(p.match(r) for p in self.allowed)]
        assert unexpected == [], f"answers refused: {unexpected}"


def watch_context(context: Any, watch: Watch) -> None:
    def route(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).hostname != "127.0.0.1":
            watch.elsewhere.append(url)
            route.abort()
        else:
            route.continue_()

    context.route("**/*", route)

    def on_console(message: Any) -> None:
        # A refused answer is also logged as "Failed to load resource"; `refused` has it.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            watch.errors.append(f"console: {message.text}")

    def on_response(response: Any) -> None:
        if response.status >= 400:
            watch.refused.append(f"{response.status} {response.url}")

    def on_page(page: Any) -> None:
        page.on("pageerror", lambda error: watch.errors.append(f"uncaught: {error}"))
        page.on("console", on_console)
        page.on("response", on_response)

    context.on("page", on_page)


class Shots:
    """Numbered full-page screenshots of one test, under test-output/browser/."""

    def __init__(self, name: str) -> None:
        self.folder = OUTPUT / name
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.count = 0

    def __call__(self, page: Any, what: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{what}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    return Shots(request.node.name)


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


@pytest.fixture
def page(
    browser: Any, server: Server, watch: Watch, shots: Shots, request: pytest.FixtureRequest
) -> Iterator[Any]:
    """A fresh browser profile (no cookies), 1280 wide; fails on stray requests or errors.

    A failed test leaves a screenshot of where it stopped, named `failed`.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    watch_context(context, watch)
    opened = context.new_page()
    try:
        yield opened
        watch.check()
    finally:
        if request.node.stash.get(FAILED, False):
            shots(opened, "failed")
        context.close()


@pytest.fixture
def other_page(browser: Any, watch: Watch) -> Iterator[Any]:
    """Opens the browser of another person (a profile of its own: no cookies shared), watched
    like `page`: `other_page(width, height)`."""
    contexts: list[Any] = []

    def open_page(width: int = 1280, height: int = 900) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB")
        context.set_default_timeout(10_000)
        watch_context(context, watch)
        contexts.append(context)
        return context.new_page()

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()


def pretty(data: object) -> str:
    return json.dumps(data, indent=2, sort_keys=True)
