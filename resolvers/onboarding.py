"""Steps 3 to 5.2: security phone, enabling cloud services, mobile number, account details."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.types import Info

from models.accounts import Account
from models.codes import CodePurpose
from resolvers.account import AccountMessageType, AccountType
from resolvers.errors import UserError, payload_mutation
from resolvers.nodes import decode_id
from resolvers.registration import SendCodePayload
from resolvers.session import require_account, require_session
from services.onboarding.details import (
    DetailsForm,
    EnterpriseDetailsForm,
    IndividualDetailsForm,
    PostalAddress,
)


@strawberry.type
class AccountPayload:
    account: AccountType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)

    @classmethod
    def of(cls, account: Account) -> AccountPayload:
        return cls(account=AccountType.from_model(account))


@strawberry.type
class MarkMessagesReadPayload:
    messages: list[AccountMessageType] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.enum
class PhoneCodePurpose(Enum):
    SECURITY_PHONE = "SECURITY_PHONE"
    MOBILE_NUMBER = "MOBILE_NUMBER"


@strawberry.input
class SendPhoneCodeInput:
    purpose: PhoneCodePurpose
    region_code: str = strawberry.field(description="ISO 3166-1 alpha-2 of the number's country.")
    phone_number: str = strawberry.field(description="National or E.164 form.")


@strawberry.input
class VerifyPhoneInput:
    region_code: str
    phone_number: str
    code: str
    current_password: str | None = strawberry.field(
        default=None, description="Required to replace a security phone that is already set."
    )


@strawberry.input
class EnableCloudServicesInput:
    accepted_agreement_ids: list[strawberry.ID] = strawberry.field(
        description="IDs of every Agreement that `agreements` lists."
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


@strawberry.input
class MarkMessagesReadInput:
    message_ids: list[strawberry.ID]


@strawberry.type
class OnboardingMutation:
    @payload_mutation()
    async def send_phone_code(self, info: Info, input: SendPhoneCodeInput) -> SendCodePayload:
        account = await require_account(info)
        outcome = await info.context.services.phones.send_code(
            account,
            CodePurpose(input.purpose.value),
            input.region_code,
            input.phone_number,
            info.context.client_ip,
        )
        return SendCodePayload.of(outcome)

    @payload_mutation()
    async def set_security_phone(self, info: Info, input: VerifyPhoneInput) -> AccountPayload:
        session = await require_session(info)
        outcome = await info.context.services.phones.set_security_phone(
            session.account,
            region_code=input.region_code,
            raw=input.phone_number,
            code=input.code,
            current_password=input.current_password,
            session_id=session.id,
        )
        info.context.loaders.forget_account(session.account_id)
        return AccountPayload.of(outcome)

    @payload_mutation()
    async def skip_security_phone(self, info: Info) -> AccountPayload:
        account = await require_account(info)
        outcome = await info.context.services.phones.skip_security_phone(account)
        info.context.loaders.forget_account(account.id)
        return AccountPayload.of(outcome)

    @payload_mutation(
        description="Needs no security phone: a security phone still PENDING becomes SKIPPED."
    )
    async def enable_cloud_services(
        self, info: Info, input: EnableCloudServicesInput
    ) -> AccountPayload:
        account = await require_account(info)
        accepted = [decode_id(value, "Agreement") for value in input.accepted_agreement_ids]
        outcome = await info.context.services.onboarding.cloud.enable(
            account, accepted, info.context.caller
        )
        info.context.loaders.forget_account(account.id)
        return AccountPayload.of(outcome)

    @payload_mutation()
    async def associate_mobile(self, info: Info, input: VerifyPhoneInput) -> AccountPayload:
        account = await require_account(info)
        outcome = await info.context.services.phones.associate_mobile(
            account, region_code=input.region_code, raw=input.phone_number, code=input.code
        )
        info.context.loaders.forget_account(account.id)
        return AccountPayload.of(outcome)

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

    @payload_mutation()
    async def mark_messages_read(
        self, info: Info, input: MarkMessagesReadInput
    ) -> MarkMessagesReadPayload:
        account = await require_account(info)
        wanted = [decode_id(value, "AccountMessage") for value in input.message_ids]
        read = await info.context.services.onboarding.messages.mark_read(account, wanted)
        info.context.loaders.forget_messages(wanted)
        return MarkMessagesReadPayload(messages=[AccountMessageType.from_model(m) for m in read])
