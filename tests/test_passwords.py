"""argon2id hashing: off the event loop, in threads that yield the CPU to it."""

from __future__ import annotations

import asyncio
import os
import threading

from services.passwords import HASHING_NICENESS, Passwords


async def test_hashes_verify_and_run_in_lower_priority_threads() -> None:
    passwords = Passwords()
    try:
        stored = await passwords.hash("correct-horse-9")
        assert await passwords.verify(stored, "correct-horse-9")
        assert not await passwords.verify(stored, "wrong-horse-9")
        assert not await passwords.verify(None, "correct-horse-9")

        def niceness() -> int:
            return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

        loop = asyncio.get_running_loop()
        in_pool = await loop.run_in_executor(passwords._executor, niceness)
        assert in_pool == min(niceness() + HASHING_NICENESS, 19)
    finally:
        passwords.close()
