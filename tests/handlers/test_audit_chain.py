"""Intake's audit log as a hash chain, on a real migrated PostgreSQL: appended in order under concurrency, refused
changes, and the check command catching what someone who bypasses the trigger did.

Tests that tamper with the log get a database of their own, copied from a migrated template, so the session's intake
database keeps a sound chain for the others.
"""

from __future__ import annotations

import asyncio
import base64
import os
import random
import subprocess
import sys
from datetime import UTC, datetime
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
import pytest_asyncio
from alembic import command
from fastapi import FastAPI

from deploy.synthetic import referral_body, synthetic_citizen
from services.intake.audit.check import check_chain
from services.intake.audit.service import GENESIS, Read, append, entry_hash
from services.intake.main import create_app as intake_app
from services.intake.settings import IntakeSettings
from services.intake.tables import AuditEntry
from shared.auth import Principal, issue_token
from shared.db import asyncpg_dsn, create_engine, create_sessionmaker, unit_of_work
from shared.migrate import alembic_config, upgrade
from shared.settings import AuthSettings
from tests.fixtures.clients import bearer_client
from tests.fixtures.database import ROOT, Databases, migrations_dir

KEY = base64.b64encode(bytes(range(32))).decode()
AUTH = AuthSettings()
READER = Principal("dpo-chain", "dpo@example.org", frozenset({"data-protection-officer"}), None)
TEMPLATE = "audit_chain_template"


# --- a database of the test's own ------------------------------------------------------------------------------------
@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def template(databases: Databases) -> str:
    """A migrated intake database to copy: CREATE DATABASE ... TEMPLATE is far quicker than migrating each time."""
    await databases.server.ensure_database(TEMPLATE)
    await asyncio.to_thread(upgrade, databases.server.url(TEMPLATE), migrations_dir("intake"))
    return TEMPLATE


@pytest_asyncio.fixture(loop_scope="session")
async def own_db(databases: Databases, template: str) -> str:
    """The URL of a fresh, migrated intake database for this test alone."""
    name = f"audit_{uuid4().hex[:12]}"
    conn = await asyncpg.connect(databases.server.dsn("postgres"))
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await conn.close()
    return databases.server.url(name)


async def _appended(url: str, reads: int, *, per_transaction: int = 1) -> None:
    """Append entries the way intake does, each transaction a few reads."""
    engine = create_engine(url)
    try:
        sessions = create_sessionmaker(engine)
        for _ in range(reads // per_transaction):
            async with unit_of_work(sessions) as session:
                batch = [Read(uuid4(), "read-personal-data", detail=None) for _ in range(per_transaction)]
                await append(session, principal=READER, reads=batch)
    finally:
        await engine.dispose()


async def _sql(url: str, *statements: str, bypass: bool = True) -> None:
    """Run statements as a superuser would, past the trigger (session_replication_role = replica) if bypass."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        if bypass:
            await conn.execute("SET session_replication_role = replica")
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _ids(url: str) -> list[int]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return [r["id"] for r in await conn.fetch("SELECT id FROM audit_entry ORDER BY id")]
    finally:
        await conn.close()


# --- appending -------------------------------------------------------------------------------------------------------
def _intake(url: str) -> FastAPI:
    return intake_app(IntakeSettings(database_url=url, data_key=KEY, lookup_key=KEY, command_wait_seconds=0))


def _as_caseworker(app: FastAPI, subject: str) -> httpx.AsyncClient:
    token = issue_token(AUTH, subject=subject, email="cw@example.dk", roles=["caseworker"], municipality="751")
    return bearer_client(app, token)


async def test_twenty_concurrent_reads_through_two_intake_processes_make_one_sound_chain(
    databases: Databases, seeded_catalogue: list[str]
) -> None:
    # two apps, two connection pools: as two replicas of intake on one database
    replicas = [_intake(databases.url("intake")), _intake(databases.url("intake"))]
    subject = f"cw-chain-{uuid4().hex[:8]}"
    try:
        async with _as_caseworker(replicas[0], subject) as first, _as_caseworker(replicas[1], subject) as second:
            created = await first.post("/referrals", json=referral_body(synthetic_citizen(random.Random(808))))
            assert created.status_code == 201, created.text
            pid = created.json()["participant_id"]
            answers = await asyncio.gather(*(c.get(f"/participants/{pid}") for c in [first, second] * 10))
    finally:
        for app in replicas:
            await app.state.sessions.kw["bind"].dispose()
    assert [a.status_code for a in answers] == [200] * 20

    verdict = await check_chain(databases.url("intake"))
    assert verdict.broken is None, verdict
    conn = await asyncpg.connect(databases.dsn("intake"))
    try:
        ours = await conn.fetch(
            "SELECT id, prev_hash, hash FROM audit_entry WHERE actor = $1 AND participant_id = $2 ORDER BY id",
            subject,
            UUID(pid),
        )
        links = await conn.fetch("SELECT prev_hash FROM audit_entry WHERE id > $1 ORDER BY id", ours[0]["id"] - 1)
    finally:
        await conn.close()
    assert len(ours) == 20
    assert len({e["prev_hash"] for e in links}) == len(links)  # no two entries hang on the same predecessor


async def test_entries_appended_by_many_transactions_at_once_chain_in_id_order(own_db: str) -> None:
    await asyncio.gather(*(_appended(own_db, 6, per_transaction=3) for _ in range(8)))
    verdict = await check_chain(own_db)
    assert (verdict.broken, verdict.count) == (None, 48)
    ids = await _ids(own_db)
    assert verdict.head_id == ids[-1]


def test_an_entry_hashes_its_content_and_its_predecessor() -> None:
    entry = AuditEntry(
        id=7,
        actor="cw-1",
        role="caseworker",
        action="read-personal-data",
        participant_id=UUID(int=1),
        at=datetime(2026, 11, 24, 5, 0, tzinfo=UTC),
        detail=None,
        prev_hash=GENESIS,
    )
    same = entry.model_copy()
    assert entry_hash(entry) == entry_hash(same)
    for change in ({"actor": "cw-2"}, {"prev_hash": "1" * 64}, {"id": 8}, {"detail": "x"}, {"role": "team-lead"}):
        assert entry_hash(entry.model_copy(update=change)) != entry_hash(entry), change


# --- the database refuses changes ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_entry SET actor = 'someone-else'", "DELETE FROM audit_entry", "TRUNCATE audit_entry"],
)
async def test_the_database_refuses_to_change_or_remove_an_audit_entry(own_db: str, statement: str) -> None:
    await _appended(own_db, 2)
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await _sql(own_db, statement, bypass=False)
    assert (await check_chain(own_db)).count == 2


# --- the check catches what bypassed the trigger -----------------------------------------------------------------
async def test_the_check_names_the_entry_edited_behind_the_triggers_back(own_db: str) -> None:
    await _appended(own_db, 10)
    ids = await _ids(own_db)
    await _sql(own_db, f"UPDATE audit_entry SET actor = 'nobody' WHERE id = {ids[4]}")
    verdict = await check_chain(own_db)
    assert verdict.broken is not None
    assert (verdict.broken.entry_id, verdict.count) == (ids[4], 4)
    assert "changed" in verdict.broken.reason


async def test_an_edit_whose_hash_was_recomputed_breaks_the_chain_at_the_next_entry(own_db: str) -> None:
    await _appended(own_db, 5)
    ids = await _ids(own_db)
    conn = await asyncpg.connect(asyncpg_dsn(own_db))
    try:
        row = dict(await conn.fetchrow("SELECT * FROM audit_entry WHERE id = $1", ids[2]))
    finally:
        await conn.close()
    forged = AuditEntry(**{**row, "action": "read-timeline"})
    await _sql(
        own_db, f"UPDATE audit_entry SET action = 'read-timeline', hash = '{entry_hash(forged)}' WHERE id = {ids[2]}"
    )
    verdict = await check_chain(own_db)
    assert verdict.broken is not None and verdict.broken.entry_id == ids[3]


async def test_the_check_finds_the_gap_a_removed_entry_leaves(own_db: str) -> None:
    await _appended(own_db, 6)
    ids = await _ids(own_db)
    await _sql(own_db, f"DELETE FROM audit_entry WHERE id = {ids[2]}")
    verdict = await check_chain(own_db)
    assert verdict.broken is not None
    assert verdict.broken.entry_id == ids[3]
    assert f"does not follow entry {ids[1]}" in verdict.broken.reason


async def test_the_check_finds_a_forged_entry_slipped_into_the_chain(own_db: str) -> None:
    await _appended(own_db, 3)
    # a transaction that rolled back left a gap in the ids; a forger fills it with a well-hashed entry
    engine = create_engine(own_db)
    try:
        async with create_sessionmaker(engine)() as session:
            await session.begin()
            await append(session, principal=READER, reads=[Read(uuid4(), "read-personal-data")])
            await session.rollback()
    finally:
        await engine.dispose()
    await _appended(own_db, 2)
    ids = await _ids(own_db)
    gap = next(i for i in range(ids[0], ids[-1]) if i not in ids)
    conn = await asyncpg.connect(asyncpg_dsn(own_db))
    try:
        before = await conn.fetchval("SELECT hash FROM audit_entry WHERE id = $1", gap - 1)
    finally:
        await conn.close()
    forged = AuditEntry(
        id=gap,
        actor="cw-innocent",
        role="caseworker",
        action="read-personal-data",
        participant_id=uuid4(),
        at=datetime.now(UTC),
        prev_hash=before,
    )
    forged.hash = entry_hash(forged)
    await _sql(
        own_db,
        "INSERT INTO audit_entry (id, actor, role, action, participant_id, at, prev_hash, hash) VALUES "
        f"({gap}, 'cw-innocent', 'caseworker', 'read-personal-data', '{forged.participant_id}', "
        f"'{forged.at.isoformat()}', '{before}', '{forged.hash}')",
        bypass=False,  # an INSERT is what the trigger allows; the chain is what catches it
    )
    verdict = await check_chain(own_db)
    assert verdict.broken is not None
    assert verdict.broken.entry_id == gap + 1  # the forged entry holds on its own; its successor does not follow it
    assert verdict.count == 4


async def test_removing_the_newest_entries_is_caught_against_an_anchor_kept_elsewhere(own_db: str) -> None:
    await _appended(own_db, 4)
    anchor = await check_chain(own_db)
    assert anchor.head_id is not None and anchor.broken is None
    await _sql(own_db, f"DELETE FROM audit_entry WHERE id = {anchor.head_id}")
    assert (await check_chain(own_db)).broken is None  # nothing after it to notice the loss
    verdict = await check_chain(own_db, anchor=(anchor.head_id, anchor.head_hash))
    assert verdict.broken is not None and verdict.broken.entry_id == anchor.head_id
    await _appended(own_db, 1)
    assert (await check_chain(own_db, anchor=(anchor.head_id, anchor.head_hash))).broken is not None


# --- the command ----------------------------------------------------------------------------------------------------
def _command(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INTAKE_DATABASE_URL": url, "INTAKE_DATA_KEY": KEY, "INTAKE_LOOKUP_KEY": KEY}
    return subprocess.run(
        [sys.executable, "-m", "services.intake.audit.check", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_the_check_command_says_ok_then_names_the_broken_entry_and_fails(own_db: str) -> None:
    await _appended(own_db, 3)
    healthy = await asyncio.to_thread(_command, own_db)
    assert healthy.returncode == 0, healthy.stderr
    assert healthy.stdout.startswith("OK: 3 audit entries"), healthy.stdout
    head = healthy.stdout.strip().rsplit("head ", 1)[1]
    assert (await asyncio.to_thread(_command, own_db, "--anchor", head)).returncode == 0

    ids = await _ids(own_db)
    await _sql(own_db, f"UPDATE audit_entry SET participant_id = '{uuid4()}' WHERE id = {ids[1]}")
    broken = await asyncio.to_thread(_command, own_db)
    assert broken.returncode == 1
    assert broken.stdout.startswith(f"BROKEN at audit entry {ids[1]}:"), broken.stdout


async def test_the_check_command_refuses_a_malformed_anchor(own_db: str) -> None:
    refused = await asyncio.to_thread(_command, own_db, "--anchor", "12:not-a-hash")
    assert refused.returncode == 2
    assert "ID:HASH" in refused.stderr


# --- the migration ----------------------------------------------------------------------------------------------------
async def test_the_migration_chains_the_entries_written_before_it(databases: Databases) -> None:
    name = f"audit_old_{uuid4().hex[:8]}"
    await databases.server.ensure_database(name)
    url = databases.server.url(name)
    config = alembic_config(url, migrations_dir("intake"))
    await asyncio.to_thread(command.upgrade, config, "0007")
    await _sql(
        url,
        *(
            "INSERT INTO audit_entry (actor, role, action, participant_id, at) VALUES "
            f"('cw-{n}', 'caseworker', 'read-personal-data', '{uuid4()}', now() - interval '{n} days')"
            for n in range(5)
        ),
        bypass=False,
    )
    await asyncio.to_thread(command.upgrade, config, "head")
    assert (await check_chain(url)).count == 5
    await _appended(url, 2)
    verdict = await check_chain(url)
    assert (verdict.broken, verdict.count) == (None, 7)
    await asyncio.to_thread(command.downgrade, config, "0007")  # and back: the trigger and the columns go
    await _sql(url, "UPDATE audit_entry SET actor = actor", bypass=False)
    await asyncio.to_thread(command.upgrade, config, "head")
    assert (await check_chain(url)).count == 7
