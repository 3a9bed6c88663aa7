"""The catalogues are complete and current: every message the code and the data files hold
has a translation in every language, none fuzzy (what `make i18n` marks when an English text
changed), none left over, each with the placeholders of its English text."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from services.i18n.locales import SUPPORTED, babel_code
from services.i18n.text import Text

ROOT = Path(__file__).parent.parent
I18N = ROOT / "services" / "i18n"
# What `make i18n` extracts from, with the same keywords and mapping.
SOURCES = ("api", "gateways", "resolvers", "services", "web/app/assets")
KEYWORDS = {"tr": None, "trn": (1, 2), "t": None}
TRANSLATED = [code for code in SUPPORTED if code != "en"]
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


def _extracted() -> set[str | tuple[str, str]]:
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: set[str | tuple[str, str]] = set()
    for source in SOURCES:
        for _, _, message, _, _ in extract_from_dir(
            str(ROOT / source), method_map, options_map, keywords=KEYWORDS
        ):
            found.add(message if isinstance(message, str) else (message[0], message[1]))
    return found


SOURCE_MESSAGES = _extracted()


def _catalogue(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as po:
        return read_po(po, locale=locale)


def _key(message: Message) -> str | tuple[str, str]:
    return message.id if isinstance(message.id, str) else (message.id[0], message.id[1])


def _entries(catalog: Catalog) -> dict[str | tuple[str, str], Message]:
    return {_key(message): message for message in catalog if message.id}


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_the_code_has_messages_to_translate() -> None:
    # The extraction itself works: a sentence of each kind of source is found.
    assert "There is no such bill." in SOURCE_MESSAGES  # a service's refusal
    assert "Customer Agreement" in SOURCE_MESSAGES  # a data file's title
    assert "Laws of Japan" in SOURCE_MESSAGES  # a region's governing law
    assert ("Use at most {count} character.", "Use at most {count} characters.") in (
        SOURCE_MESSAGES
    )


def test_the_template_is_current() -> None:
    """messages.pot is what `make i18n` extracts from today's code."""
    template = set(_entries(_catalogue(I18N / "messages.pot")))
    assert not SOURCE_MESSAGES - template, "run `make i18n`: messages missing from the template"
    assert not template - SOURCE_MESSAGES, "run `make i18n`: the template holds stale messages"


def test_there_is_a_catalogue_for_every_language_and_no_other() -> None:
    files = {path.stem for path in (I18N / "catalogues").glob("*.po")}
    assert files == {babel_code(code) for code in TRANSLATED}


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_message_is_translated_and_none_is_stale(locale: str) -> None:
    catalog = _catalogue(I18N / "catalogues" / f"{babel_code(locale)}.po", babel_code(locale))
    entries = _entries(catalog)

    missing = sorted(map(str, SOURCE_MESSAGES - set(entries)))
    leftover = sorted(map(str, set(entries) - SOURCE_MESSAGES))
    obsolete = sorted(map(str, catalog.obsolete))
    fuzzy = sorted(str(key) for key, m in entries.items() if m.fuzzy)
    empty = sorted(
        str(key)
        for key, m in entries.items()
        if not all((m.string,) if isinstance(m.string, str) else m.string)
    )
    assert missing == [], f"{locale}: not in the catalogue (run `make i18n`, then translate)"
    assert leftover == [], f"{locale}: no longer in the code (run `make i18n`)"
    assert obsolete == [], f"{locale}: obsolete entries"
    assert fuzzy == [], f"{locale}: fuzzy, the English changed: translate again"
    assert empty == [], f"{locale}: untranslated"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_translations_keep_their_placeholders(locale: str) -> None:
    catalog = _catalogue(I18N / "catalogues" / f"{babel_code(locale)}.po", babel_code(locale))
    wrong = []
    for key, message in _entries(catalog).items():
        if isinstance(key, str):
            if _placeholders(message.string) != _placeholders(key):
                wrong.append((key, message.string))
            continue
        wanted = _placeholders(key[1])
        for form in message.string:
            # A plural form may say its number in words ("one character"): {count} may go.
            if _placeholders(form) not in (wanted, wanted - {"count"}):
                wrong.append((key[0], form))
    assert wrong == []


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_message_renders_in_every_language(locale: str) -> None:
    """Compiled at start like the server does, each message writes out with its values."""
    for key in SOURCE_MESSAGES:
        msgid, plural = (key, None) if isinstance(key, str) else key
        names = _placeholders(msgid) | _placeholders(plural or "")
        values = {name: f"<{name}>" for name in names - ({"count"} if plural else set())}
        for count in (0, 1, 2, 5, 11, 100) if plural else (None,):
            text = Text(msgid, dict(values), plural, count)
            written = text.render(locale)
            assert written, key
            assert not any(
                field for _, field, _, _ in string.Formatter().parse(written) if field
            ), (key, written)  # nothing left unfilled
