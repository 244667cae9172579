"""Reading the log into reporting's fresh projection for a rebuild (services.reporting.rebuild): the bulk folded in
memory by a process per share of the participants and written with COPY, what came after applied in transactions.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from sqlmodel.ext.asyncio.session import AsyncSession

from services.reporting.catalogue import HANDLERS as CATALOGUE_HANDLERS
from services.reporting.handlers import HANDLERS
from services.reporting.tables import ParticipantProgress
from shared.consumer import Consumer
from shared.db import SessionMaker, asyncpg_dsn, unit_of_work
from shared.envelope import CloudEvent, InvalidEvent
from shared.row_fold import RowFold

SERVICE = "reporting"
SCHEMA = "rebuild"  # where the fresh projection fills
TABLE = "participant_progress"
BATCH = 500
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Share:
    """The participants one process folds: those on its partitions (`by_partition`), or else those whose record key
    hashes to `index` of `of`."""

    index: int = 0
    of: int = 1
    by_partition: bool = False

    def partitions(self, ends: dict[TopicPartition, int]) -> dict[TopicPartition, int]:
        """The partitions (and their ends) the share reads."""
        if not self.by_partition:
            return ends
        return {tp: end for tp, end in ends.items() if tp.partition % self.of == self.index}

    def holds(self, record: ConsumerRecord[Any, Any]) -> bool:
        """True if the record's participant is this share's."""
        return self.of == 1 or self.by_partition or zlib.crc32(record.key or b"") % self.of == self.index


def replaying_consumer() -> Consumer:
    """Reporting's consumer without the catalogue (its read model is not rebuilt: the compacted topic keeps it)."""
    return Consumer(SERVICE, {k: v for k, v in HANDLERS.items() if k not in CATALOGUE_HANDLERS})


class Fold(RowFold):
    """The fresh projection built in memory, for the bulk of the replay: the session the handlers get, with no round
    trip per event; written with COPY once it is all applied."""

    def __init__(self) -> None:
        super().__init__(ParticipantProgress, "participant_id", complete=True)
        self.applied: set[UUID] = set()  # the events applied: the processed marks


async def write_fold(dsn: str, fold: Fold) -> None:
    """The folded rows and the processed marks into the fresh schema, by COPY."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.copy_records_to_table(
            TABLE,
            schema_name=SCHEMA,
            columns=fold.columns,
            records=fold.values(),
        )
        now = datetime.now(UTC)
        await conn.copy_records_to_table(
            "processed_event",
            schema_name=SCHEMA,
            columns=["consumer", "event_id", "processed_at"],
            records=((SERVICE, event_id, now) for event_id in fold.applied),
        )
    finally:
        await conn.close()


class Replay:
    """Applies records to the fresh table, in memory or many to a transaction, and says how far it has come."""

    def __init__(
        self, kafka: AIOKafkaConsumer, consumer: Consumer, sessions: SessionMaker | None, progress: Progress
    ) -> None:
        self._kafka, self._consumer, self._sessions, self._progress = kafka, consumer, sessions, progress
        self.done = 0
        self._said = 0.0

    async def end_offsets(self, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        """Where the topics end now."""
        ends: dict[TopicPartition, int] = await self._kafka.end_offsets(partitions)
        return ends

    async def until(self, ends: dict[TopicPartition, int], started: float) -> None:
        """Apply every record below the given end offsets."""
        total = sum(ends.values())
        while await self._behind(ends):
            batches = await self._kafka.getmany(*ends, timeout_ms=1000, max_records=BATCH)
            records = [r for tp, rs in batches.items() for r in rs if r.offset < ends[tp]]
            if records:
                assert self._sessions is not None, "a replay that applies has sessions"
                async with unit_of_work(self._sessions) as session:
                    for record in records:
                        await self._apply(session, record)
                self.done += len(records)
            self._say(total, started)

    async def fold_until(self, ends: dict[TopicPartition, int], started: float, share: Share) -> Fold:
        """Fold every record of the share's participants below the given end offsets into rows in memory."""
        fold, total = Fold(), sum(ends.values())
        while await self._behind(ends):
            batches = await self._kafka.getmany(*ends, timeout_ms=1000, max_records=BATCH)
            records = [r for tp, rs in batches.items() for r in rs if r.offset < ends[tp]]
            for record in records:
                if share.holds(record):
                    await self._fold(fold, record)
            self.done += len(records)
            self._say(total, started)
        return fold

    async def _fold(self, fold: Fold, record: ConsumerRecord[Any, Any]) -> None:
        try:
            event = CloudEvent.from_kafka(record.headers, record.value)
            handler = self._consumer.handler_for(event, record.topic)
            if handler is None or event.id in fold.applied:
                return  # not reporting's business, or a duplicate the live consumer skipped too
            data = self._consumer.registry.parse(event)
        except InvalidEvent:
            return  # the live consumer dead-lettered it too: nothing to count
        fold.applied.add(event.id)
        await handler(cast(AsyncSession, fold), data, event)

    async def _apply(self, session: AsyncSession, record: ConsumerRecord[Any, Any]) -> None:
        try:
            event = CloudEvent.from_kafka(record.headers, record.value)
            await self._consumer.apply_in(session, event, topic=record.topic)
        except InvalidEvent:
            pass  # the live consumer dead-lettered it too: nothing to count

    async def _behind(self, ends: dict[TopicPartition, int]) -> bool:
        for tp, end in ends.items():
            if await self._kafka.position(tp) < end:
                return True
        return False

    def _say(self, total: int, started: float) -> None:
        now = time.monotonic()
        if now - self._said < 1 and self.done < total:
            return
        self._said = now
        rate = self.done / max(now - started, 1e-9)
        left = max(total - self.done, 0) / rate if rate else 0
        self._progress(f"{self.done:,} of {total:,} events, {rate:,.0f}/s, about {left:.0f} s left")


def fold_share(
    database_url: str, bootstrap_servers: str, options: dict[str, Any], ends: list[tuple[str, int, int]], share: Share
) -> tuple[int, int]:
    """In a process of its own: fold the share's participants and write them; how many, and the events read."""
    return asyncio.run(_fold_and_write(database_url, bootstrap_servers, options, ends, share))


async def _fold_and_write(
    database_url: str, bootstrap_servers: str, options: dict[str, Any], ends: list[tuple[str, int, int]], share: Share
) -> tuple[int, int]:
    kafka = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, enable_auto_commit=False, isolation_level="read_committed", **options
    )
    until = {TopicPartition(topic, partition): end for topic, partition, end in ends}
    await kafka.start()
    try:
        kafka.assign(list(until))
        await kafka.seek_to_beginning(*until)
        replay = Replay(kafka, replaying_consumer(), None, lambda _: None)
        fold = await replay.fold_until(until, time.monotonic(), share)
    finally:
        await kafka.stop()
    await write_fold(asyncpg_dsn(database_url), fold)
    return len(fold.rows), replay.done
