"""What one poll brings, applied together on a real migrated PostgreSQL (no Kafka: records are built by hand).

A poll's records commit in one transaction; one that fails is settled on its own while the others are applied;
each partition keeps its order; a record waiting for a fact from another topic lets the fact through first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, ClassVar
from uuid import uuid4

import pytest
from aiokafka import ConsumerRecord
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.batch_consumer import FACT_WAITS, BatchConsumer, PolledRecord
from shared.consumer import AwaitingFact, Consumer
from shared.db import SessionMaker, unit_of_work
from shared.dead_letter import OutageOutlasted
from shared.envelope import CloudEvent
from shared.registry import Contract, Registry
from tests.fixtures.handlers import rows

TOPIC = "test.batch.events"
REGISTRY = Registry()  # contracts of this test's own
attempts: Counter[str] = Counter()


@REGISTRY.register("test.step", 1, topics=TOPIC)
class Step(Contract):
    """A step that fails as often as it asks, or waits until the step `after` has been applied."""

    subject_field: ClassVar[str] = "key"
    key: str
    fail_times: int = 0
    after: str | None = None


async def on_step(session: AsyncSession, data: Step, event: CloudEvent) -> None:
    attempts[data.key] += 1
    if attempts[data.key] <= data.fail_times:
        raise RuntimeError("a bug in the handler")
    if data.after is not None:
        seen = await session.exec(  # type: ignore[call-overload]
            text("SELECT 1 FROM batch_step WHERE key = :k"), params={"k": data.after}
        )
        if seen.first() is None:
            raise AwaitingFact(f"{data.after} not applied yet")
    await session.exec(  # type: ignore[call-overload]
        text("INSERT INTO batch_step (consumer, key) VALUES (:c, :k)"), params={"c": event.source, "k": data.key}
    )


class Parking:
    """The broker's publish, recording what is parked on a dead-letter topic."""

    def __init__(self) -> None:
        self.parked: list[tuple[str, dict[str, str]]] = []

    async def publish(self, value: bytes, topic: str, *, key: bytes | None, headers: dict[str, str]) -> None:
        self.parked.append((topic, headers))


@pytest.fixture
async def db(service_sessions: Callable[[str], SessionMaker]) -> SessionMaker:
    """Intake's database (it has the processed marks), with a table of the steps applied, in commit order."""
    sessions = service_sessions("intake")
    async with unit_of_work(sessions) as session:
        await session.exec(  # type: ignore[call-overload]
            text("CREATE TABLE IF NOT EXISTS batch_step (seq bigserial PRIMARY KEY, consumer text, key text)")
        )
    return sessions


class Poll:
    """Records of one made-up poll, numbered per partition; the consumer named after the test."""

    def __init__(self) -> None:
        self.name = f"batch-{uuid4().hex[:10]}"
        self.offsets: Iterator[int] = iter(range(10_000))

    def record(self, partition: int, **step: Any) -> PolledRecord:
        event = REGISTRY.to_event(Step(**step), source=self.name)
        headers = [(k, v.encode()) for k, v in event.headers().items()]
        value = event.value()
        return ConsumerRecord(
            TOPIC, partition, next(self.offsets), 0, 0, step["key"].encode(), value, None, 0, len(value), headers
        )


def a_key() -> str:
    return uuid4().hex[:12]


def consumer_for(poll: Poll, db: SessionMaker, parking: Parking) -> BatchConsumer:
    return BatchConsumer(Consumer(poll.name, {Step: on_step}, REGISTRY), db, parking)  # type: ignore[arg-type]


async def applied(db: SessionMaker, poll: Poll) -> list[str]:
    found = await rows(db, "SELECT key FROM batch_step WHERE consumer = :c ORDER BY seq", c=poll.name)
    return [r["key"] for r in found]


async def transactions(db: SessionMaker, poll: Poll) -> int:
    found = await rows(
        db, "SELECT count(DISTINCT xmin::text) AS n FROM processed_event WHERE consumer = :c", c=poll.name
    )
    return int(found[0]["n"])


async def test_a_polls_records_are_applied_in_order_in_one_transaction(db: SessionMaker) -> None:
    poll, parking = Poll(), Parking()
    keys = [a_key() for _ in range(20)]
    await consumer_for(poll, db, parking).consume([poll.record(i % 3, key=k) for i, k in enumerate(keys)])
    assert await applied(db, poll) == keys
    assert await transactions(db, poll) == 1
    assert parking.parked == []


async def test_a_record_that_fails_once_is_retried_on_its_own_and_the_rest_are_applied(db: SessionMaker) -> None:
    poll, parking = Poll(), Parking()
    keys = [a_key() for _ in range(5)]
    records = [poll.record(0, key=k, fail_times=1 if i == 2 else 0) for i, k in enumerate(keys)]
    await consumer_for(poll, db, parking).consume(records)
    assert await applied(db, poll) == keys  # the partition's order kept
    assert attempts[keys[2]] == 2  # the try in the batch, then one on its own
    assert await transactions(db, poll) == 3  # the two before it, itself, the two after it
    assert parking.parked == []


async def test_a_record_that_keeps_failing_is_parked_and_the_rest_are_applied(db: SessionMaker) -> None:
    poll, parking = Poll(), Parking()
    keys = [a_key() for _ in range(4)]
    records = [poll.record(0, key=k, fail_times=99 if i == 1 else 0) for i, k in enumerate(keys)]
    await consumer_for(poll, db, parking).consume(records)
    assert await applied(db, poll) == [keys[0], keys[2], keys[3]]
    assert attempts[keys[1]] == 4  # the first try (in the batch) and three retries
    [(topic, headers)] = parking.parked
    assert topic == f"{TOPIC}.{poll.name}.dlt"
    assert (headers["dlt_reason"], headers["dlt_offset"]) == ("failed", str(records[1].offset))


async def test_a_record_that_is_no_event_is_parked_at_once(db: SessionMaker) -> None:
    poll, parking = Poll(), Parking()
    good = a_key()
    poison: PolledRecord = ConsumerRecord(TOPIC, 0, 99, 0, 0, b"k", b"{not json", None, 0, 9, [])
    await consumer_for(poll, db, parking).consume([poison, poll.record(0, key=good)])
    assert await applied(db, poll) == [good]
    assert [h["dlt_reason"] for _, h in parking.parked] == ["invalid"]


async def test_a_record_waiting_for_a_fact_in_the_same_poll_lets_it_through_and_keeps_its_partitions_order(
    db: SessionMaker,
) -> None:
    poll, parking = Poll(), Parking()
    fact, waiting, behind, other = a_key(), a_key(), a_key(), a_key()
    records = [
        poll.record(0, key=waiting, after=fact),  # overtook the fact it needs, which is on another partition
        poll.record(1, key=other),
        poll.record(0, key=behind),  # behind the waiting one in its partition: must not go first
        poll.record(2, key=fact),
    ]
    await consumer_for(poll, db, parking).consume(records)
    assert await applied(db, poll) == [other, fact, waiting, behind]
    assert parking.parked == []


async def test_a_record_whose_fact_has_not_come_is_read_again_later_and_the_others_are_applied(
    db: SessionMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("shared.dead_letter.OUTAGE_MAX_PAUSE", 0.01)
    poll, parking = Poll(), Parking()
    fact, waiting, behind, other = a_key(), a_key(), a_key(), a_key()
    records = [
        poll.record(0, key=waiting, after=fact),  # its fact is not in this poll
        poll.record(0, key=behind),
        poll.record(1, key=other),
    ]
    rewound: list[PolledRecord] = []
    await consumer_for(poll, db, parking).consume(records, rewound.append)
    assert await applied(db, poll) == [other]  # the rest of the waiting one's partition waits with it
    assert rewound == [records[0]]
    assert attempts[waiting] == 2 + FACT_WAITS  # in the poll, again after the others, once after each wait
    # the next poll brings the fact; the rewound partition is read again from the waiting record
    await consumer_for(poll, db, parking).consume([poll.record(2, key=fact), records[0], records[1]], rewound.append)
    assert await applied(db, poll) == [other, fact, waiting, behind]
    assert parking.parked == []


async def test_a_fact_that_never_comes_rewinds_the_poll_instead_of_parking(
    db: SessionMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("shared.dead_letter.OUTAGE_MAX_PAUSE", 0.01)
    monkeypatch.setattr("shared.dead_letter.OUTAGE_ATTEMPTS", 2)
    poll, parking = Poll(), Parking()
    first, waiting = a_key(), a_key()
    with pytest.raises(OutageOutlasted):  # NACK_ON_ERROR then rewinds each partition to its earliest record
        await consumer_for(poll, db, parking).consume(
            [poll.record(0, key=first), poll.record(1, key=waiting, after="never")]
        )
    assert await applied(db, poll) == [first]  # applied once; read again, it is a duplicate and skipped
    assert parking.parked == []
