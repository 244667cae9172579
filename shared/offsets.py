"""Where a consumer's applied records end, committed to Kafka at most every few hundred milliseconds.

A commit after every poll was a request to the broker (and a record in its offsets topic) for every one or two
events at a steady rate: a large part of Kafka's CPU and of a consumer's. The inbox makes a record read again after
a crash harmless (it is skipped as a duplicate), so the offsets of the polls applied are kept and committed together,
the last of them a moment after the last poll. Only offsets of records whose transaction committed are ever
committed: never the consumer's position, which may be past a poll that is still being applied.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError

from shared.logging import get_logger

log = get_logger(__name__)
COMMIT_SECONDS = 0.2


class Committing(Protocol):
    """What is needed of a Kafka consumer: aiokafka's commit of given offsets."""

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None: ...


class AppliedOffsets:
    """The next offset to read of each partition whose records were applied, committed at most every `seconds`."""

    def __init__(self, seconds: float = COMMIT_SECONDS) -> None:
        self._seconds = seconds
        self._pending: dict[TopicPartition, int] = {}
        self._consumer: Committing | None = None
        self._last = 0.0
        self._later: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    async def applied(
        self, consumer: Committing, records: Iterable[ConsumerRecord[Any, Any]], rewound: Mapping[TopicPartition, int]
    ) -> None:
        """A poll's records are applied, but those of a rewound partition from its rewound offset on: commit now if
        the last commit is a while ago, else a moment from now."""
        ends: dict[TopicPartition, int] = {}
        for record in records:
            partition = TopicPartition(record.topic, record.partition)
            ends[partition] = max(ends.get(partition, 0), record.offset + 1)
        self._pending |= ends | dict(rewound)
        self._consumer = consumer
        if time.monotonic() - self._last >= self._seconds:
            await self.commit()
        elif self._later is None or self._later.done():
            self._later = asyncio.create_task(self._commit_later())

    async def _commit_later(self) -> None:
        await asyncio.sleep(self._seconds)
        await self.commit()

    async def commit(self) -> None:
        """Commit what is pending; kept for the next commit if the broker did not take it, dropped if the consumer
        no longer owns the partitions (their new owner reads from the last commit, and the inbox skips the rest)."""
        async with self._lock:
            if not self._pending or self._consumer is None:
                return
            offsets, self._pending = self._pending, {}
            self._last = time.monotonic()
            try:
                await self._consumer.commit(offsets)
            except (CommitFailedError, IllegalStateError) as exc:
                log.info("offsets of partitions no longer ours not committed", error=repr(exc))
            except Exception as exc:  # noqa: BLE001 - a broker outage: committed with the next ones
                log.warning("offsets not committed yet", error=repr(exc))
                self._pending = offsets | self._pending
