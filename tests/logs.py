"""The process's logging configuration, aimed at a buffer for one test, then put back."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

from api.observability import QUIET_LOGGERS, configure_logging


class Captured:
    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[str]:
        return [line for line in self.text.splitlines() if line]

    def records(self) -> list[dict[str, Any]]:
        """Every line, decoded (JSON lines only): one object each."""
        return [json.loads(line) for line in self.lines()]


@contextlib.contextmanager
def configured(level: str = "DEBUG", *, json_lines: bool = True) -> Iterator[Captured]:
    """`configure_logging` as `onramp serve` calls it, writing to a buffer."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, {n: logging.getLogger(n).level for n in QUIET_LOGGERS})
    stream = io.StringIO()
    configure_logging(level, json_lines=json_lines, stream=stream)
    try:
        yield Captured(stream)
    finally:
        handlers, root_level, quiet = saved
        root.handlers[:] = handlers
        root.setLevel(root_level)
        for name, level_before in quiet.items():
            logging.getLogger(name).setLevel(level_before)
        logging.captureWarnings(False)
