"""Key rotation: every participant's data key wrapped under the current master key, so the others can be retired.

    .venv/bin/python -m services.intake.personal_data.rotate_keys [--batch N]      (INTAKE_ settings, as the service)

Put the new master key in the ring (INTAKE_MASTER_KEYS) and make it current (INTAKE_MASTER_KEY_ID), restart intake
(new participants' keys are then wrapped under it), and run this command with the old key still in the ring. It
re-wraps each data key under the current master key (the personal data themselves stay as they are: only the small
wrapped keys change); rows from before per-participant keys (migration 0009, sealed under a master key itself) get a
key of their own and their fields are sealed again under it. Each batch is one transaction; a row already under the
current master key is never touched again, so a run stopped at any moment (SIGKILL included) is simply started again
and goes on where it was. When it says no row needs another master key, the old one can leave the ring.

The CPR lookup hash is not rotated: it has a key of its own (INTAKE_LOOKUP_KEY), outside the ring, so duplicates and
searches keep working through a rotation. Rotating that key would mean recomputing every hash from the decrypted
CPR number in one go, during which a search could miss; it is not done here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from services.intake.personal_data.progress import Progress, say
from services.intake.settings import IntakeSettings
from services.intake.vault import DataKey, UnknownMasterKey, Vault, WrappedKey
from shared.db import create_engine

_TO_REWRAP = text(
    "SELECT participant_id, master_key_id, wrapped_key FROM participant_key WHERE master_key_id <> :current"
    " ORDER BY participant_id LIMIT :limit FOR UPDATE SKIP LOCKED"
)
_REWRAPPED = text(
    "UPDATE participant_key SET master_key_id = :master_key_id, wrapped_key = :wrapped_key"
    " WHERE participant_id = :participant_id"
)
_LEGACY = text(
    "SELECT id, legacy_key_id, cpr_encrypted, name_encrypted, contact_encrypted FROM participant"
    " WHERE legacy_key_id IS NOT NULL ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED"
)
_RESEALED = text(
    "UPDATE participant SET legacy_key_id = NULL, cpr_encrypted = :cpr_encrypted, name_encrypted = :name_encrypted,"
    " contact_encrypted = :contact_encrypted WHERE id = :id"
)
_KEYED = text(
    "INSERT INTO participant_key (participant_id, master_key_id, wrapped_key, created_at)"
    " VALUES (:participant_id, :master_key_id, :wrapped_key, now())"
)
_LEFT = text(
    "SELECT (SELECT count(*) FROM participant_key WHERE master_key_id <> :current)"
    " + (SELECT count(*) FROM participant WHERE legacy_key_id IS NOT NULL)"
)
_IN_USE = text(
    "SELECT master_key_id AS id, count(*) FROM participant_key GROUP BY master_key_id UNION ALL"
    " SELECT legacy_key_id, count(*) FROM participant WHERE legacy_key_id IS NOT NULL GROUP BY legacy_key_id"
)


@dataclass(frozen=True)
class Rotated:
    """What a run did, and which master keys rows still need afterwards."""

    moved: int
    seconds: float
    still_needed: dict[str, int]


async def rotate(database_url: str, vault: Vault, *, batch: int = 500, out: Callable[[str], None] = say) -> Rotated:
    """Move every key (and every legacy row) under the vault's current master key, a batch to a transaction."""
    engine = create_engine(database_url, pool_size=1, statement_seconds=None)
    current = vault.ring.current_id
    try:
        async with engine.connect() as connection:
            total = int((await connection.execute(_LEFT, {"current": current})).scalar_one())
        out(f"rotating to master key {current}: {total:,} keys or legacy rows to move")
        progress, moved = Progress(total, what="moved", out=out), 0
        while True:
            async with engine.begin() as connection:  # one batch, one transaction
                done = await _reseal_legacy(connection, vault, batch)
                if done < batch:
                    done += await _rewrap(connection, vault, batch - done)
            if not done:
                break
            moved += done
            progress(moved)
        async with engine.connect() as connection:
            needed = {str(k): int(n) for k, n in (await connection.execute(_IN_USE)).all()}
        still = {k: n for k, n in needed.items() if k != current}
        out(
            f"done: {moved:,} moved in {progress.elapsed():.1f} s; rows under {current}: {needed.get(current, 0):,};"
            + (f" still needed: {json.dumps(still)}" if still else " no other master key is needed any more")
        )
        return Rotated(moved, progress.elapsed(), still)
    finally:
        await engine.dispose()


async def _rewrap(connection: AsyncConnection, vault: Vault, limit: int) -> int:
    """Wrap up to `limit` data keys under the current master key instead of an older one."""
    found = (await connection.execute(_TO_REWRAP, {"current": vault.ring.current_id, "limit": limit})).all()
    if not found:
        return 0
    rewrapped = []
    for participant_id, master_key_id, wrapped in found:
        new = vault.rewrap(participant_id, WrappedKey(master_key_id, wrapped))
        rewrapped.append(
            {"participant_id": participant_id, "master_key_id": new.master_key_id, "wrapped_key": new.wrapped}
        )
    await connection.execute(_REWRAPPED, rewrapped)
    return len(found)


async def _reseal_legacy(connection: AsyncConnection, vault: Vault, limit: int) -> int:
    """Give up to `limit` rows sealed under a master key itself keys of their own, and seal their fields again."""
    found = (await connection.execute(_LEGACY, {"limit": limit})).all()
    if not found:
        return 0
    keys, fields = [], []
    for participant_id, legacy_key_id, *sealed in found:
        old = vault.legacy_key(participant_id, legacy_key_id)
        new, wrapped = vault.new_key(participant_id)
        cpr, name, contact = (_reseal(old, new, value) for value in sealed)
        keys.append(
            {"participant_id": participant_id, "master_key_id": wrapped.master_key_id, "wrapped_key": wrapped.wrapped}
        )
        fields.append(
            {"id": participant_id, "cpr_encrypted": cpr, "name_encrypted": name, "contact_encrypted": contact}
        )
    await connection.execute(_KEYED, keys)
    await connection.execute(_RESEALED, fields)
    return len(found)


def _reseal(old: DataKey, new: DataKey, sealed: bytes | None) -> bytes | None:
    return None if sealed is None else new.encrypt(old.decrypt(sealed))


def main() -> None:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m services.intake.personal_data.rotate_keys", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--batch", type=int, default=500, help="keys moved per transaction (default 500)")
    args = parser.parse_args()
    if args.batch < 1:
        parser.error("--batch must be at least 1")
    try:
        settings = IntakeSettings()
    except ValidationError as exc:
        raise SystemExit(f"rotate_keys: invalid settings:\n{exc}") from None
    try:
        asyncio.run(rotate(settings.database_url, settings.vault(), batch=args.batch))
    except UnknownMasterKey as exc:
        raise SystemExit(f"rotate_keys: {exc}; put it back in the ring (INTAKE_MASTER_KEYS) to move its rows") from None


if __name__ == "__main__":
    main()
