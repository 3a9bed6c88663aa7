"""How an SMS travels: in GSM-7 when every character is in the GSM 03.38 alphabet, else in
UCS-2, and in how many segments (what operators bill, and what the SMS caps count).

GSM-7: 160 septets in one segment, 153 in each part of a longer one; a character of the
extension table (€ [ ] { } ~ ^ | \\) takes two, and an escape never straddles two parts.
UCS-2: 70 UTF-16 units in one segment, 67 in each part; a surrogate pair never straddles.
The GSM 03.38 alphabet comes from the `gsm0338` codec. National language shift tables
(Turkish, Spanish, Portuguese...) are not used: such texts go as UCS-2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


class SmsEncoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


@dataclass(frozen=True)
class SmsSize:
    encoding: SmsEncoding
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


def _units(text: str) -> tuple[SmsEncoding, list[int]]:
    """The encoding the text needs, and how many units each of its characters takes."""
    try:
        return SmsEncoding.GSM7, [len(ch.encode("gsm03.38")) for ch in text]
    except UnicodeEncodeError:
        return SmsEncoding.UCS2, [len(ch.encode("utf-16-be")) // 2 for ch in text]


def _parts(sizes: list[int], capacity: int) -> int:
    """Segments needed when no character may be split between two of them."""
    parts, used = 1, 0
    for size in sizes:
        if used + size > capacity:
            parts, used = parts + 1, 0
        used += size
    return parts


def measure(text: str) -> SmsSize:
    encoding, sizes = _units(text)
    single, part = (
        (GSM7_SINGLE, GSM7_PART) if encoding is SmsEncoding.GSM7 else (UCS2_SINGLE, UCS2_PART)
    )
    total = sum(sizes)
    segments = 1 if total <= single else max(_parts(sizes, part), math.ceil(total / part))
    return SmsSize(encoding, total, segments)
