"""Background work: named periodic steps, one runner for all of them, one backoff for retries.

A job is a step and how often to take it. The runner takes each job's step in a task of its
own until cancelled: again `interval_s` after the last one, at once when the job's wake
event is set, and at once when the step answers truthy ("more is waiting"). Steps keep
their state in rows and read the service's clock, so a test takes a step directly, with a
frozen clock, instead of waiting for the runner.

A failing step never stops its job. So that a job failing every second (a database that is
down) does not flood the log, a failure is logged with its traceback the first time, then
again only when the error changes or, while it stays the same, at most once a minute
(`FAILURE_LOG_INTERVAL_S`); the first success after failures is logged too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

log = logging.getLogger("onramp.jobs")

FAILURE_LOG_INTERVAL_S = 60.0
# Past this many doublings any sane cap has long been reached; it keeps the float finite.
MAX_DOUBLINGS = 60


def backoff(attempts: int, *, base: timedelta, cap: timedelta) -> timedelta:
    """The wait after the `attempts`-th failure in a row: base, 2 × base, 4 × base, ... ≤ cap.

    No wait before the first failure (attempts ≤ 0).
    """
    if attempts <= 0:
        return timedelta(0)
    seconds = base.total_seconds() * 2.0 ** min(attempts - 1, MAX_DOUBLINGS)
    return timedelta(seconds=min(seconds, cap.total_seconds()))


@dataclass(frozen=True)
class Job:
    """A step the runner takes every `interval_s` seconds, or at once when `wake` is set.

    A truthy answer from the step means more is waiting: the runner takes it again at once.
    """

    name: str
    step: Callable[[], Awaitable[object]]
    interval_s: float
    wake: asyncio.Event | None = field(default=None, compare=False)


class FailureLog:
    """Decides which failures of one job reach the log (see the module's docstring)."""

    def __init__(self, interval_s: float = FAILURE_LOG_INTERVAL_S) -> None:
        self.interval_s = interval_s
        self._last: tuple[type[BaseException], str] | None = None
        self._logged_at = 0.0
        self._unlogged = 0

    def should_log(self, error: BaseException, now: float) -> int | None:
        """None to keep quiet; else how many repeats of this same error went unlogged."""
        key = (type(error), str(error))
        if key == self._last and now - self._logged_at < self.interval_s:
            self._unlogged += 1
            return None
        unlogged = self._unlogged if key == self._last else 0
        self._last, self._logged_at, self._unlogged = key, now, 0
        return unlogged

    def recovered(self) -> bool:
        """Forgets the failure; True when there was one to forget."""
        failing = self._last is not None
        self._last, self._unlogged = None, 0
        return failing


async def run_job(job: Job) -> None:
    """Takes the job's step until cancelled."""
    loop = asyncio.get_running_loop()
    failures = FailureLog()
    while True:
        if job.wake is not None:
            # Cleared before the step, so a wake during the step brings another one at once.
            job.wake.clear()
        more: object = False
        try:
            more = await job.step()
        except Exception as error:
            unlogged = failures.should_log(error, loop.time())
            if unlogged is not None:
                log.exception(
                    "job %s failed%s",
                    job.name,
                    f" (again, {unlogged} more time(s) since it was last logged)"
                    if unlogged
                    else "",
                )
        else:
            if failures.recovered():
                log.info("job %s works again", job.name)
        if more:
            await asyncio.sleep(0)  # let the other tasks run between batches
            continue
        await _pause(job)


async def _pause(job: Job) -> None:
    if job.wake is None:
        await asyncio.sleep(job.interval_s)
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(job.interval_s):
            await job.wake.wait()


async def run_jobs(jobs: Sequence[Job]) -> None:
    """Runs every job in a task of its own until cancelled, then cancels them all."""
    names = [job.name for job in jobs]
    if len(set(names)) != len(names):
        raise ValueError(f"job names must be unique: {names}")
    async with asyncio.TaskGroup() as group:
        for job in jobs:
            group.create_task(run_job(job), name=f"job:{job.name}")
