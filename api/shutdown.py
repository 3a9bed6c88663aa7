"""SIGTERM: stop taking work, finish what is under way, leave the rest to the other processes.

uvicorn owns the signals. On SIGTERM it stops accepting connections, lets in-flight requests
finish for `timeout_graceful_shutdown` (`onramp serve` sets it to ONRAMP_SHUTDOWN_GRACE_S),
closes the websockets that are still open with 1012, then runs the lifespan's shutdown. Two
things must come first, so the app's handler runs before uvicorn's and then hands the signal
on to it:

- every websocket is closed with 1001 (going away), as the contract says, and no new one is
  accepted;
- background jobs are told to stop: each finishes the step under way and takes no other.

The lifespan's shutdown then waits for the jobs until the grace, counted from the signal, has
run out, and only then cancels a step still under way; the code that claimed a row in it
hands the claim on at once (services/outbox.py, services/bill_payments.py), so nothing is
left half-done and another process picks it up.

The handler is installed only in a server's process (in front of the server's own handler);
under a test's lifespan, where no server handles signals, nothing is installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from api.sockets import GOING_AWAY, SocketRegistry
from services.jobs import JobRunner

log = logging.getLogger("onramp.shutdown")

# Closing every socket needs only a frame each; past this, uvicorn closes the rest (1012).
SOCKETS_CLOSE_S = 2.0
SIGNALS = (signal.SIGTERM, signal.SIGINT)

Handler = Callable[[int, FrameType | None], Any]


class GracefulShutdown:
    def __init__(self, grace_s: float, sockets: SocketRegistry) -> None:
        self.grace_s = grace_s
        self.sockets = sockets
        self.runner: JobRunner | None = None
        self.draining = False
        # The loop's time by which everything must have ended, from the signal on.
        self.deadline: float | None = None
        self._previous: dict[int, Handler] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._drain_task: asyncio.Task[None] | None = None

    def install(self) -> None:
        """Puts the app's handler in front of the server's; called by the lifespan's start."""
        if threading.current_thread() is not threading.main_thread():
            return
        self._loop = asyncio.get_running_loop()
        for sig in SIGNALS:
            previous = signal.getsignal(sig)
            if callable(previous) and previous is not signal.default_int_handler:
                self._previous[sig] = previous
                signal.signal(sig, self._on_signal)

    def uninstall(self) -> None:
        for sig, previous in self._previous.items():
            if signal.getsignal(sig) == self._on_signal:
                signal.signal(sig, previous)
        self._previous.clear()

    def _on_signal(self, sig: int, frame: FrameType | None) -> None:
        previous = self._previous[sig]
        if self.draining or self._loop is None:
            previous(sig, frame)  # a second signal: the server's own way at once
            return
        self._loop.call_soon_threadsafe(self._begin, sig, previous)

    def _begin(self, sig: int, previous: Handler) -> None:
        self._drain_task = asyncio.create_task(self._drain_then(sig, previous))

    async def _drain_then(self, sig: int, previous: Handler) -> None:
        try:
            await self.drain()
        finally:
            previous(sig, None)

    async def drain(self) -> None:
        """What happens before the server stops accepting: sockets closed with 1001, jobs
        asked to stop. The grace starts now."""
        if self.draining:
            return
        self.draining = True
        self.deadline = asyncio.get_running_loop().time() + self.grace_s
        log.info("shutting down: finishing what is under way (at most %ss)", self.grace_s)
        if self.runner is not None:
            self.runner.request_stop()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(SOCKETS_CLOSE_S):
                await self.sockets.close_all(GOING_AWAY)

    async def stop_jobs(self) -> None:
        """The lifespan's shutdown: waits for the jobs' steps until the grace runs out."""
        if self.runner is None:
            return
        loop = asyncio.get_running_loop()
        deadline = self.deadline if self.deadline is not None else loop.time() + self.grace_s
        if not await self.runner.stop(deadline):
            log.warning("background steps still running after %ss were cancelled", self.grace_s)
