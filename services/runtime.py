"""Every service of one running app, wired together once in its lifespan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from gateways.port import PaymentGateway
from models.sessions import Session
from models.staff import StaffSession
from services.accounts import Accounts
from services.billing import Billing
from services.cards import CardBinding
from services.cards.rules import BindingRules
from services.clock import Clock
from services.codes import CodeLimits, Codes
from services.i18n.locales import Languages
from services.keys import KeyRing
from services.metrics import Metrics
from services.onboarding import Onboarding
from services.outbox import EmailSender, Outbox, SmsSender
from services.passwords import Passwords
from services.phones import Phones, SmsLimits
from services.pubsub import PubSub
from services.ratelimit import RateLimiter
from services.read_cache import DEFAULT_TTL, ReadCache
from services.sessions import CUSTOMER_SESSIONS, STAFF_SESSIONS, Sessions
from services.sign_in_throttle import LoginPolicy, SignInThrottle
from services.staff.accounts import StaffAccounts
from services.staff.audit import Audit
from services.staff.members import STAFF_LOGIN, StaffMembers
from services.tickets import Tickets


@dataclass(frozen=True)
class Services:
    clock: Clock
    keys: KeyRing
    languages: Languages
    limiter: RateLimiter
    passwords: Passwords
    codes: Codes
    sessions: Sessions[Session]
    outbox: Outbox
    phones: Phones
    accounts: Accounts
    onboarding: Onboarding
    pubsub: PubSub
    read_cache: ReadCache
    gateway: PaymentGateway
    cards: CardBinding
    tickets: Tickets
    billing: Billing
    audit: Audit
    staff: StaffMembers
    staff_sessions: Sessions[StaffSession]
    staff_accounts: StaffAccounts
    metrics: Metrics


def build_services(
    *,
    clock: Clock,
    keys: KeyRing,
    limiter: RateLimiter,
    code_limits: CodeLimits,
    login_policy: LoginPolicy,
    sms_limits: SmsLimits,
    email_sender: EmailSender | None,
    sms_sender: SmsSender | None,
    redact_delivered: bool,
    frontend_url: str,
    pubsub: PubSub,
    gateway: PaymentGateway,
    binding_rules: BindingRules,
    staff_totp_required: bool,
    metrics: Metrics,
    read_cache_ttl: timedelta = DEFAULT_TTL,
    languages: Languages | None = None,
) -> Services:
    languages = languages or Languages.configured(pseudo=False)
    passwords = Passwords()
    codes = Codes(keys, clock, limiter, code_limits)
    read_cache = ReadCache(clock, pubsub, ttl=read_cache_ttl)
    sessions = Sessions(keys, clock, pubsub, CUSTOMER_SESSIONS, read_cache)
    staff_sessions = Sessions(keys, clock, pubsub, STAFF_SESSIONS)
    audit = Audit(clock)
    outbox = Outbox(clock, email_sender, sms_sender, redact_delivered, metrics)
    onboarding = Onboarding.build(
        clock=clock, outbox=outbox, frontend_url=frontend_url, cache=read_cache
    )
    # Every service that completes an onboarding step tells onboarding the same way.
    after_step = onboarding.after_step
    phones = Phones(
        clock=clock,
        codes=codes,
        outbox=outbox,
        passwords=passwords,
        sessions=sessions,
        sms_limits=sms_limits,
        frontend_url=frontend_url,
        after_step=after_step,
    )
    accounts = Accounts(
        clock=clock,
        codes=codes,
        sessions=sessions,
        passwords=passwords,
        outbox=outbox,
        limiter=limiter,
        login_policy=login_policy,
        phones=phones,
        frontend_url=frontend_url,
        languages=languages,
    )
    cards = CardBinding(
        clock=clock,
        gateway=gateway,
        pubsub=pubsub,
        outbox=outbox,
        rules=binding_rules,
        after_step=after_step,
        audit=audit,
        metrics=metrics,
    )
    return Services(
        clock=clock,
        keys=keys,
        languages=languages,
        limiter=limiter,
        passwords=passwords,
        codes=codes,
        sessions=sessions,
        outbox=outbox,
        phones=phones,
        accounts=accounts,
        onboarding=onboarding,
        pubsub=pubsub,
        read_cache=read_cache,
        gateway=gateway,
        cards=cards,
        tickets=Tickets(clock, outbox, audit, frontend_url),
        billing=Billing(
            clock=clock,
            gateway=gateway,
            outbox=outbox,
            frontend_url=frontend_url,
            pubsub=pubsub,
            read_cache=read_cache,
            allowed_origins=binding_rules.allowed_origins,
            action_timeout=binding_rules.action_timeout,
            audit=audit,
            metrics=metrics,
        ),
        metrics=metrics,
        audit=audit,
        staff=StaffMembers(
            clock=clock,
            keys=keys,
            passwords=passwords,
            sessions=staff_sessions,
            # The same rules as customers' sign-ins, counted apart from them.
            throttle=SignInThrottle(limiter, login_policy, STAFF_LOGIN),
            audit=audit,
            totp_required=staff_totp_required,
        ),
        staff_sessions=staff_sessions,
        staff_accounts=StaffAccounts(audit),
    )
