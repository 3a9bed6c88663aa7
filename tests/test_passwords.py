"""argon2id hashing: off the event loop, in processes that yield the CPU to the server's."""

from __future__ import annotations

import os

from services import hashing
from services.passwords import HASHING, HASHING_NICENESS, Passwords


async def test_hashes_verify_and_run_in_processes_of_lowest_priority() -> None:
    passwords = Passwords()
    stored = await passwords.hash("correct-horse-9")
    assert await passwords.verify(stored, "correct-horse-9")
    assert not await passwords.verify(stored, "wrong-horse-9")
    assert not await passwords.verify(None, "correct-horse-9")

    pid, niceness = await HASHING.run(hashing.priority)
    assert pid != os.getpid()
    assert niceness == min(os.getpriority(os.PRIO_PROCESS, 0) + HASHING_NICENESS, 19)


async def test_a_hashing_process_that_died_is_replaced() -> None:
    passwords = Passwords()
    stored = await passwords.hash("correct-horse-9")
    pid, _ = await HASHING.run(hashing.priority)
    os.kill(pid, 9)  # as the kernel's out-of-memory killer would
    assert await passwords.verify(stored, "correct-horse-9")
