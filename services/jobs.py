"""Background work: named periodic steps, one runner for all of them, one backoff for retries.

A job is a step and how often to take it. The runner takes each job's step in a task of its
own until cancelled: again `interval_s` after the last one, at once when the job's wake
event is set, and at once when the step answers truthy ("more is waiting"). Steps keep
their state in rows and read the service's clock, so a test takes a step directly, with a
frozen clock, instead of waiting for the runner.

On shutdown the runner is asked to stop: no job starts another step, and a step under way
is let finish (a step that works through rows asks `stopping()` between rows and ends after
the current one). Only past the shutdown's grace is a step cancelled; the code that claimed
a row then hands it on to another process (services/outbox.py, services/bill_payments.py).

Every step runs on a trail of its own (services/log_context.py): its log lines share an id
(`job-<name>-<hex>`), and its runs, duration and last success are counted (services/metrics.py).

A failing step never stops its job. So that a job failing every second (a database that is
down) does not flood the log, a failure is logged with its traceback the first time, then
again only when the error changes or, while it stays the same, at most once a minute
(`FAILURE_LOG_INTERVAL_S`); the first success after failures is logged too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol, TypeVar

from services import log_context
from services.metrics import Metrics

log = logging.getLogger("onramp.jobs")

FAILURE_LOG_INTERVAL_S = 60.0
T = TypeVar("T")
# Once cancelled past the grace, how long steps get to release what they claimed.
RELEASE_S = 2.0
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


async def abandonable(call: Awaitable[T]) -> T:
    """Awaits `call` in a task of its own, which a cancellation abandons at once.

    A client of another system (SMTP, a payment gateway) may take its time to wind down when
    cancelled, waiting on the very server that holds it; the step that called it must not
    wait too, or it would run out of the shutdown's grace before releasing its claim.
    """
    task = asyncio.ensure_future(call)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        task.cancel()
        raise


class Tracer(Protocol):
    """What the runner needs of an OpenTelemetry tracer: a span around each step."""

    def start_as_current_span(self, name: str) -> AbstractContextManager[Any]: ...


_stop_asked: ContextVar[asyncio.Event | None] = ContextVar("job_stop", default=None)


def stopping() -> bool:
    """True when the job running this code is asked to stop.

    A step that works through rows asks between rows and ends after the current one, leaving
    the rest to the next process. A step called directly (by a test, a command) never is.
    """
    asked = _stop_asked.get()
    return asked is not None and asked.is_set()


class JobRunner:
    """Takes every job's step in a task of its own, until asked to stop or cancelled."""

    def __init__(
        self,
        jobs: Sequence[Job],
        metrics: Metrics | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        names = [job.name for job in jobs]
        if len(set(names)) != len(names):
            raise ValueError(f"job names must be unique: {names}")
        self.jobs = list(jobs)
        self.metrics = metrics
        self.tracer = tracer
        self._stop = asyncio.Event()
        # What ends a job's pause: its wake event, or one of its own; stopping rings them all.
        self._bells = {job.name: job.wake or asyncio.Event() for job in jobs}
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        for job in self.jobs:
            if self.metrics is not None:
                self.metrics.job_interval.labels(job.name).set(job.interval_s)
            self._tasks.append(asyncio.create_task(self._run(job), name=f"job:{job.name}"))

    def request_stop(self) -> None:
        """No job starts another step; the steps under way go on to their end."""
        self._stop.set()
        for bell in self._bells.values():
            bell.set()

    async def stop(self, deadline: float) -> bool:
        """Stops every job, waiting until `deadline` (the loop's clock) for the steps under
        way; cancels what is left, and lets it release what it claimed. True when every job
        ended in time."""
        self.request_stop()
        if not self._tasks:
            return True
        loop = asyncio.get_running_loop()
        _, late = await asyncio.wait(self._tasks, timeout=max(0.0, deadline - loop.time()))
        for task in late:
            log.warning("%s is still in a step past the shutdown's grace", task.get_name())
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=RELEASE_S)
        return not late

    async def run(self) -> None:
        """Starts the jobs and waits for them; cancelling it cancels them all."""
        self.start()
        try:
            await asyncio.gather(*self._tasks)
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, job: Job) -> None:
        _stop_asked.set(self._stop)  # this task's context: what `stopping()` reads
        bell = self._bells[job.name]
        failures = FailureLog()
        while not self._stop.is_set():
            # Cleared before the step, so a wake during the step brings another one at once.
            bell.clear()
            more = await self._step(job, failures)
            if self._stop.is_set():
                return
            if more:
                await asyncio.sleep(0)  # let the other tasks run between batches
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(job.interval_s):
                    await bell.wait()

    async def _step(self, job: Job, failures: FailureLog) -> object:
        trail = log_context.begin(log_context.Trail(f"job-{job.name}-{os.urandom(6).hex()}"))
        started = time.perf_counter()
        outcome = "failed"
        more: object = False
        try:
            if self.tracer is not None:
                with self.tracer.start_as_current_span(f"job {job.name}"):
                    more = await job.step()
            else:
                more = await job.step()
            outcome = "ok"
        except Exception as error:
            unlogged = failures.should_log(error, asyncio.get_running_loop().time())
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
        finally:
            log_context.end(trail)
            if self.metrics is not None:
                self.metrics.job_runs.labels(job.name, outcome).inc()
                self.metrics.job_seconds.labels(job.name).observe(time.perf_counter() - started)
                if outcome == "ok":
                    self.metrics.job_last_success.labels(job.name).set(time.time())
        return more


async def run_jobs(jobs: Sequence[Job], metrics: Metrics | None = None) -> None:
    """Runs every job in a task of its own until cancelled, then cancels them all."""
    await JobRunner(jobs, metrics).run()
