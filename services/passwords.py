"""The password policy, and argon2id hashing kept off the event loop.

Hashes run in a few threads of their own whose scheduling priority is lowered (Linux nice
values are per thread): argon2 releases the GIL, so a burst of sign-ins keeps every core
busy, but the event loop's thread still wins a core whenever it has work, and reads stay
fast while people sign in.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.i18n.text import Text, tr, trn


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
# How much nicer than the event loop the hashing threads are (0 to 19).
HASHING_NICENESS = 19


def _lower_priority() -> None:
    # Refused where the platform has no per-thread priority: hashing still works.
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


class Passwords:
    """argon2id hashes computed in low-priority worker threads, a few at a time."""

    def __init__(
        self, *, memory_cost: int = 19456, time_cost: int = 2, parallelism: int = 1
    ) -> None:
        self._hasher = PasswordHasher(
            memory_cost=memory_cost, time_cost=time_cost, parallelism=parallelism
        )
        # Each hash holds ~19 MiB and a core: more at once only queues inside the CPU.
        self._executor = ThreadPoolExecutor(
            max_workers=max(2, os.cpu_count() or 2),
            thread_name_prefix="argon2",
            initializer=_lower_priority,
        )
        self._dummy: str | None = None

    def close(self) -> None:
        """Lets the hashing threads end once their queue is empty."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def hash(self, password: str) -> str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        """Checks the password; with no stored hash, spends the same time and says no."""
        if stored is None:
            if self._dummy is None:
                self._dummy = await self.hash("dummy password 0")
            stored = self._dummy
            password = password + "\x00never"
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._check, stored, password)

    def _check(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)
