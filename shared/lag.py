"""How far behind a service's consumer group is: per topic and partition, the records not yet applied.

Read from Kafka (the group's committed offsets against the partitions' end offsets), at most once every few
seconds, so that a report can say how fresh it is without asking Kafka on every request. If Kafka cannot be
reached, the answer says so (None) and the report still answers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.logging import get_logger

log = get_logger(__name__)
Lag = dict[str, dict[int, int]]  # topic -> partition -> records behind


class LagProbe:
    """The consumer group's lag, cached for a few seconds."""

    def __init__(
        self,
        bootstrap_servers: str,
        group: str,
        topics: Sequence[str],
        *,
        cache_seconds: float = 5.0,
        options: Mapping[str, Any] | None = None,
    ):
        """`options`: how the clients connect and authenticate (shared.kafka.client_options), beyond the servers."""
        self._bootstrap, self._group, self._topics = bootstrap_servers, group, tuple(topics)
        self._options = {k: v for k, v in (options or {}).items() if k != "bootstrap_servers"}
        self._cache_seconds = cache_seconds
        self._cached: tuple[float, Lag | None] | None = None
        self._lock = asyncio.Lock()

    async def read(self) -> Lag | None:
        """Records not yet applied per topic and partition; None if Kafka did not answer."""
        async with self._lock:
            now = time.monotonic()
            if self._cached is not None and now - self._cached[0] < self._cache_seconds:
                return self._cached[1]
            try:
                lag: Lag | None = await asyncio.wait_for(self._ask(), timeout=5)
            except Exception as exc:  # noqa: BLE001 - freshness is advisory: the report answers without it
                log.warning("consumer lag not read", error=repr(exc))
                lag = None
            self._cached = (now, lag)
            return lag

    async def _ask(self) -> Lag:
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, **self._options)
        consumer = AIOKafkaConsumer(bootstrap_servers=self._bootstrap, enable_auto_commit=False, **self._options)
        await admin.start()
        await consumer.start()
        try:
            partitions = await partitions_of(admin, self._topics)
            committed = await admin.list_consumer_group_offsets(self._group)
            ends = await consumer.end_offsets(partitions)
        finally:
            await consumer.stop()
            await admin.close()
        lag: Lag = {}
        for tp in partitions:
            done = committed.get(tp)
            applied = done.offset if done is not None and done.offset >= 0 else 0
            lag.setdefault(tp.topic, {})[tp.partition] = max(0, ends[tp] - applied)
        return lag


async def partitions_of(admin: AIOKafkaAdminClient, topics: Sequence[str]) -> list[TopicPartition]:
    """Every partition of the topics, as the cluster describes them now."""
    described = await admin.describe_topics(list(topics))
    return sorted(
        TopicPartition(str(topic["topic"]), int(part["partition"]))
        for topic in described
        if not topic.get("error_code")
        for part in topic["partitions"]
    )
