"""The register extract's import, beside PostgreSQL's COPY of the same file.

    .venv/bin/python -m bench.register_import [--rows 1000000] [--participants 10000]

Starts PostgreSQL in a temporary folder and migrates intake's database; puts `--participants` participants in it
(their keyed CPR hashes, each with a six-month check that fell due three weeks ago); writes a synthetic DREAM
extract of `--rows` rows (the participants and made-up people referred nowhere, 31 weeks and their months); then
times `services.intake.register.imports.import_file` over it (checked whole, then matched, audited and published
2,000 rows to a transaction) and, as the reference in the same run, PostgreSQL's COPY of the same file into a table of
its columns as text. Prints both rates and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import logging
import os
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import asyncpg

from deploy.ports import free_port
from deploy.postgres import PostgresServer
from deploy.stack import ROOT
from deploy.synthetic import synthetic_citizen
from deploy.synthetic_register import Check, plan, write_extract
from services.intake.register.domain import Week
from services.intake.register.imports import import_file
from services.intake.register_import import operator
from services.intake.vault import Vault
from shared.db import create_engine, create_sessionmaker
from shared.fund_rules import six_months_after
from shared.logging import configure_logging
from shared.migrate import upgrade

TODAY = date.today()


async def participants(dsn: str, vault: Vault, n: int, rng: random.Random) -> list[tuple[str, list[Check]]]:
    """n participants with a due six-month check each, straight into intake's tables; their CPR numbers and checks."""
    people: list[tuple[str, list[Check]]] = []
    rows, entries = [], []
    left = TODAY - timedelta(days=205)
    due = six_months_after(left)
    seen: set[str] = set()
    while len(people) < n:
        cpr = synthetic_citizen(rng).cpr.replace("-", "")
        if cpr in seen:
            continue  # a made-up number drawn twice: one active referral per citizen
        seen.add(cpr)
        i, pid = len(people), uuid4()
        people.append((cpr, [Check(due, None)]))
        rows.append((pid, f"B-{i:08d}", vault.lookup_hash(cpr)))
        data = {
            "participant_id": str(pid),
            "check": "six-month",
            "exit_number": 1,
            "left_on": left.isoformat(),
            "due_on": due.isoformat(),
            "counts_until": (due + timedelta(days=56)).isoformat(),
            "proposed_situation": None,
        }
        entries.append((pid, uuid4(), "followup.check-scheduled", datetime.now(UTC), json.dumps(data)))
    connection = await asyncpg.connect(dsn)
    try:
        await connection.executemany(
            "INSERT INTO participant (id, case_reference, status, programme_id, subproject_id, municipality,"
            " caseworker_subject, caseworker_email, cpr_hash, legal_basis, consent_given_on, referred_on,"
            " characteristics, created_at) VALUES ($1, $2, 'active', 'bench', 'bench-sub', '751', 'cw', "
            " 'cw@example.org', $3, 'consent', '2025-01-01', '2025-01-01', '{}', now())",
            rows,
        )
        await connection.executemany(
            "INSERT INTO timeline_entry (participant_id, event_id, event_type, occurred_at, data)"
            " VALUES ($1, $2, $3, $4, $5::jsonb)",
            entries,
        )
    finally:
        await connection.close()
    return people


async def copy_reference(dsn: str, path: Path) -> float:
    """PostgreSQL's COPY of the file into a table of its columns as text: seconds."""
    header = path.open(encoding="utf-8").readline().strip().split(",")
    connection = await asyncpg.connect(dsn)
    try:
        columns = ", ".join(f'"{name}" text' for name in header)
        await connection.execute(f"CREATE TABLE extract_copy ({columns})")
        began = time.perf_counter()
        await connection.copy_to_table("extract_copy", source=path, format="csv", header=True)
        return time.perf_counter() - began
    finally:
        await connection.close()


async def main(rows: int, how_many: int) -> None:
    """Start PostgreSQL, fill intake, write the extract, import it, COPY it, print."""
    configure_logging("bench", level=logging.WARNING)
    state = Path(tempfile.mkdtemp(prefix="rummelig-bench-register-"))
    postgres = PostgresServer(state / "postgres", port=free_port())
    await asyncio.to_thread(postgres.start)
    rng = random.Random(23)
    key = base64.b64encode(os.urandom(32)).decode()
    vault = Vault.from_base64({"k1": key}, "k1", base64.b64encode(os.urandom(32)).decode())
    try:
        await postgres.ensure_database("intake")
        await asyncio.to_thread(upgrade, postgres.url("intake"), ROOT / "services" / "intake" / "migrations")
        people = await participants(postgres.dsn("intake"), vault, how_many, rng)
        path = state / "extract.csv"
        last = Week.of(TODAY - timedelta(weeks=1))
        first = Week.of(last.monday - timedelta(weeks=30))
        print(f"[bench] writing {rows:,} rows ...", flush=True)
        planned = plan(people, agreement=0.8, rng=rng)
        written = write_extract(path, planned, first=first, last=last, others=rows - how_many, rng=rng)
        size = path.stat().st_size
        print(f"[bench] {written:,} rows, {size / 1e6:,.0f} MB; importing ...", flush=True)
        engine = create_engine(postgres.url("intake"), pool_size=2, statement_seconds=None)
        shown = [0]

        def progress(done: int, total: int, matched: int, observed: int) -> None:
            if done - shown[0] >= 100_000 or done == total:
                shown[0] = done
                print(f"[import +{time.perf_counter() - began:6.1f} s] {done:,}/{total:,}, {observed:,} findings")

        began = time.perf_counter()
        with path.open("rb") as file:
            done = await import_file(
                file,
                create_sessionmaker(engine),
                vault,
                principal=operator("bench"),
                max_bytes=8 << 30,
                today=TODAY,
                progress=progress,
            )
        imported = time.perf_counter() - began
        await engine.dispose()
        copied = await copy_reference(postgres.dsn("intake"), path)
    finally:
        postgres.stop()
    ours, reference = done.rows / imported, written / copied
    print(
        f"\n{written:,} rows ({size / 1e6:,.0f} MB), {done.matched:,} participants matched, {done.observed:,} findings"
    )
    print(f"  PostgreSQL's COPY of the file (the reference)  {reference:>10,.0f} rows/s ({copied:.1f} s)")
    print(f"  import: checked, matched, audited, published   {ours:>10,.0f} rows/s ({imported:.1f} s)")
    print(f"  import / COPY: {ours / reference:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--participants", type=int, default=10_000)
    args = parser.parse_args()
    asyncio.run(main(args.rows, args.participants))
