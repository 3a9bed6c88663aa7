"""Per-purpose keys derived from the master secret (HKDF-SHA256): HMACs made with them, and
secrets sealed with them (AES-GCM) where a secret must be read back (a staff TOTP seed)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from enum import StrEnum

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class Purpose(StrEnum):
    CODES = "codes"
    SESSIONS = "sessions"
    CARD_FINGERPRINTS = "card-fingerprints"
    WEBHOOKS = "webhooks"
    GATEWAY = "gateway"
    BANK_PAGE = "bank-page"
    STAFF_SESSIONS = "staff-sessions"
    STAFF_SETUP_CODES = "staff-setup-codes"
    STAFF_TOTP = "staff-totp"


class KeyRing:
    """Holds one derived key per purpose, so a leak of one never exposes another.

    Every key is derived once, when the ring is made, and keyed into an HMAC once: an HMAC
    on a request's path (sessions, codes) copies that keyed state, neither deriving the key
    again nor keying a fresh HMAC context (about a quarter of a session check's time).
    """

    def __init__(self, master: bytes) -> None:
        self._keys = {purpose: _derive(master, purpose) for purpose in Purpose}
        self._keyed = {
            purpose: hmac.new(key, digestmod=hashlib.sha256) for purpose, key in self._keys.items()
        }

    def __repr__(self) -> str:
        return "KeyRing(...)"

    def key(self, purpose: Purpose) -> bytes:
        return self._keys[purpose]

    def mac(self, purpose: Purpose, message: str | bytes) -> str:
        keyed = self._keyed[purpose].copy()
        keyed.update(message.encode() if isinstance(message, str) else message)
        return keyed.hexdigest()

    def seal(self, purpose: Purpose, secret: str, bound_to: str) -> str:
        """The secret encrypted and authenticated under the purpose's key, as text.

        `bound_to` (the owning row's id) is authenticated too: a sealed value copied onto
        another row does not open there.
        """
        nonce = os.urandom(12)
        sealed = AESGCM(self._keys[purpose]).encrypt(nonce, secret.encode(), bound_to.encode())
        return base64.urlsafe_b64encode(nonce + sealed).decode()

    def unseal(self, purpose: Purpose, sealed: str, bound_to: str) -> str:
        """The secret `seal` sealed; raises `cryptography.exceptions.InvalidTag` if altered."""
        raw = base64.urlsafe_b64decode(sealed.encode())
        return AESGCM(self._keys[purpose]).decrypt(raw[:12], raw[12:], bound_to.encode()).decode()


def _derive(master: bytes, purpose: Purpose) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"onramp", info=purpose.encode())
    return hkdf.derive(master)
