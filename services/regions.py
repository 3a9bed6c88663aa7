"""Supported countries and regions: the data file joined with what maintained libraries know.

Names come from CLDR (Babel) in every language; governing laws are catalogue messages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources

import phonenumbers

from models.accounts import AccountKind
from services.i18n import formats
from services.i18n.locales import DEFAULT
from services.i18n.text import Text
from services.money import minor_digits


@dataclass(frozen=True)
class Region:
    code: str
    calling_code: str
    currency: str
    tax_rate_percent: Decimal
    governing_law: str
    cloud_enable_kinds: tuple[AccountKind, ...]

    def can_enable_cloud(self, kind: AccountKind) -> bool:
        return kind in self.cloud_enable_kinds

    def name(self, locale: str = DEFAULT) -> str:
        return formats.region_name(self.code, locale)

    def governing_law_text(self) -> Text:
        return Text(self.governing_law)


def _check_known(code: str) -> None:
    if formats.region_name(code, DEFAULT) == code:
        raise ValueError(f"regions.json lists {code}, which CLDR does not know as a region")


def _load() -> dict[str, Region]:
    raw = json.loads(resources.files("services").joinpath("data/regions.json").read_text("utf-8"))
    regions: dict[str, Region] = {}
    for entry in raw["regions"]:
        code = entry["code"]
        _check_known(code)
        minor_digits(entry["currency"])  # fail at load on a currency ISO 4217 does not know
        kinds = entry.get("cloudEnableKinds", [kind.value for kind in AccountKind])
        regions[code] = Region(
            code=code,
            calling_code=f"+{phonenumbers.country_code_for_region(code)}",
            currency=entry["currency"],
            tax_rate_percent=Decimal(entry["taxRatePercent"]),
            governing_law=entry["governingLaw"],
            cloud_enable_kinds=tuple(AccountKind(kind) for kind in kinds),
        )
    return regions


@cache
def _regions() -> dict[str, Region]:
    return _load()


def all_regions(locale: str = DEFAULT) -> list[Region]:
    """Every region, in the order of their names in the locale."""
    return sorted(_regions().values(), key=lambda region: formats.sort_key(region.name(locale)))


def find_region(code: str) -> Region | None:
    return _regions().get(code.strip().upper())
