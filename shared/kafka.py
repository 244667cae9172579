"""Broker factory, topic provisioning and the idempotent event consumer every service subscribes with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any, cast

from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.helpers import create_ssl_context
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage, Topic
from faststream.message import StreamMessage
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from shared.batch_consumer import BatchConsumer
from shared.consumer import Consumer
from shared.db import SessionMaker
from shared.offsets import AppliedOffsets, Committing
from shared.settings import KafkaSettings
from shared.topics import TopicSpec

# Records one poll brings at most, applied in one transaction (shared/batch_consumer.py)
POLL_RECORDS = 100


def client_options(settings: KafkaSettings) -> dict[str, Any]:
    """How an aiokafka client (a consumer, an admin client) connects and authenticates, from the settings."""
    options: dict[str, Any] = {"bootstrap_servers": settings.bootstrap_servers}
    if settings.security_protocol != "PLAINTEXT":
        options["security_protocol"] = settings.security_protocol
    if settings.security_protocol.endswith("SSL"):
        options["ssl_context"] = create_ssl_context(cafile=settings.ssl_cafile)
    if settings.sasl_password is not None:
        options |= {
            "sasl_mechanism": settings.sasl_mechanism,
            "sasl_plain_username": settings.sasl_username,
            "sasl_plain_password": settings.sasl_password.get_secret_value(),
        }
    return options


def _security(settings: KafkaSettings) -> BaseSecurity | None:
    """The same as FastStream's security object (which also describes it in the AsyncAPI document)."""
    ssl = settings.security_protocol.endswith("SSL")
    context = create_ssl_context(cafile=settings.ssl_cafile) if ssl else None
    if settings.sasl_password is None or settings.sasl_username is None:
        return BaseSecurity(ssl_context=context, use_ssl=True) if ssl else None
    kinds = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}
    kind = kinds[settings.sasl_mechanism or "PLAIN"]
    return kind(settings.sasl_username, settings.sasl_password.get_secret_value(), ssl_context=context, use_ssl=ssl)


def create_broker(bootstrap_servers: str, *, service: str, settings: KafkaSettings | None = None) -> KafkaBroker:
    """An idempotent-producer broker that never auto-creates topics; `settings` say how it authenticates."""
    broker = KafkaBroker(
        bootstrap_servers,
        security=_security(settings) if settings is not None else None,
        client_id=service,
        enable_idempotence=True,
        acks="all",
        allow_auto_create_topics=False,
        logger=None,
    )
    return broker


async def _readable_headers(
    records: tuple[ConsumerRecord[Any, Any], ...], original: Callable[[Any], Awaitable[StreamMessage[Any]]]
) -> StreamMessage[Any]:
    """FastStream's own parsing, given headers it can decode, over the records as they came.

    It decodes every header as UTF-8 before our code runs, and drops the poll it cannot (tests/integration/
    test_consumers.py): a record with another header would be lost, not parked. So it reads a copy with such headers
    made readable, and the consumer gets the records untouched: CloudEvent.from_kafka parks that one as invalid.
    """
    message = await original(tuple(_readable(r) for r in records))
    message.raw_message = records
    return message


def _readable(record: ConsumerRecord[Any, Any]) -> ConsumerRecord[Any, Any]:
    try:
        for _, value in record.headers:
            value.decode()
    except UnicodeDecodeError:
        return replace(record, headers=[(k, v.decode(errors="replace").encode()) for k, v in record.headers])
    return record


async def _raw_bodies(msg: StreamMessage[object]) -> list[bytes]:
    # Each envelope is parsed by CloudEvent.from_kafka, so FastStream must not try to decode poison itself.
    return msg.body  # type: ignore[return-value]


def subscribe_events(broker: KafkaBroker, consumer: Consumer, *, sessions: SessionMaker) -> None:
    """Consume the consumer's topics in its own group, a poll at a time; the offsets of what the database committed
    are committed to Kafka every few hundred milliseconds (shared/offsets.py), and a failure the records cannot settle
    (an outage outlasted) rewinds each partition to be read again."""
    batches = BatchConsumer(consumer, sessions, broker)
    offsets = AppliedOffsets()

    @broker.subscriber(
        *[Topic(t, declare=False) for t in consumer.topics],
        group_id=consumer.name,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.MANUAL,  # committed by `offsets`; a poll that fails is read again (nack)
        batch=True,
        max_records=POLL_RECORDS,
        parser=_readable_headers,
        decoder=_raw_bodies,
    )
    async def consume(bodies: list[bytes], msg: KafkaMessage) -> None:
        records = msg.raw_message
        polled = records if isinstance(records, tuple) else (records,)
        rewound: dict[TopicPartition, int] = {}

        def rewind(record: ConsumerRecord[Any, Any]) -> None:
            # the commit after this poll then stops short of the record, and the next poll starts from it
            partition = TopicPartition(record.topic, record.partition)
            msg.consumer.seek(partition=partition, offset=record.offset)
            rewound[partition] = min(record.offset, rewound.get(partition, record.offset))

        try:
            await batches.consume(polled, rewind)
        except BaseException:
            await msg.nack()  # each partition from the poll's first record, with the next poll
            raise
        await offsets.applied(cast(Committing, msg.consumer), polled, rewound)


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
