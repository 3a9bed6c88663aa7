"""Supported countries and regions: the data file joined with what maintained libraries know."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources

import phonenumbers
import pycountry

from models.accounts import AccountKind
from services.money import minor_digits


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    calling_code: str
    currency: str
    tax_rate_percent: Decimal
    governing_law: str
    cloud_enable_kinds: tuple[AccountKind, ...]

    def can_enable_cloud(self, kind: AccountKind) -> bool:
        return kind in self.cloud_enable_kinds


def _country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        raise ValueError(f"regions.json lists {code}, which is not an ISO 3166-1 code")
    return getattr(country, "common_name", None) or country.name


def _load() -> dict[str, Region]:
    raw = json.loads(resources.files("services").joinpath("data/regions.json").read_text("utf-8"))
    regions: dict[str, Region] = {}
    for entry in raw["regions"]:
        code = entry["code"]
        minor_digits(entry["currency"])  # fail at load on a currency ISO 4217 does not know
        kinds = entry.get("cloudEnableKinds", [kind.value for kind in AccountKind])
        regions[code] = Region(
            code=code,
            name=_country_name(code),
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


def all_regions() -> list[Region]:
    return sorted(_regions().values(), key=lambda region: region.name)


def find_region(code: str) -> Region | None:
    return _regions().get(code.strip().upper())
