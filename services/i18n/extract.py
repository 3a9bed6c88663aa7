"""A Babel extractor for the data files: the values of the JSON keys that babel.cfg names
(`keys = title governingLaw`) are catalogue messages, like `tr()` calls in the code."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

Extracted = tuple[int, str | None, str, list[str]]


def extract_json_values(
    fileobj: IO[bytes],
    keywords: Mapping[str, Any],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Extracted]:
    wanted = set(str(options.get("keys", "")).split())
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in wanted and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(json.loads(fileobj.read().decode("utf-8")))
    for value in found:
        yield 1, None, value, []
