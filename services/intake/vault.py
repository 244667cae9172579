"""Personal data at rest: envelope encryption with a key of each participant's own, and a keyed hash to find a CPR
number.

A participant's fields are sealed with AES-GCM under a random data key of their own, with the participant id as
associated data (a value cannot be moved to another row). The data key is stored only wrapped: sealed under a master
key of the key ring, whose id is stored beside it. Destroying the wrapped key destroys the data for good
(crypto-shredding); rotating the master key re-wraps the small data keys and leaves the data as they are.

Rows sealed before per-participant keys (migration 0009) are under a master key itself, the "legacy key id" on the
row; the rotation command moves them to keys of their own.

The CPR lookup hash has a key of its own, outside the ring and never rotated by the rotation command: equal numbers
keep giving equal hashes, so a citizen is found across any number of rotations.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
KEY_BYTES = 32
KEY_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,19}$"
_WRAP_CONTEXT = b"rummelig/participant-key/"  # a wrapped key can never pass for a field sealed under a master key


class UnknownMasterKey(LookupError):
    """A wrapped key or a legacy row names a master key that is not in the key ring."""


def _seal(aead: AESGCM, plaintext: bytes, associated: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + aead.encrypt(nonce, plaintext, associated)


def _open(aead: AESGCM, blob: bytes, associated: bytes) -> bytes:
    return aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], associated)


@dataclass(frozen=True)
class KeyRing:
    """The master keys by id, and the id of the one that wraps new keys (and every key after a rotation)."""

    current_id: str
    keys: Mapping[str, bytes]

    def __post_init__(self) -> None:
        if self.current_id not in self.keys:
            raise ValueError(f"the current master key {self.current_id!r} is not in the key ring")
        if any(len(key) != KEY_BYTES for key in self.keys.values()):
            raise ValueError(f"every master key must be {KEY_BYTES} bytes")

    def raw(self, key_id: str) -> bytes:
        """The master key with this id; UnknownMasterKey if the ring no longer holds it."""
        try:
            return self.keys[key_id]
        except KeyError:
            raise UnknownMasterKey(f"master key {key_id!r} is not in the key ring") from None

    def key(self, key_id: str) -> AESGCM:
        """The master key with this id, ready to seal and open."""
        return AESGCM(self.raw(key_id))


@dataclass(frozen=True)
class WrappedKey:
    """A participant's data key as stored: sealed under the master key named beside it."""

    master_key_id: str
    wrapped: bytes


class DataKey:
    """The key that seals one participant's fields (bound to them: their id is the associated data)."""

    def __init__(self, participant_id: UUID, raw: bytes) -> None:
        self.participant_id = participant_id
        self._aead = AESGCM(raw)

    def encrypt(self, plaintext: str) -> bytes:
        """Nonce and ciphertext in one value."""
        return _seal(self._aead, plaintext.encode(), self.participant_id.bytes)

    def decrypt(self, blob: bytes) -> str:
        """The plaintext; raises if the value was tampered with or belongs to another participant."""
        return _open(self._aead, blob, self.participant_id.bytes).decode()


class Vault:
    """Makes, wraps and unwraps participants' data keys under the key ring, and computes the CPR lookup hash."""

    def __init__(self, ring: KeyRing, lookup_key: bytes) -> None:
        self.ring = ring
        self._lookup_key = lookup_key

    @staticmethod
    def valid_key_id(key_id: str) -> bool:
        """A master key id is a short lowercase code (it is stored beside every wrapped key)."""
        return re.fullmatch(KEY_ID_PATTERN, key_id) is not None

    @classmethod
    def from_base64(cls, master_keys: Mapping[str, str], current_id: str, lookup_key: str) -> Vault:
        """A vault from base64 keys as settings hold them."""
        ring = KeyRing(current_id, {key_id: base64.b64decode(key) for key_id, key in master_keys.items()})
        return cls(ring, base64.b64decode(lookup_key))

    def new_key(self, participant_id: UUID) -> tuple[DataKey, WrappedKey]:
        """A fresh random data key for a participant, and its wrapped form under the current master key."""
        raw = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        return DataKey(participant_id, raw), self._wrap(participant_id, raw)

    def unwrap(self, participant_id: UUID, wrapped: WrappedKey) -> DataKey:
        """The participant's data key; raises if the wrapped key is another participant's or was tampered with."""
        raw = _open(self.ring.key(wrapped.master_key_id), wrapped.wrapped, _WRAP_CONTEXT + participant_id.bytes)
        return DataKey(participant_id, raw)

    def rewrap(self, participant_id: UUID, wrapped: WrappedKey) -> WrappedKey:
        """The same data key wrapped under the current master key (the data sealed with it stay as they are)."""
        raw = _open(self.ring.key(wrapped.master_key_id), wrapped.wrapped, _WRAP_CONTEXT + participant_id.bytes)
        return self._wrap(participant_id, raw)

    def legacy_key(self, participant_id: UUID, master_key_id: str) -> DataKey:
        """A master key used as the data key itself: how rows were sealed before migration 0009."""
        return DataKey(participant_id, self.ring.raw(master_key_id))

    def lookup_hash(self, cpr_digits: str) -> bytes:
        """A keyed hash of the CPR number: equal numbers give equal hashes, and nothing can be read back."""
        return hmac.new(self._lookup_key, cpr_digits.encode(), hashlib.sha256).digest()

    def _wrap(self, participant_id: UUID, raw: bytes) -> WrappedKey:
        sealed = _seal(self.ring.key(self.ring.current_id), raw, _WRAP_CONTEXT + participant_id.bytes)
        return WrappedKey(self.ring.current_id, sealed)
