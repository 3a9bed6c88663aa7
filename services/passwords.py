"""The password policy, and argon2id hashing kept off the event loop.

Hashes run in a few processes of their own, at the lowest scheduling priority: a burst of
sign-ins keeps every core busy, but the server's process still wins a core whenever it has
work, and reads stay fast while people sign in. Threads did that less well: a hashing thread
needs the GIL to hand its result back, and one descheduled for its low priority while it
held the GIL stalled the event loop (with processes, reads' p99 under sign-ins fell from
117 ms to 15–79 ms; bench/RESULTS.md).
"""

from __future__ import annotations

import asyncio
import atexit
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TypeVar

from argon2 import PasswordHasher

from services import hashing
from services.i18n.text import Text, tr, trn

T = TypeVar("T")


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 8
    max_length: int = 128
    requires_letter: bool = True
    requires_digit: bool = True
    allows_spaces: bool = False

    def problems(self, password: str) -> list[Text]:
        """Every rule the password breaks, as sentences; empty when it is acceptable."""
        if len(password) > self.max_length:
            # Checked first and alone: nothing else reads an overlong password.
            return [
                trn(
                    "Use at most {count} character.",
                    "Use at most {count} characters.",
                    self.max_length,
                )
            ]
        found = []
        if len(password) < self.min_length:
            found.append(
                trn(
                    "Use at least {count} character.",
                    "Use at least {count} characters.",
                    self.min_length,
                )
            )
        if self.requires_letter and not any(ch.isalpha() for ch in password):
            found.append(tr("Include at least one letter."))
        if self.requires_digit and not any(ch.isdigit() for ch in password):
            found.append(tr("Include at least one digit."))
        if not self.allows_spaces and any(ch.isspace() for ch in password):
            found.append(tr("Leave out spaces."))
        return found


POLICY = PasswordPolicy()

# OWASP's minimum for argon2id: 19 MiB, two passes, one lane.
OWASP_MINIMUM = {"memory_cost": 19456, "time_cost": 2, "parallelism": 1}
# How much nicer than the server the hashing processes are (0 to 19).
HASHING_NICENESS = 19


class _HashingProcesses:
    """One pool of hashing processes per server process, started at the first hash.

    Every app of the process shares it (a test suite starts hundreds): it ends with the
    process. A pool whose process died (killed, out of memory) is replaced, and the hash
    asked again once.
    """

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _current(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    # Each hash holds ~19 MiB and a core: more at once only queues in the CPU.
                    max_workers=max(2, os.cpu_count() or 2),
                    # Spawned, not forked: a fork would copy the server's threads and sockets.
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=hashing.start,
                    initargs=(HASHING_NICENESS,),
                )
            return self._pool

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:
                self._pool = None
        broken.shutdown(wait=False, cancel_futures=True)

    async def run(self, work: Callable[..., T], *args: object) -> T:
        loop = asyncio.get_running_loop()
        pool = self._current()
        try:
            return await loop.run_in_executor(pool, work, *args)
        except BrokenProcessPool:
            self._replace(pool)
            return await loop.run_in_executor(self._current(), work, *args)

    def shutdown(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


HASHING = _HashingProcesses()
atexit.register(HASHING.shutdown)


class Passwords:
    """argon2id hashes computed in low-priority hashing processes, a few at a time."""

    def __init__(
        self, *, memory_cost: int = 19456, time_cost: int = 2, parallelism: int = 1
    ) -> None:
        self._cost: hashing.Cost = (memory_cost, time_cost, parallelism)
        # Reads hashes' parameters only (needs_rehash); never hashes here.
        self._hasher = PasswordHasher(
            memory_cost=memory_cost, time_cost=time_cost, parallelism=parallelism
        )
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        return await HASHING.run(hashing.hash_password, self._cost, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        """Checks the password; with no stored hash, spends the same time and says no."""
        if stored is None:
            if self._dummy is None:
                self._dummy = await self.hash("dummy password 0")
            stored = self._dummy
            password = password + "\x00never"
        return await self._check(stored, password)

    async def _check(self, stored: str, password: str) -> bool:
        return await HASHING.run(hashing.check_password, self._cost, stored, password)

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)
