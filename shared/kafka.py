"""Broker factory, topic provisioning and the idempotent event consumer every service subscribes with."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage, Topic
from faststream.message import StreamMessage

from shared.batch_consumer import BatchConsumer
from shared.consumer import Consumer
from shared.db import SessionMaker
from shared.topics import TopicSpec

# Records one poll brings at most, applied in one transaction (shared/batch_consumer.py)
POLL_RECORDS = 100


def create_broker(bootstrap_servers: str, *, service: str) -> KafkaBroker:
    """An idempotent-producer broker that never auto-creates topics."""
    broker = KafkaBroker(
        bootstrap_servers,
        client_id=service,
        enable_idempotence=True,
        acks="all",
        allow_auto_create_topics=False,
        logger=None,
    )
    return broker


async def _raw_bodies(msg: StreamMessage[object]) -> list[bytes]:
    # Each envelope is parsed by CloudEvent.from_kafka, so FastStream must not try to decode poison itself.
    return msg.body  # type: ignore[return-value]


def subscribe_events(broker: KafkaBroker, consumer: Consumer, *, sessions: SessionMaker) -> None:
    """Consume the consumer's topics in its own group, a poll at a time; offsets are committed after the database's
    commit, and a failure the records cannot settle (an outage outlasted) rewinds each partition to be read again."""
    batches = BatchConsumer(consumer, sessions, broker)

    @broker.subscriber(
        *[Topic(t, declare=False) for t in consumer.topics],
        group_id=consumer.name,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        batch=True,
        max_records=POLL_RECORDS,
        decoder=_raw_bodies,
    )
    async def consume(bodies: list[bytes], msg: KafkaMessage) -> None:
        records = msg.raw_message
        await batches.consume(records if isinstance(records, tuple) else (records,))


async def provision_topics(bootstrap_servers: str, specs: Sequence[TopicSpec]) -> list[str]:
    """Create missing topics with their partitions and configs; returns the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [s for s in specs if s.name not in existing]
        if missing:
            try:
                await admin.create_topics(
                    [NewTopic(s.name, s.partitions, 1, topic_configs=dict(s.config)) for s in missing]
                )
            except TopicAlreadyExistsError:
                pass  # another launcher got there first
        return [s.name for s in missing]
    finally:
        await admin.close()
