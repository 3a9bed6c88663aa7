"""Languages: `locales`, the `Locale` type and `setLocale` (`Account.locale` is a field of the
Account type, `RegisterInput.locale` of registration)."""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.types import Info

from resolvers.account import AccountPayload
from resolvers.errors import payload_mutation
from resolvers.session import require_account
from services.i18n.locales import is_right_to_left, native_name


@strawberry.enum
class TextDirection(Enum):
    LTR = "LTR"
    RTL = "RTL"


@strawberry.type(name="Locale")
class LocaleType:
    code: str = strawberry.field(description="BCP 47 tag, e.g. de or zh-Hans.")
    name: str = strawberry.field(description="The language's own name for itself, e.g. Deutsch.")
    direction: TextDirection = strawberry.field(
        description="How the language is written: RTL for Arabic, else LTR."
    )

    @classmethod
    def of(cls, code: str) -> LocaleType:
        return cls(
            code=code,
            name=native_name(code),
            direction=TextDirection.RTL if is_right_to_left(code) else TextDirection.LTR,
        )


@strawberry.input
class SetLocaleInput:
    locale: str = strawberry.field(description="One of `locales`.")


@strawberry.type
class LanguagesQuery:
    @strawberry.field(
        description=(
            "The languages Onramp speaks; every text it returns or sends (region names, "
            "agreement titles and texts where translated, UserError messages, Results, "
            "messages, emails, SMS) follows the account's locale, or the request's "
            "Accept-Language when signed out."
        )
    )
    def locales(self, info: Info) -> list[LocaleType]:
        return [LocaleType.of(code) for code in info.context.services.languages.codes]


@strawberry.type
class LanguagesMutation:
    @payload_mutation(
        description=(
            "The language of the account's emails, SMS, messages and Results from now on, "
            "and of this answer."
        )
    )
    async def set_locale(self, info: Info, input: SetLocaleInput) -> AccountPayload:
        account = await require_account(info)
        changed = await info.context.services.accounts.set_locale(account, input.locale)
        info.context.speak(changed.locale)
        return AccountPayload.of(changed)
