"""Every text an operation receives passes the one check of `services/text.py` first.

Walking the arguments here, before any resolver runs, covers every input field there is or
will be: a new input cannot forget the check. A field that takes several lines (a ticket's
description) says so with `metadata=MULTILINE`; there a line feed and a tab are welcome.
"""

from __future__ import annotations

from typing import Any

from strawberry.schema.name_converter import NameConverter
from strawberry.types.base import has_object_definition

from services.problems import ProblemCode, Problems
from services.text import UNCLEAN_TEXT, is_clean_text

MULTILINE = {"multiline": True}


def check_text_arguments(arguments: dict[str, Any], names: NameConverter) -> None:
    """Refuses, naming each field at fault, when any text in the arguments is not clean.

    Paths are relative to the `input` argument, as every payload's `errors` are.
    """
    problems = Problems()
    for name, value in arguments.items():
        _walk(value, "" if name == "input" else name, False, names, problems)
    problems.refuse_if_any()


def _walk(value: Any, path: str, multiline: bool, names: NameConverter, found: Problems) -> None:
    if isinstance(value, str):
        if not is_clean_text(value, multiline=multiline):
            found.add(ProblemCode.INVALID_INPUT, UNCLEAN_TEXT, path or None)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, _join(path, str(index)), multiline, names, found)
    elif has_object_definition(value):
        for field in value.__strawberry_definition__.fields:
            _walk(
                getattr(value, field.python_name, None),
                _join(path, names.get_graphql_name(field)),
                bool(field.metadata.get("multiline")),
                names,
                found,
            )


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
