"""Personal data at rest: AES-GCM encryption bound to the participant, and a keyed hash to find a CPR number."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class Vault:
    """Encrypts and decrypts personal fields; the participant id is authenticated data, so rows cannot be swapped."""

    def __init__(self, data_key_b64: str, lookup_key_b64: str) -> None:
        self._aead = AESGCM(base64.b64decode(data_key_b64))
        self._lookup_key = base64.b64decode(lookup_key_b64)

    def encrypt(self, participant_id: UUID, plaintext: str) -> bytes:
        """Nonce and ciphertext in one value."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext.encode(), participant_id.bytes)

    def decrypt(self, participant_id: UUID, blob: bytes) -> str:
        """The plaintext; raises if the value was tampered with or belongs to another participant."""
        return self._aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], participant_id.bytes).decode()

    def lookup_hash(self, cpr_digits: str) -> bytes:
        """A keyed hash of the CPR number: equal numbers give equal hashes, and nothing can be read back."""
        return hmac.new(self._lookup_key, cpr_digits.encode(), hashlib.sha256).digest()
