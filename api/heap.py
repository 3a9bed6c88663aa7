"""The garbage collector, set for a long-running server.

What a process makes while it starts (the schemas, the ORM's models, the catalogues, the
services) lives until it exits. Yet under load every full collection walked all of it
again: objects of the requests in flight when a young collection runs are promoted, and
enough promotions set off a full one. Frozen once started, those objects are left out of
every collection (`gc.freeze`), and a larger young generation promotes fewer objects of
requests still running. Measured on the progress query: about a tenth of the server's CPU
per request (bench/RESULTS.md). The baselines of bench/ run with the same settings.
"""

from __future__ import annotations

import gc

# Allocations (less deallocations) between young collections; Python's default is 700.
YOUNG_THRESHOLD = 10_000


def settle_after_start() -> tuple[int, int, int]:
    """Freezes what start-up made and widens the young generation; returns the old setting."""
    previous = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, previous[1], previous[2])
    return previous


def unsettle(previous: tuple[int, int, int]) -> None:
    """Back as before `settle_after_start` (an app stopped in a process that goes on)."""
    gc.set_threshold(*previous)
    gc.unfreeze()
