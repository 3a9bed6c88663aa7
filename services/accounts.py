"""Registration, sign-in and password reset: the rules of steps 1 and 2.

Nothing here tells a caller whether an email already holds an account: the answers,
and the time they take, are the same either way.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.accounts import Account, AccountKind
from models.codes import CodePurpose
from models.outbox import Channel
from models.sessions import Session
from services import messages
from services.clock import Clock
from services.codes import Checked, Codes, Sent
from services.emails import EmailAddress, parse_email
from services.outbox import Outbox
from services.passwords import POLICY, Passwords
from services.phones import Phones
from services.problems import Problem, ProblemCode, Problems, Refused
from services.ratelimit import RateLimiter
from services.regions import find_region
from services.sessions import IssuedSession, Sessions
from services.sign_in_throttle import LoginPolicy, SignInThrottle

LOGIN = "login"


@dataclass(frozen=True)
class SignedIn:
    account: Account
    session: IssuedSession


@dataclass(frozen=True)
class Caller:
    """Who is asking, as far as the network tells."""

    client_ip: str
    user_agent: str


class Accounts:
    def __init__(
        self,
        *,
        clock: Clock,
        codes: Codes,
        sessions: Sessions[Session],
        passwords: Passwords,
        outbox: Outbox,
        limiter: RateLimiter,
        login_policy: LoginPolicy,
        phones: Phones,
        frontend_url: str,
    ) -> None:
        self.phones = phones
        self.clock = clock
        self.codes = codes
        self.sessions = sessions
        self.passwords = passwords
        self.outbox = outbox
        self.throttle = SignInThrottle(limiter, login_policy, LOGIN)
        self.frontend_url = frontend_url

    def link(self, route: str) -> str:
        return f"{self.frontend_url}/{route}"

    # Registration

    async def send_registration_code(
        self, raw_email: str, kind: AccountKind, caller: Caller
    ) -> Sent:
        email = parse_email(raw_email)
        await self.codes.allow_send(email.canonical, caller.client_ip)
        # Both branches issue a code and write one message, by the same statements: neither
        # the answer nor the time it takes tells whether the address holds an account.
        if await Account.exists(email=email.key, kind=kind):
            # The owner learns of the attempt; the caller learns nothing.
            await self.codes.issue_decoy(CodePurpose.REGISTRATION, email.key)
            message = messages.account_exists(
                kind, self.link("sign-in"), self.link("reset-password")
            )
        else:
            code = await self.codes.issue(CodePurpose.REGISTRATION, email.key, kind)
            message = messages.registration_code(code, kind)
        await self.outbox.send_email(email.display, message)
        return await self._sent(email, caller)

    async def register(
        self,
        *,
        kind: AccountKind,
        region_code: str,
        raw_email: str,
        email_code: str,
        password: str,
        caller: Caller,
    ) -> SignedIn:
        problems = Problems()
        region = find_region(region_code)
        if region is None:
            problems.add(
                ProblemCode.UNKNOWN_REGION,
                "Choose one of the countries or regions on the list.",
                "regionCode",
            )
        email, checked = await self._check_code_and_password(
            problems,
            CodePurpose.REGISTRATION,
            raw_email,
            kind,
            (email_code, "emailCode"),
            (password, "password"),
        )
        assert region is not None  # else refused above

        password_hash = await self.passwords.hash(password)
        try:
            async with in_transaction():
                await self.codes.consume(checked, "emailCode")
                account = await Account.create(
                    kind=kind,
                    email=email.key,
                    email_display=email.display,
                    region_code=region.code,
                    password_hash=password_hash,
                )
        except IntegrityError:
            raise _already_registered() from None
        session = await self.sessions.start(account, caller.client_ip, caller.user_agent)
        return SignedIn(account, session)

    # Sign-in

    async def login(
        self, raw_email: str, password: str, kind: AccountKind, caller: Caller
    ) -> SignedIn:
        try:
            email: EmailAddress | None = parse_email(raw_email)
        except Refused:
            email = None  # still counted, under the form it was typed in

        async def verify() -> Account | None:
            account = await Account.get_or_none(email=email.key, kind=kind) if email else None
            # Overlong passwords are never hashed, whoever they are for.
            verified = len(password) <= POLICY.max_length and await self.passwords.verify(
                account.password_hash if account else None, password
            )
            return account if verified else None

        account = await self.throttle.check(
            email.key if email else raw_email.strip().casefold(),
            caller.client_ip,
            verify,
            Refused.because(
                ProblemCode.INVALID_CREDENTIALS, "The email address or password is not right."
            ),
        )
        if self.passwords.needs_rehash(account.password_hash):
            account.password_hash = await self.passwords.hash(password)
            await account.save(update_fields=["password_hash"])
        session = await self.sessions.start(account, caller.client_ip, caller.user_agent)
        return SignedIn(account, session)

    # Password reset

    async def request_password_reset(
        self, raw_email: str, kind: AccountKind, caller: Caller, *, by_security_phone: bool
    ) -> Sent:
        email = parse_email(raw_email)
        await self.codes.allow_send(email.canonical, caller.client_ip)
        account = await Account.get_or_none(email=email.key, kind=kind)
        # Every branch issues a code and writes one message row (a decoy for nobody), by the
        # same statements: neither the answer nor its time tells whether the account exists.
        if by_security_phone:
            await self.phones.send_reset_code(account, email.key, caller.client_ip)
        elif account is not None:
            code = await self.codes.issue(CodePurpose.PASSWORD_RESET, email.key, kind)
            await self.outbox.send_email(
                account.email_display, messages.password_reset_code(code, kind)
            )
        else:
            await self.codes.issue_decoy(CodePurpose.PASSWORD_RESET, email.key)
            await self.outbox.write_decoy(Channel.EMAIL)
        return await self._sent(email, caller)

    async def reset_password(
        self, raw_email: str, kind: AccountKind, code: str, new_password: str
    ) -> None:
        email, checked = await self._check_code_and_password(
            Problems(),
            CodePurpose.PASSWORD_RESET,
            raw_email,
            kind,
            (code, "code"),
            (new_password, "newPassword"),
        )

        password_hash = await self.passwords.hash(new_password)
        async with in_transaction():
            await self.codes.consume(checked, "code")
            account = await Account.get(email=email.key, kind=kind)
            account.password_hash = password_hash
            account.password_changed_at = self.clock.now()
            await account.save(update_fields=["password_hash", "password_changed_at"])
        await self.sessions.revoke_all(account.id)
        await self.throttle.forget(email.key)
        await self.outbox.send_email(
            account.email_display, messages.password_changed(kind, self.link("reset-password"))
        )

    async def find(self, raw_email: str, kind: AccountKind) -> Account | None:
        """The account of that email and kind, for operators' tools; None when there is none."""
        try:
            email = parse_email(raw_email)
        except Refused:
            return None
        return await Account.get_or_none(email=email.key, kind=kind)

    async def _check_code_and_password(
        self,
        problems: Problems,
        purpose: CodePurpose,
        raw_email: str,
        kind: AccountKind,
        code: tuple[str, str],
        password: tuple[str, str],
    ) -> tuple[EmailAddress, Checked]:
        """The address and its passed code; refused with every problem of the form at once
        (those already in `problems` too). The code is tried only on an otherwise acceptable
        form, so fixing a password never costs a try. `code` and `password` are (value,
        field) pairs."""
        with problems.collecting():
            _check_password_policy(*password)
        passed: tuple[EmailAddress, Checked] | None = None
        with problems.collecting():
            email = parse_email(raw_email)
            # A form refused for its password does not spend one of the code's tries.
            if not problems.found:
                passed = email, await self.codes.check(purpose, email.key, kind, *code)
        problems.refuse_if_any()
        assert passed is not None  # else refused above
        return passed

    async def _sent(self, email: EmailAddress, caller: Caller) -> Sent:
        return Sent(
            expires_at=self.codes.expires_at(),
            resend_available_at=await self.codes.resend_available_at(
                email.canonical, caller.client_ip
            ),
        )


def _check_password_policy(password: str, field: str) -> None:
    if broken := POLICY.problems(password):
        raise Refused(Problem(ProblemCode.PASSWORD_POLICY, " ".join(broken), field))


def _already_registered() -> Refused:
    return Refused.because(
        ProblemCode.ALREADY_COMPLETED,
        "An account of this kind is already registered with this email. Sign in instead.",
        "email",
    )
