"""Per-purpose keys derived from the master secret (HKDF-SHA256), and HMACs made with them."""

from __future__ import annotations

import hashlib
import hmac
from enum import StrEnum

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class Purpose(StrEnum):
    CODES = "codes"
    SESSIONS = "sessions"
    CARD_FINGERPRINTS = "card-fingerprints"
    WEBHOOKS = "webhooks"
    GATEWAY = "gateway"
    BANK_PAGE = "bank-page"


class KeyRing:
    """Holds one derived key per purpose, so a leak of one never exposes another.

    Every key is derived once, when the ring is made: the HMACs on a request's path
    (sessions, codes) then cost one HMAC each, not an HKDF as well.
    """

    def __init__(self, master: bytes) -> None:
        self._keys = {purpose: _derive(master, purpose) for purpose in Purpose}

    def __repr__(self) -> str:
        return "KeyRing(...)"

    def key(self, purpose: Purpose) -> bytes:
        return self._keys[purpose]

    def mac(self, purpose: Purpose, message: str | bytes) -> str:
        data = message.encode() if isinstance(message, str) else message
        return hmac.new(self._keys[purpose], data, hashlib.sha256).hexdigest()


def _derive(master: bytes, purpose: Purpose) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"onramp", info=purpose.encode())
    return hkdf.derive(master)
