"""The job runner and the one backoff, without waiting on the wall clock.

Jobs here have an hour-long interval, so any step taken within a test's fraction of a
second was brought by a wake, a "more is waiting" answer or the start, never the timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta

import pytest

from services.jobs import FailureLog, Job, JobRunner, abandonable, backoff, run_jobs, stopping
from services.metrics import Metrics
from tests.conftest import GraphQLClient, http_client
from tests.flows import send_code

HOUR = 3600.0


async def _until(predicate: Callable[[], bool], timeout_s: float = 0.5) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not predicate():
        assert loop.time() < deadline, "not in time"
        await asyncio.sleep(0.001)


@contextlib.asynccontextmanager
async def running(*jobs: Job) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(run_jobs(jobs))
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def counting(answers: list[object] | None = None) -> tuple[list[int], Callable[[], Awaitable]]:
    """A step that counts its calls and answers from `answers` (then None)."""
    calls: list[int] = []

    async def step() -> object:
        calls.append(1)
        return answers.pop(0) if answers else None

    return calls, step


def test_backoff_doubles_from_the_base_up_to_the_cap() -> None:
    base, cap = timedelta(seconds=5), timedelta(hours=1)
    waits = [backoff(n, base=base, cap=cap) for n in range(0, 12)]
    assert waits[:5] == [timedelta(0), *(timedelta(seconds=s) for s in (5, 10, 20, 40))]
    assert waits[10] == timedelta(seconds=2560)
    assert waits[11] == cap
    assert backoff(10_000, base=base, cap=cap) == cap  # no overflow however long it fails
    assert backoff(1, base=timedelta(seconds=1), cap=cap) == timedelta(seconds=1)


async def test_every_job_takes_its_first_step_at_once() -> None:
    first, step_a = counting()
    second, step_b = counting()
    async with running(Job("a", step_a, HOUR), Job("b", step_b, HOUR)):
        await _until(lambda: first and second)
        await asyncio.sleep(0.05)
    assert (len(first), len(second)) == (1, 1)


async def test_a_short_interval_brings_the_next_step() -> None:
    calls, step = counting()
    async with running(Job("tick", step, 0.01)):
        await _until(lambda: len(calls) >= 3)


async def test_a_wake_runs_the_step_early() -> None:
    wake = asyncio.Event()
    calls, step = counting()
    async with running(Job("woken", step, HOUR, wake=wake)):
        await _until(lambda: len(calls) == 1)
        await asyncio.sleep(0.02)
        assert len(calls) == 1  # the interval alone would wait an hour
        wake.set()
        await _until(lambda: len(calls) == 2)


async def test_a_wake_during_the_step_is_not_lost() -> None:
    wake = asyncio.Event()
    calls: list[int] = []

    async def step() -> None:
        calls.append(1)
        if len(calls) == 1:
            wake.set()  # new work arrived while this step was busy

    async with running(Job("busy", step, HOUR, wake=wake)):
        await _until(lambda: len(calls) == 2)


async def test_more_waiting_runs_the_step_again_at_once() -> None:
    calls, step = counting([True, True, 1, 0])
    async with running(Job("batches", step, HOUR)):
        await _until(lambda: len(calls) == 4)
        await asyncio.sleep(0.02)
    assert len(calls) == 4  # a falsy answer waits for the interval


async def test_a_failing_step_is_logged_and_the_job_goes_on(caplog) -> None:
    wake = asyncio.Event()
    calls: list[int] = []
    other_calls, other = counting()

    async def step() -> None:
        calls.append(1)
        if len(calls) <= 3:
            raise RuntimeError("database unreachable")

    caplog.set_level(logging.INFO, logger="onramp.jobs")
    async with running(Job("flaky", step, 0.001), Job("steady", other, HOUR, wake=wake)):
        await _until(lambda: len(calls) >= 5)
        wake.set()
        await _until(lambda: len(other_calls) == 2)

    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failures) == 1  # the same error three times in a row is logged once
    assert "flaky" in failures[0].getMessage()
    assert failures[0].exc_info is not None
    assert failures[0].exc_info[0] is RuntimeError
    assert any("flaky works again" in r.getMessage() for r in caplog.records)


def test_a_repeated_failure_is_logged_once_a_minute_and_a_new_one_at_once() -> None:
    failures = FailureLog(interval_s=60)
    down = RuntimeError("database unreachable")

    assert failures.should_log(down, now=0) == 0
    assert failures.should_log(RuntimeError("database unreachable"), now=1) is None
    assert failures.should_log(down, now=59) is None
    assert failures.should_log(down, now=60) == 2  # logged again, saying 2 were not
    assert failures.should_log(ValueError("bad row"), now=61) == 0
    assert failures.should_log(ValueError("bad row"), now=62) is None
    assert failures.recovered()
    assert not failures.recovered()
    assert failures.should_log(ValueError("bad row"), now=63) == 0


async def test_cancelling_the_runner_stops_every_job() -> None:
    started = asyncio.Event()
    stopped: list[str] = []

    async def endless() -> None:
        started.set()
        try:
            await asyncio.sleep(HOUR)
        finally:
            stopped.append("endless")

    calls, step = counting()
    task = asyncio.create_task(run_jobs([Job("endless", endless, HOUR), Job("idle", step, HOUR)]))
    await asyncio.wait_for(started.wait(), 0.5)
    await _until(lambda: len(calls) == 1)

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 0.5)
    assert stopped == ["endless"]
    assert all(t.get_name() != "job:idle" for t in asyncio.all_tasks())


async def test_job_names_are_unique() -> None:
    _, step = counting()
    with pytest.raises(ValueError, match="unique"):
        await run_jobs([Job("same", step, HOUR), Job("same", step, HOUR)])


def _job_tasks() -> set[str]:
    return {t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith("job:")}


async def test_the_app_runs_its_jobs_from_one_list_and_stops_them(app_factory) -> None:
    async with app_factory() as app:
        names = {job.name for job in app.state.jobs}
        await _until(lambda: len(_job_tasks()) == len(names))
        during = _job_tasks()
    async with app_factory(jobs=False):
        unstarted = _job_tasks()

    assert names == {
        "outbox",
        "card-binding",
        "billing",
        "bill-payments",
        "tickets",
        "sandbox-refunds",
        "sandbox-webhooks",
        "metrics",
    }
    assert during == {f"job:{name}" for name in names}
    assert unstarted == set()
    assert _job_tasks() == set()


async def test_new_work_nudges_the_job_that_does_it(app_factory) -> None:
    async with app_factory(jobs=False) as app:
        wakes = {job.name: job.wake for job in app.state.jobs if job.wake is not None}
        before = {name: wake.is_set() for name, wake in wakes.items()}
        gql = GraphQLClient(http_client(app))
        await send_code(gql, "wake@example.com")
        after_email = {name: wake.is_set() for name, wake in wakes.items()}

    assert set(wakes) == {"outbox", "sandbox-refunds", "sandbox-webhooks"}
    assert not any(before.values())
    assert after_email == {"outbox": True, "sandbox-refunds": False, "sandbox-webhooks": False}


# Stopping at a safe point (SIGTERM; see api/shutdown.py)


async def test_asked_to_stop_a_job_ends_its_step_and_takes_no_other() -> None:
    busy, go_on = asyncio.Event(), asyncio.Event()
    calls: list[str] = []

    async def step() -> bool:
        calls.append("started")
        busy.set()
        await go_on.wait()
        calls.append("finished")
        return True  # "more is waiting": without the stop it would run again at once

    runner = JobRunner([Job("work", step, HOUR)])
    runner.start()
    await asyncio.wait_for(busy.wait(), 1)
    loop = asyncio.get_running_loop()
    stopping_ = asyncio.create_task(runner.stop(loop.time() + HOUR))
    await asyncio.sleep(0)
    assert not stopping_.done()  # the step under way is waited for, not cancelled
    go_on.set()
    assert await asyncio.wait_for(stopping_, 1) is True
    assert calls == ["started", "finished"]


async def test_a_step_working_through_rows_ends_after_the_current_one() -> None:
    done: list[int] = []
    first_begun, go_on = asyncio.Event(), asyncio.Event()

    async def step() -> None:
        for row in (1, 2, 3):
            if stopping():
                return
            if row == 1:
                first_begun.set()
                await go_on.wait()
            done.append(row)

    runner = JobRunner([Job("rows", step, HOUR)])
    runner.start()
    await asyncio.wait_for(first_begun.wait(), 1)
    runner.request_stop()
    go_on.set()
    assert await runner.stop(asyncio.get_running_loop().time() + 1) is True
    assert done == [1]
    assert stopping() is False  # outside a job's step nothing is ever asked to stop


async def test_past_the_deadline_a_step_is_cancelled() -> None:
    ended: list[str] = []

    async def step() -> None:
        try:
            await asyncio.sleep(HOUR)
        except asyncio.CancelledError:
            ended.append("cancelled")  # where a claim would be released
            raise

    runner = JobRunner([Job("stuck", step, HOUR)])
    runner.start()
    await asyncio.sleep(0)
    assert await runner.stop(asyncio.get_running_loop().time() + 0.05) is False
    assert ended == ["cancelled"]


async def test_an_abandoned_call_does_not_hold_up_its_caller() -> None:
    winding_down = asyncio.Event()

    async def slow_to_cancel() -> None:
        try:
            await asyncio.sleep(HOUR)
        except asyncio.CancelledError:
            winding_down.set()
            await asyncio.sleep(HOUR)  # a client waiting on the very server that holds it

    caller = asyncio.create_task(abandonable(slow_to_cancel()))
    await asyncio.sleep(0)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(caller, 1)
    await asyncio.wait_for(winding_down.wait(), 1)  # and the call itself was told


async def test_every_step_is_counted_with_its_outcome() -> None:
    metrics = Metrics()
    answers: list[Exception | None] = [None, RuntimeError("down"), None]
    wake = asyncio.Event()

    async def step() -> None:
        answer = answers.pop(0)
        if answer is not None:
            raise answer

    runner = JobRunner([Job("counted", step, HOUR, wake=wake)], metrics)
    runner.start()
    for _ in range(2):
        await _until(lambda: len(answers) < 3 and not wake.is_set())
        wake.set()
    await _until(lambda: not answers)
    await runner.stop(asyncio.get_running_loop().time() + 1)
    sample = metrics.registry.get_sample_value

    assert sample("onramp_job_runs_total", {"job": "counted", "outcome": "ok"}) == 2
    assert sample("onramp_job_runs_total", {"job": "counted", "outcome": "failed"}) == 1
    assert sample("onramp_job_duration_seconds_count", {"job": "counted"}) == 3
    assert sample("onramp_job_last_success_timestamp_seconds", {"job": "counted"}) > 0
    assert sample("onramp_job_interval_seconds", {"job": "counted"}) == HOUR
