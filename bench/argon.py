"""Bare argon2id: Onramp's own hasher (services/passwords.py) verifying in a loop.

Run as `python -m bench.argon SPEC_JSON` (`clients`, `duration`, `warmup`); `clients`
coroutines call `Passwords.verify` back to back, through the same thread limiter as the
server's, and one JSON line gives the verifications per second after the warm-up.
"""

from __future__ import annotations

import asyncio
import json
import sys

from services.passwords import Passwords

MAX_DURATION_S = 60.0


async def measure(clients: int, duration: float, warmup: float) -> dict[str, float]:
    if not 0 < duration + warmup <= MAX_DURATION_S or not 0 < clients <= 64:
        raise SystemExit("bench.argon: out of bounds")
    passwords = Passwords()
    stored = await passwords.hash("correct-horse-9")
    loop = asyncio.get_running_loop()
    measure_from = loop.time() + warmup
    measure_to = measure_from + duration
    counted = 0

    async def client() -> None:
        nonlocal counted
        while (started := loop.time()) < measure_to:
            assert await passwords.verify(stored, "correct-horse-9")
            if started >= measure_from and loop.time() <= measure_to:
                counted += 1

    await asyncio.wait_for(asyncio.gather(*(client() for _ in range(clients))), duration + 30)
    return {"verifications": counted, "per_s": round(counted / duration, 2)}


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    result = asyncio.run(measure(int(spec["clients"]), spec["duration"], spec["warmup"]))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
