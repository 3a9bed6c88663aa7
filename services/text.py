"""The one check every text a person sends goes through: no invisible or misleading bytes.

Refused: C0 and C1 control characters (a line feed and a tab only where a field takes
several lines), lone surrogates (not text at all, and PostgreSQL refuses them), and the
bidirectional overrides and isolates that make a text read differently from what it
holds. Every script's letters and marks are welcome, and so are the zero-width joiner and
non-joiner that some scripts need to write names correctly.
"""

from __future__ import annotations

import re

from services.i18n.text import tr
from services.problems import ProblemCode, Refused

UNCLEAN_TEXT = tr("Remove the control or text-direction characters from this text.")

# Cc (C0, DEL, C1), surrogates, and U+202A-U+202E, U+2066-U+2069.
_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_FORBIDDEN_MULTILINE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]"
)


def check_text(value: str, field: str | None, *, multiline: bool = False) -> str:
    """The value as given, or refused with INVALID_INPUT naming the field."""
    pattern = _FORBIDDEN_MULTILINE if multiline else _FORBIDDEN
    if pattern.search(value):
        raise Refused.because(ProblemCode.INVALID_INPUT, UNCLEAN_TEXT, field)
    return value


def is_clean_text(value: str, *, multiline: bool = False) -> bool:
    pattern = _FORBIDDEN_MULTILINE if multiline else _FORBIDDEN
    return pattern.search(value) is None
