"""The consumer lag a report shows, read from a real Kafka: records a group has not applied yet, per partition."""

from __future__ import annotations

from uuid import uuid4

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from deploy.stack import Stack
from shared.lag import LagProbe

pytestmark = pytest.mark.stack


async def test_the_lag_counts_the_records_a_group_has_not_committed_per_partition(stack: Stack) -> None:
    bootstrap, topic, group = stack.kafka.bootstrap_servers, f"lag-test-{uuid4().hex[:8]}", f"lag-{uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for i in range(5):
            await producer.send_and_wait(topic, b"x", partition=0 if i < 3 else 1)
    finally:
        await producer.stop()

    assert await LagProbe(bootstrap, group, [topic], cache_seconds=0).read() == {topic: {0: 3, 1: 2}}

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign([TopicPartition(topic, 0), TopicPartition(topic, 1)])
        await consumer.commit({TopicPartition(topic, 0): 2, TopicPartition(topic, 1): 2})
    finally:
        await consumer.stop()
    assert await LagProbe(bootstrap, group, [topic], cache_seconds=0).read() == {topic: {0: 1, 1: 0}}


async def test_without_kafka_the_lag_is_unknown_and_nothing_fails() -> None:
    probe = LagProbe("127.0.0.1:1", "nobody", ["nothing"], cache_seconds=0)
    assert await probe.read() is None
