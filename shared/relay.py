"""The outbox relay: publishes committed outbox rows in id order with the idempotent producer.

One relay per database holds a PostgreSQL advisory lock while it works, so with several replicas only one
publishes and each participant's events leave in the order they were written. A crash between publishing and
deleting re-publishes a batch; consumers are idempotent by event id, so that costs nothing.

The relay publishes through a producer of its own (RecordProducer: aiokafka's, without FastStream's work per
message, which was a third of the relay's CPU), queues a batch's sends at once and deletes the published batch in one
statement: Kafka keeps the events, and marking a row published was an UPDATE PostgreSQL could not do in place (the
partial index of unpublished rows reads the column it set), a second copy of every row with its index entries.
After a wake-up that found only a few rows it lingers a moment, so that under load a batch holds the commits of
several transactions instead of one.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections import Counter
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, Protocol

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner, murmur2
from opentelemetry.trace import SpanKind

from shared.logging import get_logger
from shared.metrics import EVENTS_PUBLISHED
from shared.outbox import NOTIFY_CHANNEL
from shared.tracing import inject, span_from

log = get_logger(__name__)
RELAY_LOCK_KEY = 0x52554D4D  # one relay leader per service database
LINGER_SECONDS = 0.005  # after a wake-up that found less than LINGER_BELOW rows: what a later commit adds waits this
LINGER_BELOW = 20


class Publisher(Protocol):
    """What the relay needs of a broker."""

    async def publish(
        self, message: bytes, topic: str, *, key: bytes, headers: dict[str, str], no_confirm: bool
    ) -> Awaitable[object]: ...


class RecordProducer:
    """An idempotent aiokafka producer with the relay's publish (`options`: shared.kafka.client_options)."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        self._options = options
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        """Connect (aiokafka makes its producer inside the running loop)."""
        self._producer = AIOKafkaProducer(
            **self._options, enable_idempotence=True, acks="all", partitioner=partition_of, client_id="outbox-relay"
        )
        await self._producer.start()

    async def stop(self) -> None:
        """Send what is queued and disconnect."""
        if self._producer is not None:
            await self._producer.stop()

    async def publish(
        self, message: bytes, topic: str, *, key: bytes, headers: dict[str, str], no_confirm: bool
    ) -> Awaitable[object]:
        """Queue a record; returns what its delivery can be awaited on."""
        assert self._producer is not None, "started first"
        sent: Awaitable[object] = await self._producer.send(
            topic, message, key=key, headers=[(k, v.encode()) for k, v in headers.items()]
        )
        return sent


@functools.lru_cache(maxsize=65_536)
def _key_hash(key: bytes) -> int:
    return int(murmur2(key)) & 0x7FFFFFFF


def partition_of(key: bytes | None, all_partitions: Sequence[int], available: Sequence[int]) -> int:
    """Kafka's default partitioner (murmur2 of the key, as Java's and FastStream's producers), its hash kept per key:
    aiokafka computes it in pure Python, an eighth of the relay's CPU, and a participant's key comes back."""
    if key is None:
        return int(DEFAULT_PARTITIONER(key, all_partitions, available))
    return all_partitions[_key_hash(key) % len(all_partitions)]


DEFAULT_PARTITIONER = DefaultPartitioner()


class OutboxRelay:
    """Moves committed outbox rows to Kafka."""

    def __init__(
        self, *, dsn: str, publisher: Publisher, poll_seconds: float = 2.0, batch_size: int = 200, service: str = "?"
    ) -> None:
        self._dsn = dsn
        self._service = service
        self._publisher = publisher
        self._poll = poll_seconds
        self._batch = batch_size
        self._wake = asyncio.Event()

    async def run(self) -> None:
        """Relay until cancelled; reconnects after database or broker failures."""
        while True:
            try:
                await self._lead()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the relay must outlive any single failure
                log.warning("outbox relay failed, retrying", error=repr(exc))
                await asyncio.sleep(1.0)

    async def _lead(self) -> None:
        conn: asyncpg.Connection = await asyncpg.connect(self._dsn)
        try:
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK_KEY):
                await asyncio.sleep(self._poll)
            await conn.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
            log.info("outbox relay leading")
            while True:
                self._wake.clear()
                published = await self.publish_batch(conn)
                if published == self._batch:
                    continue
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll)
                except TimeoutError:
                    continue
                if published < LINGER_BELOW:  # busy, in small commits: let a few more come into the next batch
                    await asyncio.sleep(LINGER_SECONDS)
        finally:
            await conn.close()

    def _about(self, topic: str) -> dict[str, str]:
        return {"messaging.system": "kafka", "messaging.destination.name": topic, "rummelig.service": self._service}

    async def publish_batch(self, conn: asyncpg.Connection) -> int:
        """Publish one batch of unpublished rows and delete them; returns how many."""
        rows = await conn.fetch(
            "SELECT id, topic, key, headers, payload FROM outbox_message"
            " WHERE published_at IS NULL ORDER BY id LIMIT $1",
            self._batch,
        )
        if not rows:
            return 0
        # Sends are queued in id order and awaited together; the idempotent producer keeps that order per partition.
        pending, published = [], Counter[tuple[str, str]]()
        for row in rows:
            headers = _headers(row)
            published[row["topic"], headers.get("ce_type", "?")] += 1
            with span_from(headers, f"{row['topic']} publish", SpanKind.PRODUCER, **self._about(row["topic"])):
                inject(headers)  # the consumers' spans are this one's children
                pending.append(
                    await self._publisher.publish(
                        row["payload"].encode(), row["topic"], key=row["key"].encode(), headers=headers, no_confirm=True
                    )
                )
        await asyncio.gather(*pending)
        await conn.execute("DELETE FROM outbox_message WHERE id = ANY($1::bigint[])", [r["id"] for r in rows])
        for (topic, kind), count in published.items():
            EVENTS_PUBLISHED.labels(self._service, topic, kind).inc(count)
        log.debug("outbox batch published", count=len(rows))
        return len(rows)


def _headers(row: asyncpg.Record) -> dict[str, str]:
    headers = row["headers"]
    return json.loads(headers) if isinstance(headers, str) else headers  # type: ignore[no-any-return]
