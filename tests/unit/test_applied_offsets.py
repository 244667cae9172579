"""A consumer's applied offsets (shared/offsets.py): committed at most every so often, the last a moment after the last
poll, never past a rewound record, kept when the broker fails, dropped when the partition is no longer ours."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaConnectionError

from shared.offsets import AppliedOffsets

A, B = TopicPartition("facts", 0), TopicPartition("facts", 1)


class Broker:
    """aiokafka's commit, recorded; failing with the errors given, one a call."""

    def __init__(self, *failures: Exception) -> None:
        self.commits: list[dict[TopicPartition, int]] = []
        self.failures = list(failures)
        self.committed = asyncio.Event()

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.commits.append(dict(offsets))
        self.committed.set()


def poll(*records: tuple[TopicPartition, int]) -> list[ConsumerRecord[Any, Any]]:
    return [ConsumerRecord(tp.topic, tp.partition, offset, 0, 0, b"k", b"v", None, 1, 1, []) for tp, offset in records]


async def test_the_first_poll_is_committed_at_once_and_the_next_ones_together_a_moment_later() -> None:
    offsets, broker = AppliedOffsets(seconds=0.2), Broker()
    await offsets.applied(broker, poll((A, 0), (A, 1), (B, 5)), {})
    assert broker.commits == [{A: 2, B: 6}]
    broker.committed.clear()
    await offsets.applied(broker, poll((A, 2)), {})
    await offsets.applied(broker, poll((B, 6), (A, 3)), {})
    assert len(broker.commits) == 1  # not yet: the last commit is too recent
    await asyncio.wait_for(broker.committed.wait(), timeout=5)
    assert broker.commits[1] == {A: 4, B: 7}


async def test_a_rewound_partition_is_committed_only_up_to_the_rewound_record() -> None:
    offsets, broker = AppliedOffsets(seconds=0.0), Broker()
    await offsets.applied(broker, poll((A, 10), (A, 11), (A, 12), (B, 3)), {A: 11})
    assert broker.commits == [{A: 11, B: 4}]


async def test_offsets_the_broker_did_not_take_are_committed_with_the_next_and_those_no_longer_ours_dropped() -> None:
    offsets, broker = AppliedOffsets(seconds=0.0), Broker(KafkaConnectionError("down"))
    await offsets.applied(broker, poll((A, 0)), {})
    await offsets.applied(broker, poll((B, 0)), {})
    assert broker.commits == [{A: 1, B: 1}]
    broker.failures.append(CommitFailedError("rebalanced"))
    await offsets.applied(broker, poll((A, 1)), {})
    await offsets.applied(broker, poll((B, 1)), {})
    assert broker.commits[-1] == {B: 2}
