"""Broker factory, topic provisioning and the idempotent event consumer every service subscribes with."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage, Topic
from faststream.message import StreamMessage

from shared.consumer import Consumer
from shared.db import SessionMaker
from shared.dead_letter import dead_letter_middleware
from shared.envelope import CloudEvent
from shared.topics import TopicSpec


def create_broker(bootstrap_servers: str, *, service: str) -> KafkaBroker:
    """An idempotent-producer broker that never auto-creates topics and dead-letters what keeps failing."""
    broker = KafkaBroker(
        bootstrap_servers,
        client_id=service,
        enable_idempotence=True,
        acks="all",
        allow_auto_create_topics=False,
        logger=None,
    )
    broker.add_middleware(dead_letter_middleware(broker, service=service))
    return broker


async def _raw_body(msg: StreamMessage[object]) -> bytes:
    # The envelope is parsed by CloudEvent.from_kafka, so FastStream must not try to decode poison itself.
    return msg.body


def subscribe_events(broker: KafkaBroker, consumer: Consumer, *, sessions: SessionMaker) -> None:
    """Consume the consumer's topics in its own group; the offset is committed after the database commit."""

    @broker.subscriber(
        *[Topic(t, declare=False) for t in consumer.topics],
        group_id=consumer.name,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=_raw_body,
    )
    async def consume(body: bytes, msg: KafkaMessage) -> None:
        record = msg.raw_message
        event = CloudEvent.from_kafka(record.headers, record.value)  # type: ignore[union-attr]
        await consumer.apply(sessions, event, topic=record.topic)  # type: ignore[union-attr]


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
