"""Idempotency keys of mutations (bindCard, payBill): the key's rules, and what it covers.

A key is scoped to the account and kept 24 hours; the same key with the same input answers
the same, with any other input it is refused. The request's input is kept as a hash.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from services.problems import ProblemCode, Refused

IDEMPOTENCY_WINDOW = timedelta(hours=24)
# How long a retry waits for the request that holds its key, and how often it looks (in the
# database: the other request may be in another process).
REPLAY_WAIT_S = 10.0
REPLAY_POLL_S = 0.05
# A key claimed this long ago that never got its result was left by a request that died.
ABANDONED_AFTER = timedelta(minutes=2)


def checked_key(raw: str) -> str:
    key = raw.strip()
    if not 1 <= len(key) <= 128:
        raise Refused.because(
            ProblemCode.INVALID_INPUT,
            "Give an idempotency key of 1 to 128 characters.",
            "idempotencyKey",
        )
    return key


def request_hash(*inputs: object) -> str:
    """What a key covers: a replay with other input is another request."""
    return hashlib.sha256(json.dumps(inputs).encode()).hexdigest()


def reused_with_other_input() -> Refused:
    return Refused.because(
        ProblemCode.IDEMPOTENCY_KEY_REUSED,
        "This idempotency key was used with other input. Use a new key for a new request.",
        "idempotencyKey",
    )
