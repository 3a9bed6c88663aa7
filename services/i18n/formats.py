"""Numbers, money, dates, percentages, lists and region names, by CLDR's rules (Babel).

E.g. 1234.56 EUR is `€1,234.56` in English, `1.234,56 €` in German and `1 234,56 €` in
French; 154 JPY is `￥154` in Japanese (CLDR's full-width yen); 8.1 % is `%8,1` in Turkish.
The pseudo-locale formats as English does, its words (months, "and") accented like the rest.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal

from babel import Locale
from babel.dates import format_date, format_interval
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal, format_percent, get_currency_symbol

from services.i18n.catalogues import pseudo
from services.i18n.locales import DEFAULT, PSEUDO, babel_code
from services.money import Money


def _cldr(locale: str) -> str:
    return babel_code(DEFAULT if locale == PSEUDO else locale)


def number(value: int | Decimal, locale: str) -> str:
    return format_decimal(value, locale=_cldr(locale), decimal_quantization=False)


def money(value: Money, locale: str) -> str:
    """The amount with exactly its currency's minor digits, as the locale writes money."""
    written = format_currency(value.amount, value.currency, locale=_cldr(locale))
    return _currency_spacing(written, get_currency_symbol(value.currency, locale=_cldr(locale)))


def _is_letter_like(character: str) -> bool:
    return not unicodedata.category(character).startswith(("S", "Z"))


def _currency_spacing(written: str, symbol: str) -> str:
    """CLDR's currencySpacing, which Babel leaves out: a symbol that ends (or starts) with a
    letter keeps a no-break space from the digits beside it (`KWD 0.310`, not `KWD0.310`),
    while `€1.00` and `￥154` stay as they are."""
    at = written.find(symbol)
    if at < 0 or not symbol:
        return written
    before, after = written[:at], written[at + len(symbol) :]
    if after[:1].isdigit() and _is_letter_like(symbol[-1]):
        return f"{before}{symbol}\xa0{after}"
    if before[-1:].isdigit() and _is_letter_like(symbol[0]):
        return f"{before}\xa0{symbol}{after}"
    return written


def percent(value: Decimal, locale: str) -> str:
    """`value` in percent (19 → 19 %), keeping its decimals (8.1 → 8,1 %)."""
    return format_percent(value / 100, locale=_cldr(locale), decimal_quantization=False)


def _words(written: str, locale: str) -> str:
    return pseudo(written) if locale == PSEUDO else written


def long_date(value: date, locale: str) -> str:
    return _words(format_date(value, "long", locale=_cldr(locale)), locale)


def date_range(start: date, end: date, locale: str) -> str:
    """Both days, inclusive, as CLDR writes an interval (`Nov 1 – 30, 2026`)."""
    return _words(format_interval(start, end, "yMMMd", locale=_cldr(locale)), locale)


def listing(items: list[str], locale: str) -> str:
    """`a, b and c`, with the locale's own separators and conjunction."""
    if locale == PSEUDO and len(items) > 1:
        return ", ".join(items[:-1]) + pseudo(" and ") + items[-1]
    return format_list(items, style="standard", locale=_cldr(locale))


def region_name(code: str, locale: str) -> str:
    """The country or region's name in the locale (CLDR), e.g. DE → Deutschland."""
    name = Locale.parse(_cldr(locale)).territories.get(code)
    if name is None:
        name = Locale.parse(babel_code(DEFAULT)).territories.get(code, code)
    return _words(name, locale)


def sort_key(name: str) -> str:
    """Orders names as a reader expects within one script, accents beside their letters
    (Österreich with the Os), which plain code-point order would not."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
