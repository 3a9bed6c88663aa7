"""The languages Onramp speaks: which ones, which one a request or an account gets, and the
catalogued texts, CLDR names and number, date and money formats that follow it.

- `locales`: the supported languages (BCP 47 tags), Accept-Language negotiation, names.
- `text`: `tr()` and `trn()` mark a sentence for the catalogue and keep it unrendered
  (`Text`) until the language it is for is known; `render(text, locale)` writes it.
- `catalogues`: the gettext catalogues (`catalogues/<locale>.po`, compiled when first used)
  and the pseudo-locale that shows any sentence left out of them.
- `formats`: money, dates, numbers, percentages, lists and region names by CLDR (Babel).
"""
