"""The shared consumer on the real broker: transient failures are retried, lasting ones parked, the stream goes on."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from typing import ClassVar
from uuid import uuid4

import pytest
from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from deploy.dead_letters import DLT_HEADERS, DeadLetter, list_dead_letters, replay
from deploy.stack import Stack
from shared.consumer import Consumer
from shared.db import SessionMaker, create_engine, create_sessionmaker
from shared.envelope import CloudEvent
from shared.inbox import ProcessedEvent
from shared.kafka import create_broker, provision_topics, subscribe_events
from shared.registry import Contract, Registry
from shared.topics import TopicSpec, dead_letter_topic
from tests.fixtures.kafka_tools import PARTITIONS, eventually, read_topic

pytestmark = pytest.mark.stack
TOPIC = "test.retry.events"
SERVICE = "retry-test"
attempts: Counter[str] = Counter()
applied: list[str] = []


REGISTRY = Registry()  # a contract of this test's own, on a topic of its own


@REGISTRY.register("test.flaky", 1, topics=TOPIC)
class Flaky(Contract):
    """An event that asks its handler to fail a number of times."""

    subject_field: ClassVar[str] = "key"
    key: str
    fail_times: int
    outage: bool = False


async def flaky(session: AsyncSession, data: Flaky, event: CloudEvent) -> None:
    """Fails as often as the event asks (with a bug, or as if the network were down), then succeeds."""
    attempts[event.subject] += 1
    if attempts[event.subject] <= data.fail_times:
        if data.outage:
            raise ConnectionRefusedError("the database is restarting")
        raise RuntimeError("a bug in the handler")
    applied.append(event.subject)


@pytest.fixture(scope="module")
async def consumer(stack: Stack) -> AsyncIterator[KafkaBroker]:
    """A consumer built with the shared wiring on a topic of its own, with its own database."""
    await stack.postgres.ensure_database("retry_test")
    engine = create_engine(stack.postgres.url("retry_test"))
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: SQLModel.metadata.create_all(c, tables=[ProcessedEvent.__table__]))  # type: ignore[attr-defined]
    sessions: SessionMaker = create_sessionmaker(engine)
    dlt = dead_letter_topic(TOPIC, SERVICE)
    await provision_topics(stack.kafka.bootstrap_servers, [TopicSpec(TOPIC, partitions=1), TopicSpec(dlt, 1)])
    PARTITIONS[TOPIC] = PARTITIONS[dlt] = 1
    broker = create_broker(stack.kafka.bootstrap_servers, service=SERVICE)
    subscribe_events(broker, Consumer(SERVICE, {Flaky: flaky}, REGISTRY), sessions=sessions)
    await broker.start()
    try:
        yield broker
    finally:
        await broker.stop()
        await engine.dispose()


def _event(fail_times: int, *, outage: bool = False) -> CloudEvent:
    return REGISTRY.to_event(Flaky(key=str(uuid4()), fail_times=fail_times, outage=outage), source="tests")


async def _send(producer: AIOKafkaProducer, event: CloudEvent) -> None:
    await producer.send_and_wait(
        TOPIC, event.value(), key=b"one-key", headers=[(k, v.encode()) for k, v in event.headers().items()]
    )


async def test_a_transient_failure_is_retried_and_applied_once(
    consumer: KafkaBroker, producer: AIOKafkaProducer, stack: Stack
) -> None:
    event = _event(fail_times=2)
    await _send(producer, event)
    await eventually(lambda: _async(event.subject in applied))
    assert attempts[event.subject] == 3
    assert applied.count(event.subject) == 1


async def test_a_lasting_failure_is_parked_with_its_reason_and_the_next_message_is_applied(
    consumer: KafkaBroker, producer: AIOKafkaProducer, stack: Stack
) -> None:
    doomed, after = _event(fail_times=99), _event(fail_times=0)
    await _send(producer, doomed)
    await _send(producer, after)  # same key, same partition: behind the doomed one
    await eventually(lambda: _async(after.subject in applied), timeout=30)
    assert doomed.subject not in applied
    assert attempts[doomed.subject] == 4  # the first try and three retries
    parked = [
        r
        for r in await read_topic(stack.kafka.bootstrap_servers, dead_letter_topic(TOPIC, SERVICE))
        if dict(r.headers)["ce_id"].decode() == str(doomed.id)
    ]
    assert len(parked) == 1
    headers = {k: v.decode() for k, v in parked[0].headers}
    assert headers["dlt_reason"] == "failed"
    assert "RuntimeError: a bug in the handler" in headers["dlt_error"]
    assert headers["dlt_consumer"] == SERVICE


async def test_an_outage_longer_than_the_retries_is_waited_out_and_never_parked(
    consumer: KafkaBroker, producer: AIOKafkaProducer, stack: Stack
) -> None:
    event = _event(fail_times=5, outage=True)  # more than the 3 retries a bug gets
    await _send(producer, event)
    await eventually(lambda: _async(event.subject in applied), timeout=60)
    assert attempts[event.subject] == 6
    parked = [
        r
        for r in await read_topic(stack.kafka.bootstrap_servers, dead_letter_topic(TOPIC, SERVICE))
        if dict(r.headers)["ce_id"].decode() == str(event.id)
    ]
    assert parked == []


async def test_a_dead_letter_replayed_after_the_fix_is_applied_once(
    consumer: KafkaBroker, producer: AIOKafkaProducer, stack: Stack
) -> None:
    fixed_later = _event(fail_times=4)  # fails through all retries, then works: as if the bug were fixed
    await _send(producer, fixed_later)
    await eventually(lambda: _async(attempts[fixed_later.subject] == 4), timeout=30)
    listed = await eventually(lambda: _listed(stack, fixed_later), timeout=30)
    assert listed[0].header("dlt_reason") == "failed"
    replayed = await replay(stack.kafka.bootstrap_servers, TOPIC, SERVICE)
    assert str(fixed_later.id) in [letter.header("ce_id") for letter in replayed]
    await eventually(lambda: _async(fixed_later.subject in applied), timeout=30)
    # A marker behind the replayed copy on the topic's one partition: the consumer handles the partition in order,
    # so once the marker is applied it is done with the copy, and a second application or a second parking of it
    # would show below.
    marker = _event(fail_times=0)
    await _send(producer, marker)
    await eventually(lambda: _async(marker.subject in applied), timeout=30)
    again = await replay(stack.kafka.bootstrap_servers, TOPIC, SERVICE)  # only letters parked since, if any
    assert str(fixed_later.id) not in [letter.header("ce_id") for letter in again]
    assert applied.count(fixed_later.subject) == 1
    copies = [
        r
        for r in await read_topic(stack.kafka.bootstrap_servers, TOPIC)
        if dict(r.headers)["ce_id"].decode() == str(fixed_later.id)
    ]
    assert len(copies) == 2  # the original and the replay, which carries no dead-letter headers
    assert not {k for k, _ in copies[1].headers} & set(DLT_HEADERS)


async def _listed(stack: Stack, event: CloudEvent) -> list[DeadLetter]:
    letters = await list_dead_letters(stack.kafka.bootstrap_servers, TOPIC, SERVICE)
    return [letter for letter in letters if letter.header("ce_id") == str(event.id)]


async def _async(value: bool) -> bool:
    return value
