"""Staff members: enrolment with a one-time setup code and a TOTP second factor, sign-in,
and what an admin does to them (create, disable, reset a lost second factor).

The setup code and the TOTP secret are shown once, to whoever enrols the member (the
command line prints both, the API answers them to the admin who asked); the code is kept
only as an HMAC, the secret only sealed under its own derived key.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.staff import StaffMember, StaffRole, StaffSession
from services.accounts import Caller
from services.clock import Clock
from services.emails import EmailAddress, parse_email
from services.keys import KeyRing, Purpose
from services.passwords import POLICY, Passwords
from services.problems import Problem, ProblemCode, Problems, Refused
from services.sessions import IssuedSession, Sessions
from services.sign_in_throttle import SignInThrottle
from services.staff import totp
from services.staff.audit import Actor, Audit

STAFF_LOGIN = "staff-login"
SETUP_CODE_TTL = timedelta(hours=72)


@dataclass(frozen=True)
class Enrolment:
    """What the person enrolling a member hands over: shown once, never stored in clear."""

    member: StaffMember
    otpauth_url: str
    setup_code: str | None


@dataclass(frozen=True)
class StaffSignedIn:
    member: StaffMember
    session: IssuedSession


def _normalised_code(raw: str) -> str:
    return "".join(ch for ch in raw.upper() if ch.isalnum())


def _new_setup_code() -> str:
    """100 random bits as 20 base32 characters in groups of five, easy to read out."""
    raw = base64.b32encode(secrets.token_bytes(15)).decode()[:20]
    return "-".join(raw[i : i + 5] for i in range(0, 20, 5))


class StaffMembers:
    def __init__(
        self,
        *,
        clock: Clock,
        keys: KeyRing,
        passwords: Passwords,
        sessions: Sessions[StaffSession],
        throttle: SignInThrottle,
        audit: Audit,
        totp_required: bool,
    ) -> None:
        self.clock = clock
        self.keys = keys
        self.passwords = passwords
        self.sessions = sessions
        self.throttle = throttle
        self.audit = audit
        self.totp_required = totp_required

    # What an admin does

    async def create(self, raw_email: str, role: StaffRole, actor: Actor) -> Enrolment:
        email = parse_email(raw_email)
        member_id = uuid.uuid4()
        secret = totp.new_secret()
        code = _new_setup_code()
        try:
            async with in_transaction():
                member = await StaffMember.create(
                    id=member_id,
                    email=email.key,
                    email_display=email.display,
                    role=role,
                    setup_code_mac=self._code_mac(code),
                    setup_code_expires_at=self.clock.now() + SETUP_CODE_TTL,
                    totp_secret_sealed=self._seal(member_id, secret),
                    created_at=self.clock.now(),
                )
                await self.audit.record(
                    actor,
                    "staff.create",
                    subject=email.key,
                    after={"email": email.key, "role": role.value},
                )
        except IntegrityError:
            raise Refused.because(
                ProblemCode.ALREADY_COMPLETED, "A staff member has this email already.", "email"
            ) from None
        return Enrolment(member, totp.provisioning_url(secret, email.key), code)

    async def disable(self, member: StaffMember, actor: Actor) -> StaffMember:
        if member.id == actor.staff_id:
            raise Refused.because(
                ProblemCode.INVALID_INPUT,
                "Ask another admin to disable your own access.",
                "staffId",
            )
        async with in_transaction():
            disabled = await StaffMember.filter(id=member.id, disabled_at=None).update(
                disabled_at=self.clock.now()
            )
            if not disabled:
                raise Refused.because(
                    ProblemCode.WRONG_STATUS, "This staff member is disabled already.", "staffId"
                )
            await self.audit.record(
                actor,
                "staff.disable",
                subject=member.email,
                before={"disabled": False},
                after={"disabled": True},
            )
        await self.sessions.revoke_all(member.id)
        return await StaffMember.get(id=member.id)

    async def reset_second_factor(self, member: StaffMember, actor: Actor) -> Enrolment:
        """A new TOTP secret: the old one stops working at once, and so do the sessions."""
        secret = totp.new_secret()
        async with in_transaction():
            await StaffMember.filter(id=member.id).update(
                totp_secret_sealed=self._seal(member.id, secret), totp_last_step=None
            )
            # The secret is left out of the trail: that it changed is what is recorded.
            await self.audit.record(
                actor, "staff.reset-second-factor", subject=member.email, after={"reset": True}
            )
        await self.sessions.revoke_all(member.id)
        return Enrolment(member, totp.provisioning_url(secret, member.email), None)

    # What the member does

    async def set_password(
        self, raw_email: str, setup_code: str, password: str, totp_code: str | None, caller: Caller
    ) -> StaffMember:
        problems = Problems()
        if broken := POLICY.problems(password):
            problems.add(ProblemCode.PASSWORD_POLICY, " ".join(broken), "password")
        with problems.collecting():
            self._check_code_given(totp_code)
        with problems.collecting():
            email = parse_email(raw_email)
        problems.refuse_if_any()
        member = await StaffMember.get_or_none(email=email.key, disabled_at=None)
        mac = self._code_mac(_normalised_code(setup_code))
        if member is None or member.setup_code_mac is None or member.setup_code_mac != mac:
            raise Refused.because(
                ProblemCode.CODE_INVALID, "This setup code is not right.", "setupCode"
            )
        if member.setup_code_expires_at and member.setup_code_expires_at <= self.clock.now():
            raise Refused.because(
                ProblemCode.CODE_EXPIRED,
                "This setup code has expired: ask an admin for a new second factor and code.",
                "setupCode",
            )
        if not await self._second_factor_passes(member, totp_code):
            raise Refused.because(ProblemCode.CODE_INVALID, "This code is not right.", "totpCode")
        password_hash = await self.passwords.hash(password)
        async with in_transaction():
            used = await StaffMember.filter(id=member.id, setup_code_mac=mac).update(
                password_hash=password_hash,
                password_set_at=self.clock.now(),
                setup_code_mac=None,
                setup_code_expires_at=None,
            )
            if not used:
                raise Refused.because(
                    ProblemCode.CODE_INVALID, "This setup code is not right.", "setupCode"
                )
            await self.audit.record(
                Actor.staff(member, caller.client_ip),
                "staff.set-password",
                subject=member.email,
                after={"passwordSet": True},
            )
        await self.throttle.forget(member.email)
        return await StaffMember.get(id=member.id)

    async def sign_in(
        self, raw_email: str, password: str, totp_code: str | None, caller: Caller
    ) -> StaffSignedIn:
        self._check_code_given(totp_code)
        try:
            email: EmailAddress | None = parse_email(raw_email)
        except Refused:
            email = None  # still counted, under the form it was typed in

        async def verify() -> StaffMember | None:
            member = (
                await StaffMember.get_or_none(email=email.key, disabled_at=None) if email else None
            )
            verified = len(password) <= POLICY.max_length and await self.passwords.verify(
                member.password_hash if member else None, password
            )
            if member is None or not verified:
                return None
            return member if await self._second_factor_passes(member, totp_code) else None

        member = await self.throttle.check(
            email.key if email else raw_email.strip().casefold(),
            caller.client_ip,
            verify,
            Refused.because(
                ProblemCode.INVALID_CREDENTIALS,
                "The email address, password or code is not right.",
            ),
        )
        async with in_transaction():
            session = await self.sessions.start(member, caller.client_ip, caller.user_agent)
            await self.audit.record(
                Actor.staff(member, caller.client_ip), "staff.sign-in", subject=member.email
            )
        return StaffSignedIn(member, session)

    async def sign_out(self, session: StaffSession, token: str, client_ip: str) -> None:
        async with in_transaction():
            await self.audit.record(
                Actor.staff(session.staff, client_ip), "staff.sign-out", subject=session.staff.email
            )
            await self.sessions.revoke(token)

    # Reading

    async def find(self, raw_email: str) -> StaffMember | None:
        try:
            email = parse_email(raw_email)
        except Refused:
            return None
        return await StaffMember.get_or_none(email=email.key)

    async def get(self, member_id: uuid.UUID | None) -> StaffMember | None:
        return await StaffMember.get_or_none(id=member_id) if member_id else None

    async def all(self) -> list[StaffMember]:
        return await StaffMember.all().order_by("email")

    # The second factor

    def _check_code_given(self, totp_code: str | None) -> None:
        if self.totp_required and not totp_code:
            raise Refused(
                Problem(
                    ProblemCode.INVALID_INPUT,
                    "Enter the six-digit code from your authenticator app.",
                    "totpCode",
                )
            )

    async def _second_factor_passes(self, member: StaffMember, code: str | None) -> bool:
        """The code fits a step later than the last one used, and that step is now taken.

        Without a code (allowed only in development) there is nothing to check.
        """
        if not code:
            return not self.totp_required
        secret = self.keys.unseal(Purpose.STAFF_TOTP, member.totp_secret_sealed, str(member.id))
        step = totp.matching_step(secret, code.strip(), self.clock.now())
        if step is None:
            return False
        # One conditional UPDATE: of two sign-ins with one code, one takes the step.
        taken = await StaffMember.filter(
            Q(totp_last_step=None) | Q(totp_last_step__lt=step), id=member.id
        ).update(totp_last_step=step)
        return bool(taken)

    def _seal(self, member_id: uuid.UUID, secret: str) -> str:
        return self.keys.seal(Purpose.STAFF_TOTP, secret, str(member_id))

    def _code_mac(self, code: str) -> str:
        return self.keys.mac(Purpose.STAFF_SETUP_CODES, _normalised_code(code))
