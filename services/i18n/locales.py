"""The supported languages, and which of them a request's Accept-Language asks for.

Codes are BCP 47 tags (`de`, `zh-Hans`); Babel, and the catalogue files, spell them with an
underscore (`zh_Hans`). Matching follows CLDR's likely subtags: a tag is widened to its
language and script (`de-AT` → German in Latin script, `zh-CN` → Chinese in Han Simplified,
`zh-TW` → Chinese in Han Traditional), and a supported language matches when both agree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from babel import Locale
from babel.core import get_global, parse_locale

# English first: it is the language of the message ids and what any request falls back to.
SUPPORTED: tuple[str, ...] = ("en", "de", "tr", "ja", "zh-Hans", "es", "fr", "ar")
DEFAULT = "en"
# Accented and lengthened English (the conventional pseudo-locale tag): it shows at a glance
# any sentence that does not pass through the catalogue. Offered only where enabled.
PSEUDO = "en-XA"

# A header is read only so far: nobody's real preferences are longer.
MAX_HEADER = 4096
MAX_RANGES = 64
_RANGE = re.compile(r"^(?:\*|[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)$")
_QVALUE = re.compile(r"^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$")


def babel_code(code: str) -> str:
    """`zh-Hans` → `zh_Hans`: how Babel and the catalogue files name a locale."""
    return code.replace("-", "_")


@dataclass(frozen=True)
class LanguageRange:
    """One entry of an Accept-Language header."""

    tag: str
    quality: float


def parse_accept_language(header: str | None) -> list[LanguageRange]:
    """The header's language ranges, most wanted first (ties keep the header's order).

    Entries that are not well formed (a bad tag, a q-value outside 0-1 or with more than
    three decimals) are left out, not guessed at: the rest of the header still counts.
    """
    ranges: list[LanguageRange] = []
    for part in (header or "")[:MAX_HEADER].split(",")[:MAX_RANGES]:
        tag, *parameters = (piece.strip() for piece in part.split(";"))
        if not _RANGE.match(tag):
            continue
        quality: float | None = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                value = value.strip()
                quality = float(value) if _QVALUE.match(value) else None
        if quality is not None:
            ranges.append(LanguageRange(tag, quality))
    return sorted(ranges, key=lambda entry: -entry.quality)


@cache
def _language_and_script(tag: str) -> tuple[str, str | None]:
    """The tag's language and its script, written or the likely one (CLDR likely subtags)."""
    try:
        language, territory, script, *_ = parse_locale(tag, sep="-")
    except ValueError:  # grandfathered or private-use tags, say: the language alone
        return tag.split("-", 1)[0].lower(), None
    if script:
        return language, script
    likely: Mapping[str, str] = get_global("likely_subtags")
    for key in (f"{language}_{territory}" if territory else None, language):
        if key and key in likely:
            return language, parse_locale(likely[key])[2]
    return language, None


@dataclass(frozen=True)
class Languages:
    """The languages this process offers: the supported ones, and the pseudo-locale where
    it is enabled (development and tests)."""

    codes: tuple[str, ...]

    @classmethod
    def configured(cls, *, pseudo: bool) -> Languages:
        return cls((*SUPPORTED, PSEUDO) if pseudo else SUPPORTED)

    def find(self, tag: str) -> str | None:
        """The offered code that `tag` spells (any case, `-` or `_`), or None."""
        wanted = tag.strip().replace("_", "-").casefold()
        return next((code for code in self.codes if code.casefold() == wanted), None)

    def negotiate(self, header: str | None) -> str:
        """The best offered language for an Accept-Language header; English when none fits.

        In the order the person prefers them: a range whose language and script both match
        (`de-AT` → `de`, `zh-SG` → `zh-Hans`); then one whose language alone matches
        (`zh-TW` → `zh-Hans`, only when nothing they listed matched better); then `*`, the
        first offered language that no `q=0` refuses.
        """
        every = parse_accept_language(header)
        ranges = [entry for entry in every if entry.tag != "*"]
        wanted = [entry for entry in ranges if entry.quality > 0]
        for entry in wanted:
            if self.find(entry.tag) == PSEUDO:
                return PSEUDO
            for code in self._real():
                if _language_and_script(entry.tag) == _language_and_script(code):
                    return code
        for entry in wanted:
            language = _language_and_script(entry.tag)[0]
            for code in self._real():
                if language == _language_and_script(code)[0]:
                    return code
        if any(entry.tag == "*" and entry.quality > 0 for entry in every):
            refused = {_language_and_script(entry.tag) for entry in ranges if entry.quality == 0}
            for code in self._real():
                if _language_and_script(code) not in refused:
                    return code
        return DEFAULT

    def _real(self) -> tuple[str, ...]:
        return tuple(code for code in self.codes if code != PSEUDO)


def native_name(code: str) -> str:
    """The language's own name for itself, from CLDR, capitalised as a menu entry would be
    (`Español`, `Français`, `Deutsch`, `中文 (简体)`)."""
    if code == PSEUDO:
        return "Ƥşḗḗŭŭḓǿǿ (en-XA)"
    name = Locale.parse(babel_code(code)).get_display_name() or code
    return name[:1].upper() + name[1:]


def is_right_to_left(code: str) -> bool:
    if code == PSEUDO:
        return False
    return bool(Locale.parse(babel_code(code)).text_direction == "rtl")
