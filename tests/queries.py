"""Counting the statements Tortoise runs, by their first word (SELECT, INSERT, UPDATE, ...)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager


class _StatementCounter(logging.Handler):
    """Counts statements by kind; keeps neither the SQL nor its parameters."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.kinds: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        query = record.args[0] if isinstance(record.args, tuple) and record.args else record.msg
        words = str(query).split(maxsplit=1)
        self.kinds[words[0].upper() if words else ""] += 1


@contextmanager
def counting_statements() -> Iterator[Counter[str]]:
    # The app pins this logger to WARNING so parameters never reach the logs: open it only
    # for this handler (not propagated anywhere), and put everything back afterwards.
    logger = logging.getLogger("tortoise.db_client")
    counter = _StatementCounter()
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(counter)
    try:
        yield counter.kinds
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)
        logger.propagate = propagate
