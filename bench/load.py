"""The load generator: a separate process that speaks HTTP/1.1 keep-alive over loopback.

Run as `python -m bench.load SPEC_JSON`; prints one JSON line with what it measured. Two
modes, both bounded in time (and the open loop in count):

- closed: `connections` clients each send the next request as soon as the answer arrives;
  only requests that start after the warm-up and end within `duration` count.
- open: requests are offered at `rate` per second whatever the answers do (a request waits
  for a free connection, opening up to `max_connections`); each latency is measured from the
  request's scheduled time, so a stalled server shows in the tail (no coordinated omission).

A written request is pre-encoded bytes; an answer counts as an error unless it is a 200
whose body lacks `"errors"` (and holds `expect`, when given). Targets other than loopback
are refused.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import statistics
import sys
from dataclasses import dataclass
from typing import Any

# Beyond these the run stops, whatever the spec asks.
MAX_DURATION_S = 60.0
MAX_RATE = 20_000.0
MAX_CONNECTIONS = 256


@dataclass
class Spec:
    host: str
    port: int
    path: str
    body: str
    headers: dict[str, str]
    mode: str = "closed"
    connections: int = 8
    rate: float = 0.0
    max_connections: int = 64
    duration: float = 5.0
    warmup: float = 1.0
    expect: str = ""  # a text every good answer's body holds

    def check(self) -> None:
        if not ipaddress.ip_address(self.host).is_loopback:
            raise SystemExit(f"bench.load: only loopback targets, not {self.host}")
        if not 0 < self.duration + self.warmup <= MAX_DURATION_S:
            raise SystemExit("bench.load: duration out of bounds")
        if self.mode == "open" and not 0 < self.rate <= MAX_RATE:
            raise SystemExit("bench.load: rate out of bounds")
        if not 0 < max(self.connections, self.max_connections) <= MAX_CONNECTIONS:
            raise SystemExit("bench.load: connections out of bounds")


def encode_request(spec: Spec) -> bytes:
    body = spec.body.encode()
    lines = [
        f"POST {spec.path} HTTP/1.1",
        f"Host: {spec.host}:{spec.port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *(f"{name}: {value}" for name, value in spec.headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer)

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = None
        chunked = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if length is not None:
            return status, await self.reader.readexactly(length)
        if not chunked:
            raise ConnectionError("an answer without a length")
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            data = await self.reader.readexactly(size + 2)
            if size == 0:
                return status, b"".join(parts)
            parts.append(data[:-2])

    def close(self) -> None:
        self.writer.close()


EXPECT = b""


def ok(status: int, body: bytes) -> bool:
    return status == 200 and b'"errors"' not in body and EXPECT in body


def summary(latencies: list[float], errors: int, seconds: float, **extra: Any) -> dict[str, Any]:
    ordered = sorted(latencies)

    def pct(p: float) -> float | None:
        if not ordered:
            return None
        return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 3)

    return {
        "requests": len(ordered),
        "errors": errors,
        "seconds": round(seconds, 3),
        "rps": round(len(ordered) / seconds, 2) if seconds else 0.0,
        "p50_ms": pct(50),
        "p90_ms": pct(90),
        "p99_ms": pct(99),
        "max_ms": round(ordered[-1] * 1000, 3) if ordered else None,
        "mean_ms": round(statistics.fmean(ordered) * 1000, 3) if ordered else None,
        **extra,
    }


async def closed_loop(spec: Spec) -> dict[str, Any]:
    request = encode_request(spec)
    loop = asyncio.get_running_loop()
    start = loop.time()
    measure_from = start + spec.warmup
    measure_to = measure_from + spec.duration
    latencies: list[float] = []
    errors = 0
    answered = 0  # warm-up included: what the server did while the run lasted

    async def client() -> None:
        nonlocal errors, answered
        connection = await Connection.open(spec.host, spec.port)
        try:
            while (sent := loop.time()) < measure_to:
                status, body = await connection.exchange(request)
                answered += 1
                done = loop.time()
                if sent >= measure_from and done <= measure_to:
                    if ok(status, body):
                        latencies.append(done - sent)
                    else:
                        errors += 1
        finally:
            connection.close()

    await asyncio.wait_for(
        asyncio.gather(*(client() for _ in range(spec.connections))),
        timeout=spec.warmup + spec.duration + 10,
    )
    return summary(
        latencies,
        errors,
        spec.duration,
        mode="closed",
        connections=spec.connections,
        answered=answered,
    )


async def open_loop(spec: Spec) -> dict[str, Any]:
    request = encode_request(spec)
    loop = asyncio.get_running_loop()
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    opened = 0
    latencies: list[float] = []
    errors = 0
    late = 0  # requests that waited for a connection
    start = loop.time() + 0.05
    measure_from = start + spec.warmup
    total = int((spec.warmup + spec.duration) * spec.rate)

    async def one(scheduled: float) -> None:
        nonlocal opened, errors, late
        if idle.empty() and opened < spec.max_connections:
            opened += 1
            connection = await Connection.open(spec.host, spec.port)
        else:
            if idle.empty():
                late += 1
            connection = await idle.get()
        try:
            status, body = await connection.exchange(request)
        except (ConnectionError, asyncio.IncompleteReadError):
            errors += 1
            connection.close()
            opened -= 1
            return
        idle.put_nowait(connection)
        if scheduled >= measure_from:
            if ok(status, body):
                latencies.append(loop.time() - scheduled)
            else:
                errors += 1

    tasks = []
    for i in range(total):
        scheduled = start + i / spec.rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled)))
    _done, pending = await asyncio.wait(tasks, timeout=10)
    for task in pending:
        task.cancel()
    while not idle.empty():
        idle.get_nowait().close()
    return summary(
        latencies,
        errors + len(pending),
        spec.duration,
        mode="open",
        offered_rate=spec.rate,
        connections_opened=opened,
        waited_for_connection=late,
    )


def main(argv: list[str]) -> int:
    spec = Spec(**json.loads(argv[0]))
    spec.check()
    global EXPECT
    EXPECT = spec.expect.encode()
    runner: Any
    try:
        import uvloop

        runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
    except ImportError:  # pragma: no cover
        runner = asyncio.Runner()
    with runner:
        result = runner.run(closed_loop(spec) if spec.mode == "closed" else open_loop(spec))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
