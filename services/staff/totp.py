"""RFC 6238 time-based codes (pyotp): the second factor of staff sign-in.

A code is accepted for the current 30-second step or the one either side of it (a phone's
clock a little off), and only for a step later than the last one accepted, so no code
works twice.
"""

from __future__ import annotations

import hmac
import re
from datetime import datetime

import pyotp

ISSUER = "Onramp staff"
# Steps either side of now a code may belong to.
SKEW_STEPS = 1
_SIX_DIGITS = re.compile(r"[0-9]{6}")


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_url(secret: str, email: str) -> str:
    """The otpauth:// address an authenticator app reads (as text or as a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step the code belongs to, within the allowed skew; None when it fits none."""
    if not _SIX_DIGITS.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    found = None
    # Every candidate is compared, whichever matches: the time taken says nothing.
    for step in range(current - SKEW_STEPS, current + SKEW_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found
