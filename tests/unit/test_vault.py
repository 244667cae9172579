"""The vault: each participant's data key sealed under a master key of the ring, legacy rows, the CPR lookup hash."""

from __future__ import annotations

import base64
from uuid import uuid4

import pytest
from cryptography.exceptions import InvalidTag

from services.intake.vault import KeyRing, UnknownMasterKey, Vault, WrappedKey
from tests.fixtures.vaults import fresh_key

K1, K2, LOOKUP = fresh_key(), fresh_key(), fresh_key()


def vault(keys: dict[str, str], current: str, lookup: str = LOOKUP) -> Vault:
    return Vault.from_base64(keys, current, lookup)


def test_a_participants_own_key_seals_and_opens_their_fields() -> None:
    pid = uuid4()
    key, wrapped = vault({"k1": K1}, "k1").new_key(pid)
    sealed = key.encrypt("150670-1233")
    assert b"150670" not in sealed and b"150670" not in wrapped.wrapped
    assert wrapped.master_key_id == "k1"
    assert vault({"k1": K1}, "k1").unwrap(pid, wrapped).decrypt(sealed) == "150670-1233"


def test_each_participant_gets_a_key_of_their_own() -> None:
    one, two = uuid4(), uuid4()
    ring = vault({"k1": K1}, "k1")
    key_one, _ = ring.new_key(one)
    _, wrapped_two = ring.new_key(two)
    sealed = key_one.encrypt("Asta")
    with pytest.raises(InvalidTag):
        ring.unwrap(two, wrapped_two).decrypt(sealed)


def test_a_wrapped_key_opens_only_for_its_own_participant() -> None:
    ring = vault({"k1": K1}, "k1")
    _, wrapped = ring.new_key(uuid4())
    with pytest.raises(InvalidTag):
        ring.unwrap(uuid4(), wrapped)


def test_a_value_moved_to_another_participant_does_not_open() -> None:
    ring = vault({"k1": K1}, "k1")
    pid = uuid4()
    key, _ = ring.new_key(pid)
    sealed = key.encrypt("Asta")
    with pytest.raises(InvalidTag):
        ring.legacy_key(uuid4(), "k1").decrypt(sealed)


def test_a_tampered_value_does_not_open() -> None:
    pid = uuid4()
    key, _ = vault({"k1": K1}, "k1").new_key(pid)
    sealed = bytearray(key.encrypt("Asta"))
    sealed[-1] ^= 1
    with pytest.raises(InvalidTag):
        key.decrypt(bytes(sealed))


def test_rewrapping_moves_the_key_to_the_current_master_key_and_the_old_one_is_no_longer_needed() -> None:
    pid = uuid4()
    key, old = vault({"k1": K1}, "k1").new_key(pid)
    sealed = key.encrypt("Asta Testesen")
    new = vault({"k1": K1, "k2": K2}, "k2").rewrap(pid, old)
    assert new.master_key_id == "k2" and new.wrapped != old.wrapped
    assert vault({"k2": K2}, "k2").unwrap(pid, new).decrypt(sealed) == "Asta Testesen"


def test_a_key_under_a_master_key_that_left_the_ring_cannot_be_opened() -> None:
    pid = uuid4()
    _, wrapped = vault({"k1": K1}, "k1").new_key(pid)
    with pytest.raises(UnknownMasterKey, match="'k1'"):
        vault({"k2": K2}, "k2").unwrap(pid, wrapped)


def test_a_wrapped_key_named_with_the_wrong_master_key_does_not_open() -> None:
    pid = uuid4()
    _, wrapped = vault({"k1": K1}, "k1").new_key(pid)
    with pytest.raises(InvalidTag):
        vault({"k1": K1, "k2": K2}, "k2").unwrap(pid, WrappedKey("k2", wrapped.wrapped))


def test_a_legacy_row_is_opened_with_the_master_key_it_was_sealed_under() -> None:
    pid = uuid4()
    legacy = vault({"k1": K1}, "k1").legacy_key(pid, "k1")  # how rows were sealed before migration 0009
    sealed = legacy.encrypt("150670-1233")
    assert vault({"k1": K1, "k2": K2}, "k2").legacy_key(pid, "k1").decrypt(sealed) == "150670-1233"
    with pytest.raises(UnknownMasterKey):
        vault({"k2": K2}, "k2").legacy_key(pid, "k1")


def test_the_lookup_hash_is_the_same_under_any_master_key_and_keyed() -> None:
    before = vault({"k1": K1}, "k1").lookup_hash("1506701233")
    after = vault({"k2": K2}, "k2").lookup_hash("1506701233")
    assert before == after and len(before) == 32
    assert vault({"k1": K1}, "k1", lookup=fresh_key()).lookup_hash("1506701233") != before
    assert vault({"k1": K1}, "k1").lookup_hash("1506701234") != before


def test_the_current_master_key_must_be_in_the_ring() -> None:
    with pytest.raises(ValueError, match="not in the key ring"):
        KeyRing("k2", {"k1": base64.b64decode(K1)})


def test_every_master_key_must_be_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        KeyRing("k1", {"k1": b"short"})
