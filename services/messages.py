"""The texts of every email: plain text, with a verification code alone on its own line."""

from __future__ import annotations

from dataclasses import dataclass

from models.accounts import AccountKind

PRODUCT = "Onramp Cloud"
KIND_NAMES = {AccountKind.HUAWEI_ID: "HUAWEI ID", AccountKind.HUAWEI_CLOUD: "HUAWEI CLOUD"}


@dataclass(frozen=True)
class Message:
    kind: str
    subject: str
    body: str


def registration_code(code: str, kind: AccountKind) -> Message:
    return Message(
        "registration-code",
        f"Your {PRODUCT} verification code",
        f"Use this code to finish registering your {KIND_NAMES[kind]} account:\n\n"
        f"{code}\n\n"
        "It works once, for 10 minutes. If you did not ask for it, ignore this email.\n",
    )


def account_exists(kind: AccountKind, sign_in_url: str, reset_url: str) -> Message:
    return Message(
        "account-exists",
        f"You already have a {PRODUCT} account",
        f"Someone asked to register a {KIND_NAMES[kind]} account with this email address,\n"
        "but you already have one. Sign in instead:\n\n"
        f"{sign_in_url}\n\n"
        "Forgot your password? Reset it here:\n\n"
        f"{reset_url}\n\n"
        "If this was not you, you can ignore this email: nothing has changed.\n",
    )


def password_reset_code(code: str, kind: AccountKind) -> Message:
    return Message(
        "password-reset-code",
        f"Reset your {PRODUCT} password",
        f"Use this code to choose a new password for your {KIND_NAMES[kind]} account:\n\n"
        f"{code}\n\n"
        "It works once, for 10 minutes. If you did not ask for it, ignore this email:\n"
        "your password stays as it is.\n",
    )


def password_changed(kind: AccountKind, reset_url: str) -> Message:
    return Message(
        "password-changed",
        f"Your {PRODUCT} password was changed",
        f"The password of your {KIND_NAMES[kind]} account was just changed, and every\n"
        "device that was signed in has been signed out.\n\n"
        "If this was not you, reset your password now:\n\n"
        f"{reset_url}\n",
    )


def phone_code(code: str, purpose_text: str) -> Message:
    return Message("phone-code", "", f"{PRODUCT} code to {purpose_text}:\n{code}\n")


def password_reset_sms(code: str) -> Message:
    return Message("password-reset-code", "", f"{PRODUCT} code to reset your password:\n{code}\n")


def security_phone_changed(masked: str, reset_url: str) -> Message:
    return Message(
        "security-phone-changed",
        f"The security phone of your {PRODUCT} account was changed",
        f"Your security phone is now {masked}. Every other device that was signed in has\n"
        "been signed out.\n\n"
        "If this was not you, reset your password now:\n\n"
        f"{reset_url}\n",
    )


def complete_account_information(continue_url: str) -> Message:
    return Message(
        "complete-account-information",
        "Complete your account information",
        "Cloud services are enabled on your account. To start using them, add your mobile\n"
        "number, your individual or enterprise details and a payment method:\n\n"
        f"{continue_url}\n",
    )


def card_bound(brand: str, last4: str, next_bill: str) -> Message:
    return Message(
        "card-bound",
        f"Your card is bound to your {PRODUCT} account",
        f"Your {brand} card ending in {last4} was verified and is now your payment method.\n"
        "The verification deposit is being refunded to it.\n\n"
        "Your account is post-paid: use services first and pay later. Bills are made on the\n"
        f"3rd of each month and charged to this card; the first is due on {next_bill}.\n",
    )


def ticket_received(number: str, subject: str) -> Message:
    return Message(
        "service-ticket",
        f"We received your request {number}",
        f"Thank you. Your service ticket {number} ({subject}) is open, and our support team\n"
        "will answer by email. Quote the ticket number if you write to us about it.\n",
    )


def ticket_answered(number: str, subject: str, link: str) -> Message:
    return Message(
        "service-ticket-reply",
        f"Support answered your request {number}",
        f"Our support team answered your service ticket {number} ({subject}).\n"
        f"Read the answer and reply here: {link}\n",
    )


def bill_issued(
    number: str, period: str, lines: list[tuple[str, str]], totals: dict[str, str]
) -> Message:
    rows = "\n".join(f"  {description}: {amount}" for description, amount in lines)
    return Message(
        "bill-issued",
        f"Your {PRODUCT} bill {number}",
        f"Your bill {number} for {period}:\n\n{rows}\n\n"
        f"  Subtotal: {totals['subtotal']}\n  Tax ({totals['rate']}%): {totals['tax']}\n"
        f"  Total: {totals['total']}\n\n"
        "It is charged to your default card.\n",
    )


def bill_paid(number: str, total: str, card: str, link: str) -> Message:
    return Message(
        "bill-paid",
        f"Receipt for your {PRODUCT} bill {number}",
        f"Thank you: {total} for bill {number} was charged to your card {card}.\n"
        f"The bill and its lines: {link}\n",
    )


def arrears_lifted() -> Message:
    return Message(
        "arrears-lifted",
        f"Every {PRODUCT} bill is paid",
        "Thank you: every bill of your account is paid. Usage is billed monthly again, on "
        "the 3rd, instead of at once.\n",
    )


def bill_payment_failed(
    number: str,
    total: str,
    retry_on: str | None,
    *,
    cards_link: str,
    bills_link: str,
    bill_link: str,
    needs_the_person: bool,
) -> Message:
    then = (
        f"We will try again on {retry_on}, with whichever card is your default then."
        if retry_on
        else "We will not try again: the account is now billed as soon as it uses services."
    )
    what = (
        "Your bank wants you to confirm every charge of this card yourself, so it cannot be "
        f"charged automatically. Pay the bill yourself at {bill_link} (your bank will ask "
        f"you to confirm), or make another card your default at {cards_link}\n"
        if needs_the_person
        else "What you can do: pay the bill now with any of your cards at "
        f"{bill_link}, check the card with your bank, or add another card and make it your "
        f"default at {cards_link}\n"
    )
    return Message(
        "bill-payment-failed",
        f"We could not charge your card for bill {number}",
        f"Charging {total} for bill {number} to your default card failed. {then}\n\n"
        f"{what}Your bills: {bills_link}\n",
    )
