"""Rebuild reporting's projection from the log: replay every fact topic from the beginning into a fresh table, then
switch the service over without stopping it (with the figures' counts, services.reporting.figure_cube).

    .venv/bin/python -m services.reporting.rebuild      (REPORTING_DATABASE_URL, REPORTING_KAFKA__BOOTSTRAP_SERVERS)

The fresh table lives in a schema of its own (`rebuild`) while it fills, through the very handlers the live consumer
runs: the bulk of the log folded into rows in memory (the handlers only get and add their participant's row, as they
do in the live consumer's polls: shared/row_fold.py) and written with COPY, by two processes, each folding its share
of the participants: the partitions of its number (every fact topic has as many partitions, and every producer puts a
key on the partition of the same number: shared.relay.partition_of), or else the keys that hash to it. What arrives
after that goes many events to a transaction; the live service goes on consuming and
answering from the old table. To switch, the rebuild takes the lock every live consumer transaction holds shared
(services.reporting.main), so that nothing is half-applied; applies what reached the topics meanwhile; marks every
replayed event as processed for the live consumer, so that it skips what the new table has; and swaps the tables by
renaming them. Readers wait only for the rename. The replaced table is kept as `participant_progress_replaced` until
the next rebuild.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from services.reporting.figure_cube import TABLE as CUBE
from services.reporting.figure_cube import TRENDS_TABLE, cube_for_rebuild, ensure_cube
from services.reporting.replay import SCHEMA, TABLE, Progress, Replay, Share, fold_share, replaying_consumer, write_fold
from services.reporting.settings import ReportingSettings
from shared.db import asyncpg_dsn, create_engine, create_sessionmaker
from shared.kafka import client_options
from shared.lag import partitions_of
from shared.topics import FACT_TOPICS

LOCK_KEY = 72_015_001
# Every live consumer transaction starts with this (shared: they do not wait for each other) ...
LIVE_GUARD = f"SELECT pg_advisory_xact_lock_shared({LOCK_KEY})"
# ... and the switch with this, which waits for those in flight and holds back new ones until it commits.
SWITCH_LOCK = f"SELECT pg_advisory_xact_lock({LOCK_KEY})"
COUNT_ROWS = "SELECT count(*) FROM public.participant_progress"
SHARES = 2  # processes folding the bulk of the log: the machine's two cores


@dataclass(frozen=True)
class Rebuilt:
    """What a rebuild did."""

    events: int
    seconds: float
    participants: int

    @property
    def rate(self) -> float:
        """Events per second."""
        return self.events / self.seconds if self.seconds else 0.0


async def rebuild(
    database_url: str,
    bootstrap_servers: str,
    *,
    progress: Progress = print,
    kafka_options: Mapping[str, Any] | None = None,
) -> Rebuilt:
    """Replay the fact topics into a fresh projection and switch the live service over to it (`kafka_options`: how
    the clients authenticate, shared.kafka.client_options)."""
    options = {k: v for k, v in (kafka_options or {}).items() if k != "bootstrap_servers"}
    started = time.monotonic()
    live = create_engine(database_url, statement_seconds=None)
    fresh = create_async_engine(
        database_url, pool_size=2, connect_args={"server_settings": {"search_path": f"{SCHEMA},public"}}
    )
    kafka = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, enable_auto_commit=False, isolation_level="read_committed", **options
    )
    try:
        async with live.begin() as conn:
            await conn.execute(text(SWITCH_LOCK))
            await ensure_cube(conn)  # the functions the fresh counts are kept by
        async with live.begin() as conn:
            for statement in (
                f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE",
                f"CREATE SCHEMA {SCHEMA}",
                f"CREATE TABLE {SCHEMA}.{TABLE} (LIKE public.{TABLE} INCLUDING ALL)",
                f"CREATE TABLE {SCHEMA}.processed_event (LIKE public.processed_event INCLUDING ALL)",
            ):
                await conn.execute(text(statement))
            indexed = await _without_indexes(conn)  # COPY fills them faster, and the indexes are built once after
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **options)
        await admin.start()
        try:
            partitions = await partitions_of(admin, FACT_TOPICS)
        finally:
            await admin.close()
        await kafka.start()
        kafka.assign(partitions)
        await kafka.seek_to_beginning(*partitions)
        replay = Replay(kafka, replaying_consumer(), create_sessionmaker(fresh), progress)
        ends = await replay.end_offsets(partitions)
        # the other shares in processes of their own (not where an SSL context, which cannot be pickled, is needed)
        shares = 1 if "ssl_context" in options else SHARES
        counts = {tp.topic: sum(1 for p in partitions if p.topic == tp.topic) for tp in partitions}
        by_partition = len(set(counts.values())) == 1 and min(counts.values()) >= shares
        mine, *theirs = [Share(i, shares, by_partition) for i in range(shares)]
        with ProcessPoolExecutor(max(shares - 1, 1), mp_context=multiprocessing.get_context("spawn")) as pool:
            loop = asyncio.get_running_loop()
            others = [
                loop.run_in_executor(
                    pool,
                    fold_share,
                    database_url,
                    bootstrap_servers,
                    options,
                    [(tp.topic, tp.partition, end) for tp, end in share.partitions(ends).items()],
                    share,
                )
                for share in theirs
            ]
            kafka.assign(list(mine.partitions(ends)))  # what is not its share's, it does not read at all
            await kafka.seek_to_beginning(*mine.partitions(ends))
            fold = await replay.fold_until(mine.partitions(ends), started, mine)
            progress(f"writing {len(fold.rows):,} participants and {len(fold.applied):,} processed marks ...")
            await write_fold(asyncpg_dsn(database_url), fold)
            for written, read in await asyncio.gather(*others):
                replay.done += read
                progress(f"another process wrote {written:,} participants ({read:,} events)")
        async with live.begin() as conn:
            for statement in indexed:
                await conn.execute(text(statement))
        kafka.assign(partitions)  # every partition from where the fold stopped, for what came meanwhile
        for tp, end in ends.items():
            kafka.seek(tp, end)
        progress("counting the figures ahead ...")
        async with fresh.begin() as conn:  # counted once in bulk, then kept as the rest arrives
            await cube_for_rebuild(conn, SCHEMA)
        progress("catching up and switching over ...")
        await _switch(live, replay, partitions, started)
        async with live.connect() as conn:
            participants = int((await conn.execute(text(COUNT_ROWS))).scalar_one())
        done = Rebuilt(replay.done, time.monotonic() - started, participants)
        progress(f"switched over: {done.events:,} events in {done.seconds:.1f} s ({done.rate:,.0f}/s)")
        return done
    finally:
        await kafka.stop()
        await fresh.dispose()
        await live.dispose()


async def _switch(live: AsyncEngine, replay: Replay, partitions: list[TopicPartition], started: float) -> None:
    """Hold back the live consumer, catch up, hand it the replayed events as processed, and swap the tables."""
    async with live.begin() as conn:
        await conn.execute(text(SWITCH_LOCK))
        await replay.until(await replay.end_offsets(partitions), started)
        await conn.execute(
            text("INSERT INTO public.processed_event SELECT * FROM rebuild.processed_event ON CONFLICT DO NOTHING")
        )
        old = [
            (r[0], r[1])
            for r in (
                await conn.execute(
                    text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = :t"),
                    {"t": TABLE},
                )
            ).all()
        ]
        await conn.execute(text(f"DROP TABLE IF EXISTS public.{TABLE}_replaced"))
        await conn.execute(text(f"ALTER TABLE public.{TABLE} RENAME TO {TABLE}_replaced"))
        for name, _ in old:
            await conn.execute(text(f'ALTER INDEX public."{name}" RENAME TO "{name}_replaced"'))
        await conn.execute(text(f"ALTER TABLE {SCHEMA}.{TABLE} SET SCHEMA public"))
        new = {
            _shape(r[1]): r[0]
            for r in (
                await conn.execute(
                    text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = :t"),
                    {"t": TABLE},
                )
            ).all()
        }
        for name, definition in old:  # the migrations' names, so that the next migration finds them
            current = new.get(_shape(definition))
            if current is not None and current != name:
                await conn.execute(text(f'ALTER INDEX public."{current}" RENAME TO "{name}"'))
        # the fresh counts with the fresh table; the replaced table keeps nothing any more
        await conn.execute(text(f"DROP TRIGGER IF EXISTS figure_count_kept ON public.{TABLE}_replaced"))
        for kept in (CUBE, TRENDS_TABLE):
            await conn.execute(text(f"DROP TABLE IF EXISTS public.{kept}"))
            await conn.execute(text(f"ALTER TABLE {SCHEMA}.{kept} SET SCHEMA public"))
        await conn.execute(text(f"DROP SCHEMA {SCHEMA} CASCADE"))


async def _without_indexes(conn: AsyncConnection) -> list[str]:
    """Drop the fresh tables' keys and indexes; the statements that make them again, as the live tables have them."""
    keys = (
        await conn.execute(
            text(
                "SELECT t.relname, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c"
                " JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace"
                " WHERE n.nspname = :schema AND c.contype IN ('p', 'u') ORDER BY t.relname, c.conname"
            ),
            {"schema": SCHEMA},
        )
    ).all()
    indexes = (
        await conn.execute(
            text("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = :schema ORDER BY indexname"),
            {"schema": SCHEMA},
        )
    ).all()
    of_keys = {name for _, name, _ in keys}
    again = [f'ALTER TABLE {SCHEMA}."{table}" ADD CONSTRAINT "{name}" {how}' for table, name, how in keys]
    again += [definition for name, definition in indexes if name not in of_keys]
    for table, name, _ in keys:
        await conn.execute(text(f'ALTER TABLE {SCHEMA}."{table}" DROP CONSTRAINT "{name}"'))
    for name, _ in indexes:
        if name not in of_keys:
            await conn.execute(text(f'DROP INDEX {SCHEMA}."{name}"'))
    return again


def _shape(indexdef: str) -> str:
    """An index definition without its name and table: what it indexes, and how."""
    return indexdef.split(" USING ", 1)[1] + (" unique" if " UNIQUE " in indexdef else "")


def main() -> None:
    """Rebuild the projection of the reporting database the settings name."""
    settings = ReportingSettings()
    options = client_options(settings.kafka)
    asyncio.run(rebuild(settings.database_url, settings.kafka.bootstrap_servers, kafka_options=options))


if __name__ == "__main__":
    main()
