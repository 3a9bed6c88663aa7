"""What the hashing processes run for services/passwords.py: argon2id alone, at low priority.

Kept apart from the rest of Onramp so that a hashing process imports argon2 and nothing else.
"""

from __future__ import annotations

import contextlib
import os
import signal
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# argon2id's cost: memory (KiB), passes, lanes.
Cost = tuple[int, int, int]


def start(niceness: int) -> None:
    """Runs first in each hashing process: it yields every core to the server's own, and
    leaves Ctrl-C to the server, which ends the pool when it stops."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Refused where the platform has no priorities: hashing still works.
    with contextlib.suppress(OSError, AttributeError):
        os.nice(niceness)


@cache
def _hasher(cost: Cost) -> PasswordHasher:
    memory_cost, time_cost, parallelism = cost
    return PasswordHasher(memory_cost=memory_cost, time_cost=time_cost, parallelism=parallelism)


def hash_password(cost: Cost, password: str) -> str:
    return _hasher(cost).hash(password)


def check_password(cost: Cost, stored: str, password: str) -> bool:
    try:
        return _hasher(cost).verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def priority() -> tuple[int, int]:
    """This process's id and scheduling priority (for the tests)."""
    return os.getpid(), os.getpriority(os.PRIO_PROCESS, 0)
