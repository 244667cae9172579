"""The outbox publishes what was committed, after the commit, and never what was rolled back."""

from __future__ import annotations

import asyncpg
import pytest
from faststream.kafka import KafkaBroker
from sqlalchemy import text
from sqlmodel import SQLModel

from deploy.stack import Stack
from shared.db import asyncpg_dsn, create_engine, create_sessionmaker
from shared.envelope import CloudEvent
from shared.kafka import provision_topics
from shared.outbox import NOTIFY_TRIGGER_SQL, OutboxMessage, add_to_outbox
from shared.relay import OutboxRelay
from shared.topics import TopicSpec
from tests.fixtures.kafka_tools import PARTITIONS, read_topic

pytestmark = pytest.mark.stack
TOPIC = "test.outbox.events"


def _event(n: int) -> CloudEvent:
    return CloudEvent(type="test.happened", version=1, source="tests", subject=f"p-{n}", data={"n": n})


@pytest.fixture(scope="module")
async def outbox_db(stack: Stack) -> str:
    """A scratch database with only the outbox table, and a scratch topic."""
    await stack.postgres.ensure_database("outbox_test")
    engine = create_engine(stack.postgres.url("outbox_test"))
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: SQLModel.metadata.create_all(c, tables=[OutboxMessage.__table__]))  # type: ignore[attr-defined]
        await conn.execute(text("DROP TRIGGER IF EXISTS outbox_message_notify ON outbox_message"))
        for statement in NOTIFY_TRIGGER_SQL:
            await conn.execute(text(statement))
    await engine.dispose()
    await provision_topics(stack.kafka.bootstrap_servers, [TopicSpec(TOPIC, partitions=3)])
    PARTITIONS[TOPIC] = 3
    return stack.postgres.url("outbox_test")


async def test_an_uncommitted_event_is_not_published_until_its_transaction_commits(
    outbox_db: str, stack: Stack
) -> None:
    engine = create_engine(outbox_db)
    sessions = create_sessionmaker(engine)
    broker = KafkaBroker(stack.kafka.bootstrap_servers, enable_idempotence=True)
    await broker.start()
    relay = OutboxRelay(dsn=asyncpg_dsn(outbox_db), publisher=broker)
    conn = await asyncpg.connect(asyncpg_dsn(outbox_db))
    committed, rolled_back = _event(1), _event(2)
    try:
        async with sessions() as session:
            async with session.begin():
                add_to_outbox(session, committed, topic=TOPIC)
                await session.flush()
                assert await relay.publish_batch(conn) == 0  # written but not committed: invisible to the relay
            assert await relay.publish_batch(conn) == 1  # committed: published
            # and deleted: Kafka has it now
            assert (
                await conn.fetchval("SELECT count(*) FROM outbox_message WHERE event_id = $1", str(committed.id)) == 0
            )
        async with sessions() as session:
            transaction = await session.begin()
            add_to_outbox(session, rolled_back, topic=TOPIC)
            await session.flush()
            await transaction.rollback()
        assert await relay.publish_batch(conn) == 0
    finally:
        await conn.close()
        await broker.stop()
        await engine.dispose()

    ids = {dict(r.headers)["ce_id"].decode() for r in await read_topic(stack.kafka.bootstrap_servers, TOPIC)}
    assert str(committed.id) in ids
    assert str(rolled_back.id) not in ids


async def test_the_relay_keeps_each_subjects_order(outbox_db: str, stack: Stack) -> None:
    engine = create_engine(outbox_db)
    sessions = create_sessionmaker(engine)
    broker = KafkaBroker(stack.kafka.bootstrap_servers, enable_idempotence=True)
    await broker.start()
    relay = OutboxRelay(dsn=asyncpg_dsn(outbox_db), publisher=broker, batch_size=7)
    conn = await asyncpg.connect(asyncpg_dsn(outbox_db))
    events = [
        CloudEvent(type="test.happened", version=1, source="tests", subject=f"order-{i % 4}", data={"n": i})
        for i in range(60)
    ]
    try:
        async with sessions() as session, session.begin():
            for event in events:
                add_to_outbox(session, event, topic=TOPIC)
        while await relay.publish_batch(conn):
            pass
    finally:
        await conn.close()
        await broker.stop()
        await engine.dispose()
    records = [
        r for r in await read_topic(stack.kafka.bootstrap_servers, TOPIC) if (r.key or b"").startswith(b"order-")
    ]
    for subject in range(4):
        seen = [
            int(r.value.decode().split(":")[1].rstrip("}")) for r in records if r.key == f"order-{subject}".encode()
        ]
        assert seen == sorted(seen) and len(seen) == 15
