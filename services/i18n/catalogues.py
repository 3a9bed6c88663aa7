"""The gettext catalogues: `catalogues/<locale>.po` in the repository, compiled when first
asked for (so a fresh clone needs no build step), and the pseudo-locale.

English needs no catalogue: the message ids are the English sentences. A sentence a
catalogue lacks, or holds only as fuzzy, falls back to English; the tests fail on both.
`make i18n` extracts the ids (`messages.pot`) and merges them into every catalogue.
"""

from __future__ import annotations

import re
from functools import cache
from gettext import GNUTranslations, NullTranslations
from importlib import resources
from importlib.abc import Traversable
from io import BytesIO

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from services.i18n.locales import DEFAULT, PSEUDO, babel_code

# Every ASCII letter has an accented look-alike, so that a sentence left out of the catalogue
# stands out as plain ASCII in pseudo-locale output, and tests can find it.
_ACCENTED = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "ȧƀƈḓḗƒɠħīĵķŀḿƞǿƥɋřşŧŭṽẇẋẏẑȦƁƇḒḖƑƓĦĪĴĶĿḾȠǾƤɊŘŞŦŬṼẆẊẎẐ",
)
_VOWELS = re.compile("([ȧḗīǿŭȦḖĪǾŬ])")
# Placeholders ({code}) are left as they are; so is the text of a link written inside one.
_PLACEHOLDER = re.compile(r"(\{[a-z_][a-z0-9_]*\})")


def catalogue_files() -> Traversable:
    return resources.files("services.i18n").joinpath("catalogues")


def _grown(length: int) -> int:
    """How long a text of `length` characters may grow in translation: short ones the most
    (the usual pseudo-localisation rule of thumb)."""
    for up_to, factor in ((10, 2.0), (20, 1.8), (30, 1.6), (50, 1.5), (70, 1.4)):
        if length <= up_to:
            return round(length * factor)
    return round(length * 1.3)


def _line(line: str) -> str:
    parts = _PLACEHOLDER.split(line)
    for index in range(0, len(parts), 2):  # the even parts are text, the odd placeholders
        parts[index] = _VOWELS.sub(r"\1\1", parts[index].translate(_ACCENTED))
    written = "".join(parts)
    return f"⟦{written}{'·' * max(0, _grown(len(line)) - len(written))}⟧"


def pseudo(sentence: str) -> str:
    """Accented, and as long as a translation may grow (vowels doubled, then padded with ·),
    each line inside ⟦ ⟧: room for languages that need more of it, and truncation shows."""
    return "\n".join(_line(line) if line.strip() else line for line in sentence.split("\n"))


class PseudoTranslations(NullTranslations):
    def gettext(self, message: str) -> str:
        return pseudo(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return pseudo(msgid1 if n == 1 else msgid2)


# The reference frontend's own words are messages of the same catalogues, extracted from
# its scripts under this folder.
PAGE_SOURCES = "web/app/"


def _catalog(source: Traversable, locale: str | None = None) -> Catalog | None:
    if not source.is_file():
        return None
    with source.open("rb") as po:
        return read_po(po, locale=locale)


@cache
def page_words(locale: str) -> dict[str, str]:
    """The frontend's words in `locale`: each English text it shows and its translation
    (none for English, whose texts are the ids; fuzzy or empty ones are left out)."""
    if locale == DEFAULT:
        return {}
    template = _catalog(resources.files("services.i18n").joinpath("messages.pot"))
    if locale == PSEUDO:
        messages = list(template) if template else []
        return {m.id: pseudo(m.id) for m in messages if _on_page(m) and isinstance(m.id, str)}
    catalog = _catalog(catalogue_files().joinpath(f"{babel_code(locale)}.po"), babel_code(locale))
    if catalog is None:
        return {}
    return {
        m.id: m.string
        for m in catalog
        if _on_page(m) and isinstance(m.id, str) and isinstance(m.string, str) and m.string
        if not m.fuzzy
    }


def _on_page(message: Message) -> bool:
    return bool(message.id) and any(path.startswith(PAGE_SOURCES) for path, _ in message.locations)


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalogue of a locale; English (the message ids) for any other code."""
    if locale == PSEUDO:
        return PseudoTranslations()
    source = catalogue_files().joinpath(f"{babel_code(locale)}.po")
    if locale == DEFAULT or not source.is_file():
        return NullTranslations()
    with source.open("rb") as po:
        catalog = read_po(po, locale=babel_code(locale))
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return GNUTranslations(compiled)
