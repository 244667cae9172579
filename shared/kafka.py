"""Broker factory, topic provisioning and the idempotent event consumer every service subscribes with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage, Topic
from faststream.message import StreamMessage
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.db import SessionMaker, unit_of_work
from shared.dead_letter import dead_letter_middleware
from shared.envelope import CloudEvent, InvalidEvent
from shared.inbox import first_delivery
from shared.logging import get_logger
from shared.topics import TopicSpec

log = get_logger(__name__)

EventHandler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]


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


def subscribe_events(
    broker: KafkaBroker,
    *,
    service: str,
    topics: Sequence[str],
    sessions: SessionMaker,
    handlers: Mapping[str, tuple[int, EventHandler]],
    strict_topics: Sequence[str] = (),
) -> None:
    """Consume topics in this service's group; apply each event once, in one transaction with its dedup mark.

    handlers maps an event type to (the version it understands, handler). Types without a handler are facts
    this service does not need and are skipped, except on strict topics (command topics), where they are invalid.
    """

    @broker.subscriber(
        *[Topic(t, declare=False) for t in topics],
        group_id=service,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=_raw_body,
    )
    async def consume(body: bytes, msg: KafkaMessage) -> None:
        record = msg.raw_message
        event = CloudEvent.from_kafka(record.headers, record.value)  # type: ignore[union-attr]
        entry = handlers.get(event.type)
        if entry is None:
            if record.topic in strict_topics:  # type: ignore[union-attr]
                raise InvalidEvent(f"unknown command type {event.type!r}")
            return
        version, handler = entry
        if event.version != version:
            raise InvalidEvent(f"{event.type} v{event.version} is not understood (expects v{version})")
        async with unit_of_work(sessions) as session:
            if not await first_delivery(session, consumer=service, event_id=event.id):
                log.info("duplicate delivery skipped", event_id=str(event.id), type=event.type)
                return
            await handler(session, event)


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
