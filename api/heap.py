"""The garbage collector, set for a long-running server.

What a process makes while it starts (the schemas, the ORM's models, the catalogues, the
services) lives until it exits. Yet under load every full collection walked all of it
again: objects of the requests in flight when a young collection runs are promoted, and
enough promotions set off a full one. Frozen once started (`gc.freeze`), those objects are
left out of every collection: about a tenth of the server's CPU per progress query
(bench/RESULTS.md). The baselines of bench/ run with the same setting.

The collector's thresholds stay Python's: a larger young generation saved a little more CPU
but left a closed websocket's garbage uncollected for long on a quiet server (25 MiB after
1,000 subscriptions had closed).
"""

from __future__ import annotations

import gc


def settle_after_start() -> None:
    """Leaves everything start-up made, and still holds, out of later collections."""
    gc.collect()
    gc.freeze()


def unsettle() -> None:
    """Back as before `settle_after_start` (an app stopped in a process that goes on)."""
    gc.unfreeze()
