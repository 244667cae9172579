"""One poll's records applied in one transaction: one commit and its round trips per poll, not per record.

Records are applied in the order they were polled, so each partition's order holds. If one fails, nothing of the
batch is kept: the records before it are applied again together, the failing one is settled on its own (retried,
waited for or parked: shared/dead_letter.py) and the rest go on as a batch. A record that waits for a fact from
another topic (AwaitingFact) steps aside, with the rest of its partition, until the others are through: the fact it
waits for may be in the same poll. If it has still not come after a moment, the partition is rewound to the record,
to be read again with a later poll: waiting on, the consumer would fetch nothing new, the fact included.

The records are parsed once, before the transaction, and the poll's processed marks are written with one statement.
Contracts that fold (Consumer.folded: reporting's facts, enrolment's and follow-up's referrals) get their poll applied
in memory first, with its rows loaded and written in a statement each; a poll that cannot be folded (a failure,
another contract) is applied as above.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, TypeAlias, cast

from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker
from opentelemetry.trace import SpanKind
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.consumer import AwaitingFact, Consumer, Delivery, Folded, Outcome
from shared.db import SessionMaker, run, unit_of_work
from shared.dead_letter import FactStillAwaited, settle
from shared.envelope import CloudEvent
from shared.logging import get_logger
from shared.metrics import BATCH_DURATION, BATCH_RECORDS, EVENTS_CONSUMED
from shared.row_fold import RowFold
from shared.tracing import record_headers, span_from

log = get_logger(__name__)

PolledRecord: TypeAlias = ConsumerRecord[Any, Any]
Rewind: TypeAlias = Callable[[PolledRecord], None]  # read a record's partition again from it, with a later poll
FACT_WAITS = 3  # about 1.75 s waiting for a fact in the poll's own time, then the record is read again later


def event_of(record: PolledRecord) -> CloudEvent:
    """The record's envelope; raises InvalidEvent for anything that is not one."""
    return CloudEvent.from_kafka(record.headers, record.value)


def _span(record: PolledRecord, group: str) -> AbstractContextManager[None]:
    """The record's processing by a consumer group, a span in the trace its headers carry on from the relay's."""
    return span_from(
        record_headers(record.headers),
        f"{record.topic} process",
        SpanKind.CONSUMER,
        **{
            "messaging.system": "kafka",
            "messaging.destination.name": record.topic,
            "messaging.consumer.group.name": group,
        },
    )


def _partition(record: PolledRecord) -> tuple[str, int]:
    return record.topic, record.partition


@dataclass(frozen=True)
class BatchConsumer:
    """A service's consumer applying what one poll brought, together where it can."""

    consumer: Consumer
    sessions: SessionMaker
    broker: KafkaBroker

    async def consume(self, records: Sequence[PolledRecord], rewind: Rewind | None = None) -> None:
        """Apply the records; those waiting for a fact go last, waited for a moment. One whose fact has still not
        come is rewound (`rewind`: its partition is read again from it with a later poll, which can bring the fact),
        or without `rewind` waited for as an outage is."""
        started = time.perf_counter()
        BATCH_RECORDS.labels(self.consumer.name).observe(len(records))
        try:
            waiting = await self._apply(list(records), step_aside=True)
            if waiting:
                await self._apply(waiting, step_aside=False, rewind=rewind)
        finally:
            BATCH_DURATION.labels(self.consumer.name).observe(time.perf_counter() - started)

    async def _apply(
        self, records: list[PolledRecord], *, step_aside: bool, rewind: Rewind | None = None
    ) -> list[PolledRecord]:
        """Apply the records in order; returns those that stepped aside (or were rewound), in their order."""
        aside: list[PolledRecord] = []
        blocked: set[tuple[str, int]] = set()
        while records:
            ready = [r for r in records if _partition(r) not in blocked]
            aside += [r for r in records if _partition(r) in blocked]
            failure = await self._together(ready)
            if failure is None:
                break
            at, error = failure
            if at is None:  # the transaction failed as a whole (its commit, say): each record on its own
                for record in ready:
                    await self._settle(record, None)
                break
            if at and await self._together(ready[:at]) is not None:  # they were fine a moment ago
                for record in ready[:at]:
                    await self._settle(record, None)
            failed = ready[at]
            if step_aside and isinstance(error, AwaitingFact):
                blocked.add(_partition(failed))
                aside.append(failed)
            else:
                try:
                    await self._settle(failed, error, fact_waits=FACT_WAITS if rewind else None)
                except FactStillAwaited:
                    assert rewind is not None  # only raised where there is one
                    rewind(failed)  # it and the rest of its partition come again, with whatever came meanwhile
                    blocked.add(_partition(failed))
                    aside.append(failed)
            records = ready[at + 1 :]
        return aside

    async def _together(self, records: Sequence[PolledRecord]) -> tuple[int | None, Exception] | None:
        """Apply the records in one transaction. None if it committed; else the index of the record that failed
        (None if none did) and the error, and nothing of the batch is kept."""
        deliveries: list[Delivery] = []
        for index, record in enumerate(records):
            try:
                deliveries.append(self.consumer.delivery(event_of(record), record.topic))
            except Exception as exc:  # noqa: BLE001 - an invalid record: the caller settles it on its own
                return index, exc
        folded = self.consumer.folded
        if folded is not None and await self._folded(records, deliveries, folded):
            return None
        at: int | None = None
        outcomes: list[tuple[PolledRecord, CloudEvent, Outcome]] = []
        try:
            async with unit_of_work(self.sessions) as session:
                if self.consumer.guard is not None:
                    await run(session, text(self.consumer.guard))
                first = await self.consumer.first_of(session, deliveries)  # the poll's marks, one statement
                for index, (record, delivery) in enumerate(zip(records, deliveries, strict=True)):
                    at = index
                    with _span(record, self.consumer.name):
                        outcome = await self.consumer.apply_marked(session, delivery, first)
                    outcomes.append((record, delivery.event, outcome))
                    # each record as if in a session of its own: flushed, and no object kept for the next one
                    await session.flush()
                    session.expunge_all()
                at = None
        except Exception as exc:  # noqa: BLE001 - the caller settles the failing record on its own
            return at, exc
        for record, event, outcome in outcomes:  # counted once committed: a batch rolled back is applied again
            self._count(record, event, outcome)
        return None

    async def _folded(self, records: Sequence[PolledRecord], deliveries: list[Delivery], folded: Folded) -> bool:
        """Apply the records folded in memory (shared/row_fold.py), in one transaction; False if they cannot be
        (another contract among them, a row not loaded, a failure) and nothing is kept: they are then applied record
        by record, where a failing one is found and settled."""
        if any(d.handler is not None and type(d.data) not in folded.contracts for d in deliveries):
            return False
        outcomes: list[tuple[PolledRecord, CloudEvent, Outcome]] = []
        try:
            async with unit_of_work(self.sessions) as session:
                if self.consumer.guard is not None:
                    await run(session, text(self.consumer.guard))
                first = await self.consumer.first_of(session, deliveries)
                fold = RowFold(folded.model, folded.key)
                await fold.load(session, [getattr(d.data, folded.key) for d in deliveries if d.event.id in first])
                rows = cast(AsyncSession, fold)  # the handlers' session: they only get and add rows
                for record, delivery in zip(records, deliveries, strict=True):
                    with _span(record, self.consumer.name):
                        outcome = await self.consumer.apply_marked(rows, delivery, first)
                    outcomes.append((record, delivery.event, outcome))
                await fold.write(session)
        except Exception as exc:  # noqa: BLE001 - applied record by record instead, where a failure is settled
            log.debug("poll not folded, applied record by record", error=repr(exc))
            return False
        for record, event, outcome in outcomes:
            self._count(record, event, outcome)
        return True

    def _count(self, record: PolledRecord, event: CloudEvent, outcome: Outcome) -> None:
        EVENTS_CONSUMED.labels(self.consumer.name, record.topic, event.type, outcome).inc()

    async def _settle(self, record: PolledRecord, failed_with: Exception | None, fact_waits: int | None = None) -> None:
        async def attempt() -> None:
            event = event_of(record)
            with _span(record, self.consumer.name):
                self._count(record, event, await self.consumer.outcome(self.sessions, event, topic=record.topic))

        await settle(
            self.broker, record, attempt, service=self.consumer.name, failed_with=failed_with, fact_waits=fact_waits
        )
