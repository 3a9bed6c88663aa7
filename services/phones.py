"""Phone numbers (parsed by phonenumbers), their codes by SMS, and steps 3 and 5.1."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from models.accounts import Account
from models.codes import CodePurpose
from models.outbox import Channel
from models.sessions import Session
from services import messages
from services.clock import Clock
from services.codes import Codes, Sent
from services.outbox import Outbox
from services.passwords import POLICY, Passwords
from services.problems import ProblemCode, Refused
from services.ratelimit import Rule
from services.sessions import Sessions
from services.steps import AfterStep

MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
PURPOSE_TEXT = {
    CodePurpose.SECURITY_PHONE: "set your security phone",
    CodePurpose.MOBILE_NUMBER: "add your mobile number",
}


@dataclass(frozen=True)
class SmsLimits:
    per_account: Rule
    per_country: Rule
    overall: Rule


@dataclass(frozen=True)
class PhoneNumber:
    e164: str
    region_code: str


def parse_phone(region_code: str, raw: str) -> PhoneNumber:
    """A valid mobile number of the region (national or E.164 form), in E.164."""
    region = region_code.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise Refused.because(
            ProblemCode.UNKNOWN_REGION, "Choose the number's country.", "regionCode"
        )
    invalid = Refused.because(
        ProblemCode.INVALID_PHONE, "Enter a valid mobile number.", "phoneNumber"
    )
    try:
        number = phonenumbers.parse(raw.strip()[:32], region)
    except NumberParseException:
        raise invalid from None
    if not phonenumbers.is_valid_number(number):
        raise invalid
    if phonenumbers.number_type(number) not in MOBILE_TYPES:
        raise Refused.because(
            ProblemCode.INVALID_PHONE,
            "This is not a mobile number: text messages cannot reach it.",
            "phoneNumber",
        )
    return PhoneNumber(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        region_code=phonenumbers.region_code_for_number(number) or region,
    )


def mask(e164: str) -> str:
    """E.g. +49 151 ****6789: the calling code, a few leading digits, the last four."""
    number = phonenumbers.parse(e164)
    national = phonenumbers.national_significant_number(number)
    shown = 3 if len(national) >= 9 else max(len(national) - 6, 0)
    lead = f" {national[:shown]}" if shown else ""
    return f"+{number.country_code}{lead} ****{national[-4:]}"


class Phones:
    def __init__(
        self,
        *,
        clock: Clock,
        codes: Codes,
        outbox: Outbox,
        passwords: Passwords,
        sessions: Sessions[Session],
        sms_limits: SmsLimits,
        frontend_url: str,
        after_step: AfterStep,
    ) -> None:
        self.after_step = after_step
        self.clock = clock
        self.codes = codes
        self.outbox = outbox
        self.passwords = passwords
        self.sessions = sessions
        self.sms_limits = sms_limits
        self.frontend_url = frontend_url

    async def allow_sms(self, account: Account, phone: PhoneNumber, client_ip: str) -> None:
        """The caps of every code, plus the SMS budgets: per account, per country, overall."""
        await self.codes.allow_send(
            phone.e164,
            client_ip,
            (self.sms_limits.per_account, str(account.id)),
            (self.sms_limits.per_country, phone.region_code),
            (self.sms_limits.overall, "all"),
        )

    async def send_code(
        self, account: Account, purpose: CodePurpose, region_code: str, raw: str, client_ip: str
    ) -> Sent:
        if purpose is CodePurpose.MOBILE_NUMBER and account.cloud_enabled_at is None:
            raise _cloud_first()
        phone = parse_phone(region_code, raw)
        await self.allow_sms(account, phone, client_ip)
        code = await self.codes.issue(purpose, phone.e164, str(account.id))
        await self.outbox.send_sms(phone.e164, messages.phone_code(code, PURPOSE_TEXT[purpose]))
        return Sent(
            expires_at=self.codes.expires_at(),
            resend_available_at=await self.codes.resend_available_at(phone.e164, client_ip),
        )

    async def _verify(
        self, account: Account, purpose: CodePurpose, region_code: str, raw: str, code: str
    ) -> PhoneNumber:
        phone = parse_phone(region_code, raw)
        checked = await self.codes.check(purpose, phone.e164, str(account.id), code, "code")
        await self.codes.consume(checked, "code")
        return phone

    async def set_security_phone(
        self,
        account: Account,
        *,
        region_code: str,
        raw: str,
        code: str,
        current_password: str | None,
        session_id: UUID | None,
    ) -> Account:
        replacing = account.security_phone_e164 is not None
        if replacing:
            await self._check_password(account, current_password)
        phone = await self._verify(account, CodePurpose.SECURITY_PHONE, region_code, raw, code)
        account.security_phone_e164 = phone.e164
        account.security_phone_region = phone.region_code
        account.security_phone_verified_at = self.clock.now()
        account.security_phone_skipped_at = None
        await account.save(
            update_fields=[
                "security_phone_e164",
                "security_phone_region",
                "security_phone_verified_at",
                "security_phone_skipped_at",
            ]
        )
        if replacing:
            await self.sessions.revoke_all(account.id, keep=session_id)
            await self.outbox.send_email(
                account.email_display,
                messages.security_phone_changed(
                    mask(phone.e164), f"{self.frontend_url}/reset-password"
                ),
            )
        return account

    async def _check_password(self, account: Account, password: str | None) -> None:
        if (
            not password
            or len(password) > POLICY.max_length
            or not await self.passwords.verify(account.password_hash, password)
        ):
            raise Refused.because(
                ProblemCode.INVALID_CREDENTIALS,
                "Enter your current password to replace your security phone.",
                "currentPassword",
            )

    async def skip_security_phone(self, account: Account) -> Account:
        if account.security_phone_e164 is not None:
            raise Refused.because(
                ProblemCode.ALREADY_COMPLETED, "Your security phone is already set."
            )
        if account.security_phone_skipped_at is None:
            account.security_phone_skipped_at = self.clock.now()
            await account.save(update_fields=["security_phone_skipped_at"])
        return account

    async def associate_mobile(
        self, account: Account, *, region_code: str, raw: str, code: str
    ) -> Account:
        if account.cloud_enabled_at is None:
            raise _cloud_first()
        phone = await self._verify(account, CodePurpose.MOBILE_NUMBER, region_code, raw, code)
        account.mobile_e164 = phone.e164
        account.mobile_region = phone.region_code
        account.mobile_verified_at = self.clock.now()
        await account.save(update_fields=["mobile_e164", "mobile_region", "mobile_verified_at"])
        await self.after_step(account)
        return account

    async def send_reset_code(
        self, account: Account | None, email_key: str, client_ip: str
    ) -> None:
        """Texts a password-reset code to the security phone, within the SMS budgets.

        With nothing to text (no account, no security phone, a budget spent) it does the same
        work for a decoy and says nothing: the caller's answer, and its time, must not change.
        """
        phone = _security_phone(account)
        try:
            if account is not None and phone is not None:
                await self.allow_sms(account, phone, client_ip)
            else:
                await self._allow_decoy_sms(email_key, client_ip)
        except Refused:
            phone = None
        if account is not None and phone is not None:
            code = await self.codes.issue(CodePurpose.PASSWORD_RESET, email_key, account.kind)
            await self.outbox.send_sms(phone.e164, messages.password_reset_sms(code))
        else:
            await self.codes.issue_decoy(CodePurpose.PASSWORD_RESET, email_key)
            await self.outbox.write_decoy(Channel.SMS)

    async def _allow_decoy_sms(self, email_key: str, client_ip: str) -> None:
        """The counts of `allow_sms`, on keys of their own but the caller's IP: a reset by
        phone costs the IP the same whether or not there is a phone to text."""
        decoy = f"decoy:{email_key}"
        await self.codes.allow_send(
            decoy,
            client_ip,
            (self.sms_limits.per_account, decoy),
            (self.sms_limits.per_country, "decoy"),
            (self.sms_limits.overall, "decoy"),
        )


def _security_phone(account: Account | None) -> PhoneNumber | None:
    if account is None or account.security_phone_e164 is None:
        return None
    if account.security_phone_region is None:
        return None
    return PhoneNumber(account.security_phone_e164, account.security_phone_region)


def _cloud_first() -> Refused:
    return Refused.because(
        ProblemCode.PREREQUISITE_MISSING,
        "Enable cloud services first: a mobile number is added after that.",
    )
