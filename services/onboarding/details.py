"""Step 5.2: checking an account's individual or enterprise details and storing them.

The forms here are what a person filled in, as the services see them; every problem of a
form is reported at once, under the dotted path of its GraphQL input field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from stdnum import get_cc_module
from stdnum.exceptions import ValidationError

from models.accounts import Account
from models.onboarding import AccountDetails, DetailsType
from services.clock import Clock
from services.i18n.text import Renderable, tr, trn
from services.onboarding.progress import card_bound_at
from services.problems import ProblemCode, Problems, Refused
from services.steps import AfterStep


@dataclass(frozen=True)
class PostalAddress:
    line1: str
    city: str
    postal_code: str
    line2: str | None = None
    state: str | None = None


@dataclass(frozen=True)
class IndividualDetailsForm:
    full_name: str
    address: PostalAddress | None = None


@dataclass(frozen=True)
class EnterpriseDetailsForm:
    company_name: str
    registration_number: str
    registered_address: PostalAddress
    contact_name: str
    tax_id: str | None = None


DetailsForm = IndividualDetailsForm | EnterpriseDetailsForm

# Letters, digits and - / . with single spaces between them, e.g. "HRB 12345 B".
REGISTRATION_NUMBER = re.compile(r"^(?=.{3,64}$)[A-Za-z0-9./-]+(?: [A-Za-z0-9./-]+)*$")

# Switching between individual and enterprise clears whatever the other kind had stored.
_DETAIL_COLUMNS = (
    "full_name",
    "company_name",
    "registration_number",
    "tax_id",
    "contact_name",
    "address_line1",
    "address_line2",
    "address_city",
    "address_state",
    "address_postal_code",
)


class _Fields:
    """Collects trimmed values and every problem found in them."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.problems = Problems()

    def text(self, name: str, value: str | None, limit: int, *, required: bool) -> str | None:
        trimmed = (value or "").strip()
        if not trimmed:
            if required:
                self.add(name, tr("Fill this in."))
            return None
        if len(trimmed) > limit:
            self.add(
                name,
                trn("Use at most {count} character.", "Use at most {count} characters.", limit),
            )
        return trimmed

    def add(self, name: str, message: Renderable) -> None:
        self.problems.add(ProblemCode.INVALID_INPUT, message, f"{self.prefix}.{name}")


def _address(fields: _Fields, name: str, address: PostalAddress) -> dict[str, str | None]:
    return {
        "address_line1": fields.text(f"{name}.line1", address.line1, 200, required=True),
        "address_line2": fields.text(f"{name}.line2", address.line2, 200, required=False),
        "address_city": fields.text(f"{name}.city", address.city, 100, required=True),
        "address_state": fields.text(f"{name}.state", address.state, 100, required=False),
        "address_postal_code": fields.text(
            f"{name}.postalCode", address.postal_code, 20, required=True
        ),
    }


def _tax_id(fields: _Fields, region_code: str, tax_id: str | None) -> str | None:
    value = fields.text("taxId", tax_id, 64, required=False)
    if value is None:
        return None
    vat = get_cc_module(region_code.lower(), "vat")
    if vat is None:
        return value  # no maintained check knows this region's format
    try:
        vat.validate(value)
    except ValidationError:
        fields.add("taxId", tr("This is not a valid tax number for the account's country."))
    return value


def validate_details(account: Account, details: DetailsForm) -> dict[str, Any]:
    """The columns to store, or refused with every problem of the form at once."""
    if isinstance(details, IndividualDetailsForm):
        fields = _Fields("individual")
        values: dict[str, Any] = {
            "type": DetailsType.INDIVIDUAL,
            "full_name": fields.text("fullName", details.full_name, 100, required=True),
            **(_address(fields, "address", details.address) if details.address else {}),
        }
    else:
        fields = _Fields("enterprise")
        registration = fields.text(
            "registrationNumber", details.registration_number, 64, required=True
        )
        if registration and not REGISTRATION_NUMBER.match(registration):
            fields.add(
                "registrationNumber",
                tr("Use 3 to 64 letters, digits, single spaces and the characters - / . only."),
            )
        values = {
            "type": DetailsType.ENTERPRISE,
            "company_name": fields.text("companyName", details.company_name, 200, required=True),
            "registration_number": registration,
            "tax_id": _tax_id(fields, account.region_code, details.tax_id),
            "contact_name": fields.text("contactName", details.contact_name, 100, required=True),
            **_address(fields, "registeredAddress", details.registered_address),
        }
    fields.problems.refuse_if_any()
    return values


class DetailsStep:
    """Completes (or later corrects) the account's details, once cloud services are on."""

    def __init__(self, *, clock: Clock, after_step: AfterStep) -> None:
        self.clock = clock
        self.after_step = after_step

    async def complete(self, account: Account, details: DetailsForm) -> Account:
        if account.cloud_enabled_at is None:
            raise Refused.because(
                ProblemCode.PREREQUISITE_MISSING,
                tr("Enable cloud services first: account details come after that."),
            )
        values = validate_details(account, details)
        existing = await AccountDetails.get_or_none(account_id=account.id)
        now = self.clock.now()
        if existing is None:
            await AccountDetails.create(
                account_id=account.id, completed_at=now, updated_at=now, **values
            )
        else:
            if existing.type != values["type"] and await card_bound_at(account) is not None:
                raise Refused.because(
                    ProblemCode.ACCOUNT_TYPE_LOCKED,
                    tr(
                        "A card has been bound: the account can no longer switch between "
                        "individual and enterprise."
                    ),
                )
            cleared = {name: None for name in _DETAIL_COLUMNS}
            await AccountDetails.filter(id=existing.id).update(
                **{**cleared, **values}, updated_at=now
            )
        await self.after_step(account)
        return account
