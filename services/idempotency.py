"""Idempotency keys of mutations (bindCard, payBill): the key's rules, and what it covers.

A key is scoped to the account and kept 24 hours; the same key with the same input answers
the same, with any other input it is refused. The request's input is kept as a hash.

The key row is written before anything else the request does, so that a retry with the key
(at the same moment, in any process) finds it: the retry waits until the request that holds
the key has answered, then answers what that request made.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar
from uuid import UUID

from tortoise.exceptions import IntegrityError

from models.billing import BillPaymentKey
from models.cards import BindingIdempotencyKey
from services.clock import Clock
from services.problems import ProblemCode, Refused

IDEMPOTENCY_WINDOW = timedelta(hours=24)
# How long a retry waits for the request that holds its key, and how often it looks (in the
# database: the other request may be in another process).
REPLAY_WAIT_S = 10.0
REPLAY_POLL_S = 0.05
# A key claimed this long ago that never got its result was left by a request that died.
ABANDONED_AFTER = timedelta(minutes=2)

KeyRow = TypeVar("KeyRow", BindingIdempotencyKey, BillPaymentKey)
Made = TypeVar("Made")


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


def still_answering(code: ProblemCode) -> Refused:
    """A retry's refusal when the request that holds its key made nothing in time."""
    return Refused.because(
        code,
        "A request with this idempotency key is still being answered. Try again in a moment.",
        "idempotencyKey",
    )


async def answer_once(
    table: type[KeyRow],
    account_id: UUID,
    raw_key: str,
    inputs: tuple[object, ...],
    *,
    clock: Clock,
    made: str,
    load: Callable[[UUID], Awaitable[Made]],
    busy: ProblemCode,
    run: Callable[[KeyRow], Awaitable[Made]],
) -> Made:
    """`run`'s answer to the request, or what the request that holds its key made.

    `made` names the key's column that `run` fills with what it makes (in the transaction
    that makes it), and `load` reads that. A request refused (or failed) before it made
    anything frees its key. A retry that waited REPLAY_WAIT_S in vain answers what the
    request that holds the key has made so far, or is refused with the code `busy`.
    """
    key = checked_key(raw_key)
    hashed = request_hash(*inputs)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + REPLAY_WAIT_S
    while True:
        stored = await table.get_or_none(account_id=account_id, key=key)
        now = clock.now()
        if stored is None:
            try:
                claimed = await table.create(
                    account_id=account_id,
                    key=key,
                    request_hash=hashed,
                    answering=True,
                    created_at=now,
                )
            except IntegrityError:
                continue  # a request with the same key claimed it first: read it
            return await _answer(table, claimed, made, run)
        result: UUID | None = getattr(stored, made)
        if stored.created_at <= now - IDEMPOTENCY_WINDOW or (
            result is None and stored.created_at <= now - ABANDONED_AFTER
        ):
            # Expired, or left by a request that died before it made anything.
            await table.filter(id=stored.id, **{made: result}).delete()
            continue
        if stored.request_hash != hashed:
            raise reused_with_other_input()
        timed_out = loop.time() >= deadline
        if result is not None and (not stored.answering or timed_out):
            return await load(result)
        if timed_out:
            raise still_answering(busy)
        await asyncio.sleep(REPLAY_POLL_S)


async def _answer(
    table: type[KeyRow], claimed: KeyRow, made: str, run: Callable[[KeyRow], Awaitable[Made]]
) -> Made:
    try:
        return await run(claimed)
    except BaseException:
        # Refused (or failed) before it made anything: the key is free for a retry.
        await table.filter(id=claimed.id, **{made: None}).delete()
        raise
    finally:
        await table.filter(id=claimed.id).update(answering=False)
