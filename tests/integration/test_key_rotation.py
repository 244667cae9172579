"""Key rotation killed with SIGKILL part-way and started again finishes, and the old master key is then not needed.

The command runs as a subprocess over a database of its own (migrated like intake's), filled with participants
whose keys are wrapped under k1 and with legacy rows sealed under k1 itself (as before migration 0009). It is killed
as soon as it reports progress, started again, and afterwards every field opens with a ring that holds k2 only.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from deploy.postgres import ensure_database
from services.intake.vault import UnknownMasterKey, Vault, WrappedKey
from shared.db import create_engine
from shared.migrate import upgrade
from tests.fixtures.database import ROOT, Databases, migrations_dir
from tests.fixtures.vaults import fresh_key

K1, K2, LOOKUP = fresh_key(), fresh_key(), fresh_key()
OWN_KEYS, LEGACY = 3000, 1000  # enough batches of 50 that a kill on the first progress line lands part-way
BATCH = 50
_INSERT = text(
    "INSERT INTO participant (id, case_reference, status, programme_id, subproject_id, municipality,"
    " caseworker_subject, caseworker_email, cpr_hash, cpr_encrypted, name_encrypted, contact_encrypted,"
    " legacy_key_id, legal_basis, consent_text_version, consent_given_on, referred_on, characteristics, created_at)"
    " VALUES (:id, :ref, 'active', 'rotation', 'sub', '751', 'cw', 'cw@example.dk', :hash, :cpr, :name, :contact,"
    " :legacy, 'consent', 'v1', '2026-01-05', '2026-01-05', '{}', :now)"
)
_KEY = text(
    "INSERT INTO participant_key (participant_id, master_key_id, wrapped_key, created_at) VALUES (:p, :m, :w, :now)"
)


@pytest_asyncio.fixture(loop_scope="session")
async def database(databases: Databases) -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A database of this test's own, migrated as intake's (the rotation moves every key in the database)."""
    name = f"rotation_{uuid4().hex[:8]}"
    await ensure_database(databases.server.dsn("postgres"), name)
    url = databases.server.url(name)
    await asyncio.to_thread(upgrade, url, migrations_dir("intake"))
    engine = create_engine(url)
    yield url, engine
    await engine.dispose()


async def _fill(engine: AsyncEngine) -> dict[UUID, tuple[str, str, str]]:
    """Participants under k1, most with keys of their own, some legacy; their CPR number, name and contact."""
    before = Vault.from_base64({"k1": K1}, "k1", LOOKUP)
    now, people, participants, keys = datetime.now(UTC), {}, [], []
    for n in range(OWN_KEYS + LEGACY):
        pid = uuid4()
        cpr, name, contact = f"{150670 + n % 28:06d}{n:04d}", f"Asta Nummer{n}", json.dumps({"phone": f"+45 {n:08d}"})
        legacy = n >= OWN_KEYS
        if legacy:
            key = before.legacy_key(pid, "k1")
        else:
            key, wrapped = before.new_key(pid)
            keys.append({"p": pid, "m": wrapped.master_key_id, "w": wrapped.wrapped, "now": now})
        participants.append(
            {
                "id": pid,
                "ref": f"ROT-{n:06d}",
                "hash": before.lookup_hash(cpr),
                "cpr": key.encrypt(cpr),
                "name": key.encrypt(name),
                "contact": key.encrypt(contact),
                "legacy": "k1" if legacy else None,
                "now": now,
            }
        )
        people[pid] = (cpr, name, contact)
    async with engine.begin() as connection:
        await connection.execute(_INSERT, participants)
        await connection.execute(_KEY, keys)
    return people


def _env(url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
    return env | {
        "PYTHONPATH": str(ROOT),
        "INTAKE_DATABASE_URL": url,
        "INTAKE_DATA_KEY": K1,  # k1, the single key of the settings so far
        "INTAKE_MASTER_KEYS": json.dumps({"k2": K2}),
        "INTAKE_MASTER_KEY_ID": "k2",
        "INTAKE_LOOKUP_KEY": LOOKUP,
    }


async def _rotation(url: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "services.intake.personal_data.rotate_keys",
        "--batch",
        str(BATCH),
        env=_env(url),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def _rows(engine: AsyncEngine, sql: str) -> list[Any]:
    async with engine.connect() as connection:
        return list((await connection.execute(text(sql))).all())


async def _opened(engine: AsyncEngine, vault: Vault) -> dict[UUID, tuple[str, str, str]]:
    """Every participant's fields, opened with the vault (raises if a key is under a master key it lacks)."""
    found = await _rows(
        engine,
        "SELECT p.id, p.legacy_key_id, k.master_key_id, k.wrapped_key, p.cpr_encrypted, p.name_encrypted,"
        " p.contact_encrypted FROM participant p LEFT JOIN participant_key k ON k.participant_id = p.id",
    )
    opened = {}
    for pid, legacy, master_key_id, wrapped, *sealed in found:
        key = vault.legacy_key(pid, legacy) if legacy else vault.unwrap(pid, WrappedKey(master_key_id, wrapped))
        cpr, name, contact = (key.decrypt(value) for value in sealed)
        opened[pid] = (cpr, name, contact)
    return opened


async def test_a_rotation_killed_part_way_finishes_when_started_again(database: tuple[str, AsyncEngine]) -> None:
    url, engine = database
    people = await _fill(engine)

    first = await _rotation(url)
    assert first.stdout is not None
    heard = []
    while line := (await asyncio.wait_for(first.stdout.readline(), timeout=120)).decode():
        heard.append(line)
        if line.startswith("moved: "):  # the first batch is committed: kill it now, in the middle of the rest
            first.send_signal(signal.SIGKILL)
            break
    assert await first.wait() == -signal.SIGKILL, "".join(heard)
    assert heard[0].startswith(f"rotating to master key k2: {OWN_KEYS + LEGACY:,} keys or legacy rows to move")
    assert "/s, about" in heard[-1] and f"/ {OWN_KEYS + LEGACY:,} (" in heard[-1], heard[-1]

    moved = await _rows(engine, "SELECT count(*) FROM participant_key WHERE master_key_id = 'k2'")
    left = await _rows(
        engine,
        "SELECT (SELECT count(*) FROM participant_key WHERE master_key_id = 'k1')"
        " + (SELECT count(*) FROM participant WHERE legacy_key_id IS NOT NULL)",
    )
    assert moved[0][0] >= BATCH and left[0][0] > 0, "the kill did not land part-way"
    # what the killed run left is consistent: whole batches, every field opens with both keys in the ring
    assert await _opened(engine, Vault.from_base64({"k1": K1, "k2": K2}, "k2", LOOKUP)) == people

    second = await _rotation(url)
    out, _ = await asyncio.wait_for(second.communicate(), timeout=300)
    assert second.returncode == 0, out.decode()
    said = out.decode().splitlines()
    assert said[0] == f"rotating to master key k2: {left[0][0]:,} keys or legacy rows to move"
    assert said[-1].endswith("no other master key is needed any more"), said[-1]

    only_k2 = Vault.from_base64({"k2": K2}, "k2", LOOKUP)  # k1 removed from the ring
    assert await _opened(engine, only_k2) == people
    assert await _rows(engine, "SELECT DISTINCT master_key_id FROM participant_key") == [("k2",)]
    # the lookup hash was not rotated: every citizen is still found by their CPR number
    hashes = dict(await _rows(engine, "SELECT id, cpr_hash FROM participant"))
    assert all(hashes[pid] == only_k2.lookup_hash(cpr) for pid, (cpr, _, _) in people.items())
    with pytest.raises(UnknownMasterKey):  # and a ring without k2 opens nothing
        await _opened(engine, Vault.from_base64({"k3": fresh_key()}, "k3", LOOKUP))
