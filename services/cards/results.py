"""What an attempt's or a bill payment's Result says, and which reason a gateway code means."""

from __future__ import annotations

from models.cards import BindingStatus, CardBindingAttempt, FailureReason

GATEWAY_FAILURES = {
    "declined": FailureReason.DECLINED,
    "card_declined": FailureReason.DECLINED,
    "insufficient_funds": FailureReason.INSUFFICIENT_FUNDS,
    "expired_card": FailureReason.EXPIRED_CARD,
    "incorrect_cvc": FailureReason.INCORRECT_CVC,
    "lost_or_stolen": FailureReason.LOST_OR_STOLEN,
    "processing_error": FailureReason.PROCESSING_ERROR,
    "authentication_failed": FailureReason.AUTHENTICATION_FAILED,
    "card_not_supported": FailureReason.CARD_NOT_SUPPORTED,
    # Stripe's error codes and decline codes (last_payment_error.decline_code, else .code).
    "generic_decline": FailureReason.DECLINED,
    "do_not_honor": FailureReason.DECLINED,
    "do_not_try_again": FailureReason.DECLINED,
    "fraudulent": FailureReason.DECLINED,
    "pickup_card": FailureReason.LOST_OR_STOLEN,
    "restricted_card": FailureReason.DECLINED,
    "security_violation": FailureReason.DECLINED,
    "transaction_not_allowed": FailureReason.DECLINED,
    "call_issuer": FailureReason.DECLINED,
    "card_velocity_exceeded": FailureReason.DECLINED,
    "withdrawal_count_limit_exceeded": FailureReason.DECLINED,
    "invalid_account": FailureReason.DECLINED,
    "new_account_information_available": FailureReason.DECLINED,
    "revocation_of_authorization": FailureReason.DECLINED,
    "stop_payment_order": FailureReason.DECLINED,
    "lost_card": FailureReason.LOST_OR_STOLEN,
    "stolen_card": FailureReason.LOST_OR_STOLEN,
    "invalid_expiry_month": FailureReason.EXPIRED_CARD,
    "invalid_expiry_year": FailureReason.EXPIRED_CARD,
    "invalid_cvc": FailureReason.INCORRECT_CVC,
    "incorrect_number": FailureReason.DECLINED,
    "invalid_number": FailureReason.DECLINED,
    "incorrect_zip": FailureReason.DECLINED,
    "try_again_later": FailureReason.PROCESSING_ERROR,
    "issuer_not_available": FailureReason.PROCESSING_ERROR,
    "reenter_transaction": FailureReason.PROCESSING_ERROR,
    "approve_with_id": FailureReason.PROCESSING_ERROR,
    "authentication_required": FailureReason.AUTHENTICATION_REQUIRED,
    "payment_intent_authentication_failure": FailureReason.AUTHENTICATION_FAILED,
    "currency_not_supported": FailureReason.CARD_NOT_SUPPORTED,
    "duplicate_transaction": FailureReason.DECLINED,
    "not_permitted": FailureReason.CARD_NOT_SUPPORTED,
    "service_not_allowed": FailureReason.CARD_NOT_SUPPORTED,
    "testmode_decline": FailureReason.DECLINED,
}

RESULTS = {
    BindingStatus.PROCESSING: "Starting the verification with the card's bank.",
    BindingStatus.REQUIRES_ACTION: "Waiting for you to confirm your identity on the bank's page.",
    BindingStatus.SUCCEEDED: (
        "Verified: the card is bound and your account is post-paid. The deposit is refunded "
        "to the card."
    ),
}
FAILURE_RESULTS = {
    FailureReason.DECLINED: (
        "Failed: the bank declined the card. Try another card or ask your bank why."
    ),
    FailureReason.INSUFFICIENT_FUNDS: (
        "Failed: the card could not cover the verification deposit. Add funds or use another card."
    ),
    FailureReason.EXPIRED_CARD: "Failed: the bank says the card has expired. Use a valid card.",
    FailureReason.INCORRECT_CVC: (
        "Failed: the security code did not match. Enter the card again with the code on its back."
    ),
    FailureReason.LOST_OR_STOLEN: (
        "Failed: the bank reported the card as lost or stolen. Use another card."
    ),
    FailureReason.PROCESSING_ERROR: (
        "Failed: the bank could not process the verification. Try again in a few minutes."
    ),
    FailureReason.AUTHENTICATION_FAILED: (
        "Failed: the identity check on the bank's page was not passed. Try again."
    ),
    FailureReason.AUTHENTICATION_TIMEOUT: (
        "Failed: the bank's identity check was not completed in time. Try again."
    ),
    FailureReason.CARD_NOT_SUPPORTED: "Failed: this card cannot be used for cloud services.",
    FailureReason.AUTHENTICATION_REQUIRED: (
        "Failed: the bank wants you to confirm it is you. Try again and follow its page."
    ),
}

# What a bill payment's Result says.
PAYMENT_RESULTS = {
    "PROCESSING": "Charging the card.",
    "REQUIRES_ACTION": "Waiting for you to confirm your identity on the bank's page.",
    "SUCCEEDED": "Paid: the bill was charged to this card.",
}
PAYMENT_FAILURE_RESULTS = {
    FailureReason.DECLINED: (
        "Failed: the bank declined the charge. Use another card or ask your bank why."
    ),
    FailureReason.INSUFFICIENT_FUNDS: (
        "Failed: the card could not cover the bill. Add funds or use another card."
    ),
    FailureReason.EXPIRED_CARD: "Failed: the card has expired. Make another card your default.",
    FailureReason.INCORRECT_CVC: "Failed: the bank refused the card's security code.",
    FailureReason.LOST_OR_STOLEN: (
        "Failed: the bank reported the card as lost or stolen. Use another card."
    ),
    FailureReason.PROCESSING_ERROR: (
        "Failed: the charge could not be processed. It is tried again later."
    ),
    FailureReason.AUTHENTICATION_FAILED: (
        "Failed: the identity check on the bank's page was not passed."
    ),
    FailureReason.AUTHENTICATION_TIMEOUT: (
        "Failed: the bank's identity check was not completed in time."
    ),
    FailureReason.CARD_NOT_SUPPORTED: "Failed: this card cannot be used for cloud services.",
    FailureReason.AUTHENTICATION_REQUIRED: (
        "Failed: the bank wants you to confirm every charge of this card yourself, so it "
        "cannot be charged automatically. Pay the bill yourself, or make another card your "
        "default."
    ),
}


# PROCESSING after the gateway's answer was lost, or while it is not final yet.
PAYMENT_CHECKING = (
    "Waiting for the bank's answer: we are checking whether the card was charged. It is "
    "charged at most once, and this payment updates on its own."
)


def payment_result(status: str, failure_reason: str | None, checking: bool = False) -> str:
    if status == "PROCESSING" and checking:
        return PAYMENT_CHECKING
    if status == "FAILED":
        return PAYMENT_FAILURE_RESULTS.get(
            FailureReason(failure_reason or FailureReason.PROCESSING_ERROR), "Failed."
        )
    return PAYMENT_RESULTS.get(status, "Failed.")


def result_sentence(attempt: CardBindingAttempt) -> str:
    if attempt.status is BindingStatus.FAILED and attempt.failure_reason is not None:
        return FAILURE_RESULTS[attempt.failure_reason]
    return RESULTS.get(attempt.status, "Failed.")
