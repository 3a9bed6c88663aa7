"""Step 5.2: the account's individual or enterprise details, given as one of two inputs."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from resolvers.account import AccountPayload
from resolvers.errors import payload_mutation
from resolvers.session import require_account
from services.onboarding.details import (
    DetailsForm,
    EnterpriseDetailsForm,
    IndividualDetailsForm,
    PostalAddress,
)


@strawberry.input
class AddressInput:
    line1: str
    line2: str | None = None
    city: str
    state: str | None = None
    postal_code: str

    def value(self) -> PostalAddress:
        return PostalAddress(
            line1=self.line1,
            line2=self.line2,
            city=self.city,
            state=self.state,
            postal_code=self.postal_code,
        )


@strawberry.input
class IndividualDetailsInput:
    full_name: str
    address: AddressInput | None = None


@strawberry.input
class EnterpriseDetailsInput:
    company_name: str
    registration_number: str
    tax_id: str | None = None
    registered_address: AddressInput
    contact_name: str


@strawberry.input(one_of=True)
class AccountDetailsInput:
    individual: IndividualDetailsInput | None = strawberry.UNSET
    enterprise: EnterpriseDetailsInput | None = strawberry.UNSET


@strawberry.type
class DetailsMutation:
    @payload_mutation()
    async def complete_account_details(
        self, info: Info, input: AccountDetailsInput
    ) -> AccountPayload:
        account = await require_account(info)
        if input.individual:
            details: DetailsForm = IndividualDetailsForm(
                full_name=input.individual.full_name,
                address=input.individual.address.value() if input.individual.address else None,
            )
        else:
            enterprise = input.enterprise
            assert enterprise  # @oneOf: exactly one of the two is given
            details = EnterpriseDetailsForm(
                company_name=enterprise.company_name,
                registration_number=enterprise.registration_number,
                tax_id=enterprise.tax_id,
                registered_address=enterprise.registered_address.value(),
                contact_name=enterprise.contact_name,
            )
        outcome = await info.context.services.onboarding.details.complete(account, details)
        info.context.loaders.forget_account(account.id)
        return AccountPayload.of(outcome)
