"""The texts of every email and SMS, unrendered: the outbox writes them in the language of
the account they go to (or, before there is an account, of the request that asked).

Emails are plain text, paragraphs apart; a verification code stands alone on its own line.
Each paragraph is one catalogue message, so a translator never deals with line breaks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from models.accounts import AccountKind
from models.codes import CodePurpose
from services.i18n.text import DateRange, Percent, Renderable, Sentences, Text, Verbatim, tr
from services.money import Money

PRODUCT = "Onramp Cloud"
KIND_NAMES = {AccountKind.HUAWEI_ID: "HUAWEI ID", AccountKind.HUAWEI_CLOUD: "HUAWEI CLOUD"}


@dataclass(frozen=True)
class Paragraphs:
    """A plain-text body: paragraphs apart, a line break at the end."""

    parts: Sequence[Renderable]

    def render(self, locale: str) -> str:
        return "\n\n".join(part.render(locale) for part in self.parts) + "\n"


@dataclass(frozen=True)
class Lines:
    """Lines of one paragraph (a bill's table, an SMS)."""

    parts: Sequence[Renderable]

    def render(self, locale: str) -> str:
        return "\n".join(part.render(locale) for part in self.parts)


@dataclass(frozen=True)
class Message:
    kind: str
    subject: Renderable | None
    body: Renderable


def _kind(kind: AccountKind) -> str:
    return KIND_NAMES[kind]


def registration_code(code: str, kind: AccountKind) -> Message:
    return Message(
        "registration-code",
        tr("Your {product} verification code", product=PRODUCT),
        Paragraphs(
            [
                tr(
                    "Use this code to finish registering your {kind} account:",
                    kind=_kind(kind),
                ),
                Verbatim(code),
                tr("It works once, for 10 minutes. If you did not ask for it, ignore this email."),
            ]
        ),
    )


def account_exists(kind: AccountKind, sign_in_url: str, reset_url: str) -> Message:
    return Message(
        "account-exists",
        tr("You already have a {product} account", product=PRODUCT),
        Paragraphs(
            [
                tr(
                    "Someone asked to register a {kind} account with this email address, but "
                    "you already have one. Sign in instead:",
                    kind=_kind(kind),
                ),
                Verbatim(sign_in_url),
                tr("Forgot your password? Reset it here:"),
                Verbatim(reset_url),
                tr("If this was not you, you can ignore this email: nothing has changed."),
            ]
        ),
    )


def password_reset_code(code: str, kind: AccountKind) -> Message:
    return Message(
        "password-reset-code",
        tr("Reset your {product} password", product=PRODUCT),
        Paragraphs(
            [
                tr(
                    "Use this code to choose a new password for your {kind} account:",
                    kind=_kind(kind),
                ),
                Verbatim(code),
                tr(
                    "It works once, for 10 minutes. If you did not ask for it, ignore this "
                    "email: your password stays as it is."
                ),
            ]
        ),
    )


def password_changed(kind: AccountKind, reset_url: str) -> Message:
    return Message(
        "password-changed",
        tr("Your {product} password was changed", product=PRODUCT),
        Paragraphs(
            [
                tr(
                    "The password of your {kind} account was just changed, and every device "
                    "that was signed in has been signed out.",
                    kind=_kind(kind),
                ),
                tr("If this was not you, reset your password now:"),
                Verbatim(reset_url),
            ]
        ),
    )


def phone_code(code: str, purpose: CodePurpose) -> Message:
    """The SMS with a code for the security phone or the mobile number: short, so that it
    fits one segment in every language."""
    if purpose is CodePurpose.SECURITY_PHONE:
        what = tr("{product} code to set your security phone:", product=PRODUCT)
    else:
        what = tr("{product} code to add your mobile number:", product=PRODUCT)
    return Message("phone-code", None, Lines([what, Verbatim(code)]))


def password_reset_sms(code: str) -> Message:
    return Message(
        "password-reset-code",
        None,
        Lines([tr("{product} code to reset your password:", product=PRODUCT), Verbatim(code)]),
    )


def security_phone_changed(masked: str, reset_url: str) -> Message:
    return Message(
        "security-phone-changed",
        tr("The security phone of your {product} account was changed", product=PRODUCT),
        Paragraphs(
            [
                tr(
                    "Your security phone is now {phone}. Every other device that was signed in "
                    "has been signed out.",
                    phone=masked,
                ),
                tr("If this was not you, reset your password now:"),
                Verbatim(reset_url),
            ]
        ),
    )


def continue_title() -> Text:
    """The continue message's title, on the account's page and as its email's subject."""
    return tr("Complete your account information")


def continue_body() -> Text:
    """The continue message's text on the account's page."""
    return tr(
        "Add your mobile number, your individual or enterprise details and a payment method "
        "to start using cloud services."
    )


def complete_account_information(continue_url: str) -> Message:
    return Message(
        "complete-account-information",
        continue_title(),
        Paragraphs(
            [
                tr(
                    "Cloud services are enabled on your account. To start using them, add your "
                    "mobile number, your individual or enterprise details and a payment method:"
                ),
                Verbatim(continue_url),
            ]
        ),
    )


def card_bound(brand: str, last4: str, next_bill: date) -> Message:
    return Message(
        "card-bound",
        tr("Your card is bound to your {product} account", product=PRODUCT),
        Paragraphs(
            [
                tr(
                    "Your {brand} card ending in {last4} was verified and is now your payment "
                    "method. The verification deposit is being refunded to it.",
                    brand=brand,
                    last4=last4,
                ),
                tr(
                    "Your account is post-paid: use services first and pay later. Bills are "
                    "made on the 3rd of each month and charged to this card; the first is due "
                    "on {date}.",
                    date=next_bill,
                ),
            ]
        ),
    )


def ticket_received(number: str, subject: str) -> Message:
    return Message(
        "service-ticket",
        tr("We received your request {number}", number=number),
        Paragraphs(
            [
                tr(
                    "Thank you. Your service ticket {number} ({subject}) is open, and our "
                    "support team will answer by email. Quote the ticket number if you write "
                    "to us about it.",
                    number=number,
                    subject=subject,
                )
            ]
        ),
    )


def ticket_answered(number: str, subject: str, link: str) -> Message:
    return Message(
        "service-ticket-reply",
        tr("Support answered your request {number}", number=number),
        Paragraphs(
            [
                tr(
                    "Our support team answered your service ticket {number} ({subject}).",
                    number=number,
                    subject=subject,
                ),
                tr("Read the answer and reply here: {link}", link=link),
            ]
        ),
    )


@dataclass(frozen=True)
class BillTotals:
    subtotal: Money
    tax_rate_percent: Decimal
    tax: Money
    total: Money


def bill_issued(
    number: str,
    period_start: date,
    period_end: date,
    lines: list[tuple[str, Money]],
    totals: BillTotals,
) -> Message:
    """`period_end` is the period's last day, as bills store it."""
    rows: list[Renderable] = [
        tr("{description}: {amount}", description=description, amount=amount)
        for description, amount in lines
    ]
    return Message(
        "bill-issued",
        tr("Your {product} bill {number}", product=PRODUCT, number=number),
        Paragraphs(
            [
                tr(
                    "Your bill {number} for {period}:",
                    number=number,
                    period=DateRange(period_start, period_end),
                ),
                Lines(rows),
                Lines(
                    [
                        tr("Subtotal: {amount}", amount=totals.subtotal),
                        tr(
                            "Tax ({rate}): {amount}",
                            rate=Percent(totals.tax_rate_percent),
                            amount=totals.tax,
                        ),
                        tr("Total: {amount}", amount=totals.total),
                    ]
                ),
                tr("It is charged to your default card."),
            ]
        ),
    )


def bill_paid(number: str, total: Money, card: str, link: str) -> Message:
    return Message(
        "bill-paid",
        tr("Receipt for your {product} bill {number}", product=PRODUCT, number=number),
        Paragraphs(
            [
                tr(
                    "Thank you: {total} for bill {number} was charged to your card {card}.",
                    total=total,
                    number=number,
                    card=card,
                ),
                tr("The bill and its lines: {link}", link=link),
            ]
        ),
    )


def arrears_lifted() -> Message:
    return Message(
        "arrears-lifted",
        tr("Every {product} bill is paid", product=PRODUCT),
        Paragraphs(
            [
                tr(
                    "Thank you: every bill of your account is paid. Usage is billed monthly "
                    "again, on the 3rd, instead of at once."
                )
            ]
        ),
    )


def bill_payment_failed(
    number: str,
    total: Money,
    retry_on: date | None,
    *,
    cards_link: str,
    bills_link: str,
    bill_link: str,
    needs_the_person: bool,
) -> Message:
    failed = tr(
        "Charging {total} for bill {number} to your default card failed.",
        total=total,
        number=number,
    )
    then = (
        tr(
            "We will try again on {date}, with whichever card is your default then.",
            date=retry_on,
        )
        if retry_on
        else tr("We will not try again: the account is now billed as soon as it uses services.")
    )
    what = (
        tr(
            "Your bank wants you to confirm every charge of this card yourself, so it cannot be "
            "charged automatically. Pay the bill yourself at {bill_link} (your bank will ask "
            "you to confirm), or make another card your default at {cards_link}",
            bill_link=bill_link,
            cards_link=cards_link,
        )
        if needs_the_person
        else tr(
            "What you can do: pay the bill now with any of your cards at {bill_link}, check "
            "the card with your bank, or add another card and make it your default at "
            "{cards_link}",
            bill_link=bill_link,
            cards_link=cards_link,
        )
    )
    return Message(
        "bill-payment-failed",
        tr("We could not charge your card for bill {number}", number=number),
        Paragraphs(
            [
                Sentences([failed, then]),
                what,
                tr("Your bills: {link}", link=bills_link),
            ]
        ),
    )
